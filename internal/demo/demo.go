// Package demo seeds a development database with vendors whose catalogues
// come from the Letzshop sample feeds, so `make run` shows real shops. Seeding
// is idempotent: a second run updates what the first created.
package demo

import (
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/fault"
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
// Until the marketplace importer lands, the feeds are read here with a plain
// TSV reader taking id, title and price; the importer will replace this path.
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

func readFeed(name string) ([]item, error) {
	f, err := feeds.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"id", "title", "price"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("line 1: no %q column", need)
		}
	}
	var items []item
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		cents, cur, err := parsePrice(rec[col["price"]])
		if err != nil {
			return nil, fmt.Errorf("line %d, column price: %w", line, err)
		}
		items = append(items, item{sku: rec[col["id"]], title: rec[col["title"]], cents: cents, currency: cur})
	}
}

// parsePrice reads "24.90 EUR", "24,90" or "24" into cents and a currency.
func parsePrice(s string) (int64, string, error) {
	amount, cur, _ := strings.Cut(strings.TrimSpace(s), " ")
	if cur == "" {
		cur = "EUR"
	}
	whole, frac, _ := strings.Cut(strings.ReplaceAll(amount, ",", "."), ".")
	if len(frac) > 2 {
		return 0, "", fmt.Errorf("%q has more than two decimals", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 {
		return 0, "", fmt.Errorf("%q is not a price", s)
	}
	return w*100 + f, cur, nil
}
