package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func ptr[T any](v T) *T { return &v }

func TestCreateNamesEveryBadField(t *testing.T) {
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "edit")
	svc := catalog.New()
	ctx := context.Background()
	in := catalog.Input{
		SKU:            ptr(strings.Repeat("x", 51)),
		Title:          map[string]*string{"french": ptr("x"), "de": ptr(strings.Repeat("é", 151))},
		PriceCents:     ptr(int64(-1)),
		SalePriceCents: catalog.Of(int64(5)),
		Currency:       ptr("eur"),
		VATRateBP:      catalog.Of(20000),
		Stock:          catalog.Of(-3),
		Status:         ptr("sold"),
		Images:         &[]string{"https://img.example/a.jpg", "javascript:alert(1)"},
		GTIN:           ptr("5412345001011"),
	}
	err := db.Tx(ctx, tn, func(ctx context.Context) error { _, err := svc.Create(ctx, in); return err })
	fe, ok := fault.As(err)
	if !ok || fe.Kind != fault.Invalid {
		t.Fatalf("err = %v", err)
	}
	for _, f := range []string{"sku", "title.french", "title.de", "price_cents", "currency", "vat_rate_bp", "stock", "status", "images[1]", "gtin"} {
		if fe.Fields[f] == "" {
			t.Errorf("field %s not named: %v", f, fe.Fields)
		}
	}
	if fe.Fields["images[0]"] != "" {
		t.Errorf("a good image was refused: %v", fe.Fields)
	}
	// Nothing was stored, and a good product is.
	err = db.Tx(ctx, tn, func(ctx context.Context) error {
		p, err := svc.Create(ctx, catalog.Input{SKU: ptr(" MUG-1 "), Title: map[string]*string{"en": ptr("Mug")}, PriceCents: ptr(int64(1250))})
		if err != nil {
			return err
		}
		if p.SKU != "MUG-1" || p.Status != "active" || p.Currency != "EUR" || len(p.Overridden) != 0 {
			t.Errorf("created %+v", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, tn, func(ctx context.Context) error {
		_, err := svc.Create(ctx, catalog.Input{SKU: ptr("MUG-1"), Title: map[string]*string{"en": ptr("Again")}, PriceCents: ptr(int64(1))})
		return err
	})
	if fe, ok := fault.As(err); !ok || fe.Fields["sku"] == "" {
		t.Errorf("duplicate SKU: %v", err)
	}
}

func TestListFiltersSortsAndPages(t *testing.T) {
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "list")
	svc := catalog.New()
	ctx := context.Background()
	err := db.Tx(ctx, tn, func(ctx context.Context) error {
		for i := range 30 {
			status := "active"
			if i%3 == 0 {
				status = "draft"
			}
			brand := "Atelier"
			if i%2 == 0 {
				brand = "Rucher"
			}
			_, err := svc.Create(ctx, catalog.Input{
				SKU:        ptr(fmt.Sprintf("SKU-%02d", i)),
				Title:      map[string]*string{"de": ptr(fmt.Sprintf("Honig %d", i)), "fr": ptr(fmt.Sprintf("Miel %d", i))},
				PriceCents: ptr(int64((i * 37) % 1000)), Status: &status, Brand: &brand,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := func(p catalog.ListParams) []catalog.Product {
		var out []catalog.Product
		for {
			var pg page.Page[catalog.Product]
			err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
				var err error
				pg, err = svc.List(ctx, p)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, pg.Items...)
			if pg.NextCursor == "" {
				return out
			}
			p.Cursor = pg.NextCursor
		}
	}
	for _, sort := range []string{"price", "-price", "sku", "-sku", "created", "-updated"} {
		t.Run("Sort="+sort, func(t *testing.T) {
			got := all(catalog.ListParams{Sort: sort, Limit: 7})
			if len(got) != 30 {
				t.Fatalf("%d products over the pages", len(got))
			}
			seen := map[int]bool{}
			for _, p := range got {
				if seen[p.ID] {
					t.Fatalf("product %d twice", p.ID)
				}
				seen[p.ID] = true
			}
			key := func(p catalog.Product) string {
				switch strings.TrimPrefix(sort, "-") {
				case "price":
					return fmt.Sprintf("%09d/%05d", p.PriceCents, p.ID)
				case "sku":
					return p.SKU
				case "updated":
					return p.UpdatedAt.Format("2006-01-02T15:04:05.000000000") + fmt.Sprintf("/%05d", p.ID)
				}
				return fmt.Sprintf("%05d", p.ID)
			}
			ordered := slices.IsSortedFunc(got, func(a, b catalog.Product) int { return strings.Compare(key(a), key(b)) })
			if strings.HasPrefix(sort, "-") {
				ordered = slices.IsSortedFunc(got, func(a, b catalog.Product) int { return strings.Compare(key(b), key(a)) })
			}
			if !ordered {
				t.Errorf("not in %s order", sort)
			}
		})
	}
	t.Run("Filters", func(t *testing.T) {
		if got := all(catalog.ListParams{Status: "draft"}); len(got) != 10 {
			t.Errorf("draft: %d", len(got))
		}
		if got := all(catalog.ListParams{Brand: "rucher", Status: "active"}); len(got) != 10 {
			t.Errorf("Rucher and active: %d", len(got))
		}
		if got := all(catalog.ListParams{Query: "honig 17"}); len(got) != 1 || got[0].SKU != "SKU-17" {
			t.Errorf("search a title in any language: %+v", got)
		}
		if got := all(catalog.ListParams{Query: "sku-2"}); len(got) != 10 {
			t.Errorf("search by SKU: %d", len(got))
		}
		if got := all(catalog.ListParams{Query: "RUCHER"}); len(got) != 15 {
			t.Errorf("search by brand, another case: %d", len(got))
		}
		if got := all(catalog.ListParams{Query: "MIEL 2"}); len(got) != 11 {
			t.Errorf("search a title, another case: %d", len(got))
		}
		if got := all(catalog.ListParams{Query: "%"}); len(got) != 0 {
			t.Errorf("a wildcard is a character: %d", len(got))
		}
		got := all(catalog.ListParams{MinPrice: ptr(int64(100)), MaxPrice: ptr(int64(300))})
		for _, p := range got {
			if p.PriceCents < 100 || p.PriceCents > 300 {
				t.Errorf("price %d outside 100..300", p.PriceCents)
			}
		}
		if len(got) == 0 {
			t.Error("no product in 100..300")
		}
		if got := all(catalog.ListParams{Group: "none"}); len(got) != 0 {
			t.Errorf("item group: %d", len(got))
		}
		if got := all(catalog.ListParams{Imported: ptr(true)}); len(got) != 0 {
			t.Errorf("imported: %d", len(got))
		}
	})
	t.Run("CursorOfAnotherSortIsRefused", func(t *testing.T) {
		err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
			pg, err := svc.List(ctx, catalog.ListParams{Sort: "price", Limit: 5})
			if err != nil {
				return err
			}
			_, err = svc.List(ctx, catalog.ListParams{Sort: "sku", Cursor: pg.NextCursor})
			return err
		})
		if fe, ok := fault.As(err); !ok || fe.Fields["cursor"] == "" {
			t.Errorf("err = %v", err)
		}
	})
}

// TestOverridesFollowTheSource: a published product's fields become
// overrides when changed and follow the feed again when set back or reset.
func TestOverridesFollowTheSource(t *testing.T) {
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "override")
	svc := catalog.New()
	ctx := context.Background()
	err := db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		qty := 4
		sp, err := c.StagedProduct.Create().SetFeedID("TEE").SetCreatedJob(1).SetChangedJob(1).
			SetItems(map[string]letzshop.Item{
				"fr": {ID: "TEE", Title: "T-shirt", Description: "Coton", Price: &letzshop.Money{Cents: 2490, Currency: "EUR"}, Quantity: &qty},
				"en": {ID: "TEE", Title: "Tee", Price: &letzshop.Money{Cents: 2490, Currency: "EUR"}, Quantity: &qty},
			}).SetRaw(map[string][][2]string{}).SetSeen(map[string]int{"fr": 1, "en": 1}).Save(ctx)
		if err != nil {
			return err
		}
		p, err := svc.Publish(ctx, sp.ID, catalog.Input{Stock: catalog.Of(9)})
		if err != nil {
			return err
		}
		if p.SKU != "TEE" || p.PriceCents != 2490 || p.Title["en"] != "Tee" || *p.Stock != 9 || strings.Join(p.Overridden, ",") != "stock" {
			t.Errorf("published %+v", p)
		}
		p, err = svc.Update(ctx, p.ID, catalog.Input{PriceCents: ptr(int64(1990)), Title: map[string]*string{"en": ptr("Our tee")}, Stock: catalog.Of(4)})
		if err != nil {
			return err
		}
		if strings.Join(p.Overridden, ",") != "price,title.en" {
			t.Errorf("after edit, overridden %v (stock is back to the feed's 4)", p.Overridden)
		}
		p, err = svc.Reset(ctx, p.ID, []string{"title.en"})
		if err != nil {
			return err
		}
		if p.Title["en"] != "Tee" || strings.Join(p.Overridden, ",") != "price" {
			t.Errorf("after reset of title.en: %+v", p)
		}
		p, err = svc.Reset(ctx, p.ID, nil)
		if err != nil {
			return err
		}
		if p.PriceCents != 2490 || len(p.Overridden) != 0 {
			t.Errorf("after reset of everything: %+v", p)
		}
		_, err = svc.Reset(ctx, p.ID, []string{"colour"})
		if fe, ok := fault.As(err); !ok || fe.Fields["colour"] == "" {
			t.Errorf("reset of an unknown field: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
