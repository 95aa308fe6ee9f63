// Package demo seeds a development database with vendors whose catalogues
// come from the Letzshop sample feeds, so `make run` shows real shops. Seeding
// is idempotent: a second run updates what the first created.
package demo

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"

	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/tenantdb"
)

//go:embed feeds/*.tsv
var feeds embed.FS

// Vendor is a demo vendor and the feed its catalogue comes from.
type Vendor struct {
	Slug, Name, Feed string
}

// Vendors are the demo vendors: two shops holding the same SKUs, which shows
// the wall between them (each sees only its own rows).
var Vendors = []Vendor{
	{Slug: "atelier-demo", Name: "Atelier Demo", Feed: "feeds/sample-en.tsv"},
	{Slug: "boutique-lux", Name: "Boutique Lux", Feed: "feeds/sample-fr.tsv"},
}

// Seeded reports what Seed did for one vendor.
type Seeded struct {
	Vendor   Vendor
	Created  bool // the vendor was provisioned by this run
	Products int
}

// Seed provisions the demo vendors (if missing) and upserts their products.
//
// Until the marketplace importer lands, the feeds are read with its feed
// reader but only id, title and price are kept; the importer will replace this path.
func Seed(ctx context.Context, db *tenantdb.DB) ([]Seeded, error) {
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
		items, err := readFeed(v.Feed)
		if err != nil {
			return out, fmt.Errorf("demo: %s: %w", v.Feed, err)
		}
		err = db.Tx(ctx, t, func(ctx context.Context) error {
			c, err := tenantdb.FromContext(ctx)
			if err != nil {
				return err
			}
			for _, it := range items {
				err := c.Product.Create().
					SetSku(it.sku).SetName(it.title).SetPriceCents(it.cents).SetCurrency(it.currency).
					OnConflictColumns(product.FieldSku).
					UpdateName().UpdatePriceCents().UpdateCurrency().UpdateUpdatedAt().
					Exec(ctx)
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("demo: products of %s: %w", v.Slug, err)
		}
		s.Products = len(items)
		out = append(out, s)
	}
	return out, nil
}

type item struct {
	sku, title, currency string
	cents                int64
}

// readFeed reads an embedded sample feed with the marketplace's feed reader.
// Until the importer lands, only id, title and price go into the catalogue.
func readFeed(name string) ([]item, error) {
	f, err := feeds.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := letzshop.NewReader(f, letzshop.Options{})
	if err != nil {
		return nil, err
	}
	var items []item
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		it := rec.Item
		if it.Price == nil {
			return nil, fmt.Errorf("line %d: %s has no price", rec.Line, it.ID)
		}
		items = append(items, item{sku: it.ID, title: it.Title, cents: it.Price.Cents, currency: it.Price.Currency})
	}
}
