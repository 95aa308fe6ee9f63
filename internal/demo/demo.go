// Package demo seeds a development database with vendors whose catalogues
// come from the Letzshop sample feeds through the real import path: a
// loopback server serves the feeds, each vendor's import is configured and
// run (the queue worker's own code, in process), every staged product is
// selected and published. Seeding is idempotent: a second run re-imports
// (the unchanged files are skipped) and publishes nothing twice.
package demo

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing/fstest"
	"time"

	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/ent/tenant/stagedproduct"
	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

//go:embed feeds/*.tsv feeds/img/*.svg
var feeds embed.FS

// samplePictures is where the sample feeds say their pictures are: a host
// a machine without internet cannot reach.
const samplePictures = "https://img.example.lu/"

// Feeds are the sample feeds, sample-<lang>.tsv, and pictures for their
// products, img/<name>.svg. With pictures set (where img/ is served, e.g.
// the server's /dev/feeds), the feeds link those pictures instead of the
// sample host's, so the demo shops show their products on a machine with no
// internet.
func Feeds(pictures string) fs.FS {
	sub, err := fs.Sub(feeds, "feeds")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	if pictures == "" {
		return sub
	}
	return pictureFeeds{FS: sub, base: pictures + "/img/"}
}

// pictureFeeds serves the feeds with their picture links rewritten.
type pictureFeeds struct {
	fs.FS
	base string
}

var samplePicture = regexp.MustCompile(regexp.QuoteMeta(samplePictures) + `([a-z0-9-]+)\.jpg`)

func (p pictureFeeds) Open(name string) (fs.File, error) {
	if !strings.HasSuffix(name, ".tsv") {
		return p.FS.Open(name)
	}
	b, err := fs.ReadFile(p.FS, name)
	if err != nil {
		return nil, err
	}
	b = samplePicture.ReplaceAll(b, []byte(p.base+"${1}.svg"))
	// A MapFS file is the fs.File a file server wants (it seeks).
	return fstest.MapFS{name: &fstest.MapFile{Data: b, Mode: 0o444}}.Open(name)
}

// Vendor is a demo vendor, the languages of its feed and its shop (the
// first is primary) and its shop's theme.
type Vendor struct {
	Slug, Name string
	Languages  []string
	Theme      map[string]any
	IBAN, BIC  string // the bank account shoppers paying by transfer are shown (valid, made up)
}

// Vendors are the demo vendors: two shops holding the same SKUs, which shows
// the wall between them (each sees only its own rows).
var Vendors = []Vendor{
	{Slug: "atelier-demo", Name: "Atelier Demo", Languages: []string{"en", "fr", "de"},
		Theme: map[string]any{"colors": map[string]any{"primary": "#1f4e79", "accent": "#c0392b"}, "font": "humanist"},
		IBAN:  "LU280019400644750000", BIC: "BCEELULL"},
	{Slug: "boutique-lux", Name: "Boutique Lux", Languages: []string{"fr", "de"},
		Theme: map[string]any{"colors": map[string]any{"primary": "#7b2d5b", "secondary": "#f3e6ee", "accent": "#a4508b", "background": "#fffaf5"}, "font": "serif"},
		IBAN:  "LU920010123456789012"},
}

// Seeded reports what Seed did for one vendor.
type Seeded struct {
	Vendor   Vendor
	Created  bool // the vendor was provisioned by this run
	Import   marketplace.Job
	Products int // in the catalogue now
}

// FeedServer serves the sample feeds (Feeds(pictures)) on a loopback port
// until ctx ends; their URLs are base + "/sample-<lang>.tsv".
func FeedServer(ctx context.Context, pictures string) (base string, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: http.FileServerFS(Feeds(pictures)), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return "http://" + ln.Addr().String(), nil
}

// Seed provisions the demo vendors (if missing) and imports their feeds from
// feedBase through market (whose download guard must allow its address),
// then publishes every staged product with cat. With laterBase set, the
// vendors' configuration points there afterwards (the server's own copy of
// the feeds in development), so their imports can run again.
func Seed(ctx context.Context, db *tenantdb.DB, market *marketplace.Service, cat *catalog.Service, feedBase, laterBase string) ([]Seeded, error) {
	var out []Seeded
	for _, v := range Vendors {
		s := Seeded{Vendor: v}
		t, err := db.TenantBySlug(ctx, v.Slug)
		if errors.Is(err, fault.ErrNotFound) {
			t, err = db.Provision(ctx, tenantdb.NewVendor{Slug: v.Slug, Name: v.Name, BusinessCountry: "LU"})
			s.Created = true
		}
		if err != nil {
			return out, fmt.Errorf("demo: vendor %s: %w", v.Slug, err)
		}
		if err := shopSettings(ctx, db, t, v); err != nil {
			return out, fmt.Errorf("demo: settings of %s: %w", v.Slug, err)
		}
		if s.Import, err = importFeeds(ctx, db, market, t, v, feedBase); err != nil {
			return out, fmt.Errorf("demo: import for %s: %w", v.Slug, err)
		}
		if laterBase != "" {
			err := db.Tx(ctx, t, func(ctx context.Context) error {
				_, err := market.SetConfig(ctx, 0, feedConfig(v, laterBase))
				return err
			})
			if err != nil {
				return out, fmt.Errorf("demo: configure %s: %w", v.Slug, err)
			}
		}
		err = db.Tx(ctx, t, func(ctx context.Context) error {
			// Demo shops seeded before the import existed hold hand-made
			// products under the feed's ids: the published ones replace them.
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			ids, err := c.StagedProduct.Query().Select(stagedproduct.FieldFeedID).Strings(ctx)
			if err != nil {
				return err
			}
			if _, err := c.Product.Delete().Where(product.StagedProductIDIsNil(), product.SkuIn(ids...)).Exec(ctx); err != nil {
				return err
			}
			if _, err := market.Select(ctx, nil, &marketplace.StagedParams{}, true); err != nil {
				return err
			}
			if _, err := cat.PublishSelected(ctx); err != nil {
				return err
			}
			pg, err := cat.List(ctx, catalog.ListParams{Limit: catalog.MaxLimit})
			s.Products = len(pg.Items)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("demo: publish for %s: %w", v.Slug, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func feedConfig(v Vendor, base string) marketplace.Config {
	cfg := marketplace.Config{Schedule: marketplace.ScheduleOff, Active: true}
	for _, l := range v.Languages {
		cfg.Feeds = append(cfg.Feeds, schema.FeedURL{Language: l, URL: base + "/sample-" + l + ".tsv"})
	}
	return cfg
}

func importFeeds(ctx context.Context, db *tenantdb.DB, market *marketplace.Service, t *tenantdb.Tenant, v Vendor, base string) (marketplace.Job, error) {
	cfg := feedConfig(v, base)
	var job marketplace.Job
	err := db.Tx(ctx, t, func(ctx context.Context) error {
		if _, err := market.SetConfig(ctx, 0, cfg); err != nil {
			return err
		}
		var err error
		job, err = market.Trigger(ctx, nil, false, marketplace.TriggerDemo)
		return err
	})
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Kind == fault.Conflict {
		// An earlier demo run was interrupted: finish its import.
		err = db.ReadTx(ctx, t, func(ctx context.Context) error {
			js, err := market.Jobs(ctx, page.Request{Limit: 1})
			if err == nil && len(js.Items) > 0 {
				job = js.Items[0]
			}
			return err
		})
	}
	if err != nil {
		return job, err
	}
	if err := market.RunJob(ctx, t, job.ID); err != nil {
		return job, err
	}
	err = db.ReadTx(ctx, t, func(ctx context.Context) error {
		job, err = market.Job(ctx, job.ID)
		return err
	})
	return job, err
}
