package catalog_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

// forge encodes a cursor as a client could make one up.
func forge(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

func TestList(t *testing.T) {
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "cat")
	other := tenanttest.Tenant(t, db, "cat-other")
	ctx := context.Background()
	seed := func(tn *tenantdb.Tenant, n int, prefix string) {
		err := db.Tx(ctx, tn, func(ctx context.Context) error {
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			for i := range n {
				if err := c.Product.Create().SetSku(fmt.Sprintf("%s-%02d", prefix, i)).SetTitle(map[string]string{"en": "p"}).SetPriceCents(int64(i)).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	seed(tn, 45, "MINE")
	seed(other, 5, "THEIRS")
	svc := catalog.New()

	t.Run("PagesThroughEverythingOnceInOrder", func(t *testing.T) {
		var seen []string
		cursor := ""
		pages := 0
		for {
			var pg page.Page[catalog.Product]
			err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
				var err error
				pg, err = svc.List(ctx, catalog.ListParams{Cursor: cursor})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, p := range pg.Items {
				seen = append(seen, p.SKU)
			}
			if pg.NextCursor == "" {
				break
			}
			cursor = pg.NextCursor
		}
		if len(seen) != 45 || pages != 3 || seen[0] != "MINE-00" || seen[44] != "MINE-44" {
			t.Fatalf("pages=%d seen=%d first=%s last=%s", pages, len(seen), seen[0], seen[len(seen)-1])
		}
	})

	t.Run("BadParametersNameTheField", func(t *testing.T) {
		for _, p := range []struct {
			params catalog.ListParams
			field  string
		}{
			{catalog.ListParams{Limit: 101}, "limit"},
			{catalog.ListParams{Limit: -1}, "limit"},
			{catalog.ListParams{Cursor: "not-a-cursor!"}, "cursor"},
			{catalog.ListParams{Cursor: "cDE5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}, "cursor"},
			// Forged cursors: well-formed JSON whose value has the wrong
			// type or one no row holds. An object reached lib/pq and was a
			// 500 ("unsupported type map[string]interface {}").
			{catalog.ListParams{Sort: "sku", Cursor: forge(`{"s":"sku","v":{"a":1},"i":1}`)}, "cursor"},
			{catalog.ListParams{Sort: "sku", Cursor: forge(`{"s":"sku","v":"a\u0000b","i":1}`)}, "cursor"},
			{catalog.ListParams{Sort: "sku", Cursor: forge(`{"s":"sku","v":7,"i":1}`)}, "cursor"},
			{catalog.ListParams{Sort: "-price", Cursor: forge(`{"s":"-price","v":"cheap","i":1}`)}, "cursor"},
			{catalog.ListParams{Sort: "price", Cursor: forge(`{"s":"price","v":1.5,"i":1}`)}, "cursor"},
			{catalog.ListParams{Sort: "price", Cursor: forge(`{"s":"price","v":1e300,"i":1}`)}, "cursor"},
			{catalog.ListParams{Sort: "price", Cursor: forge(`{"s":"price","v":null,"i":1}`)}, "cursor"},
			{catalog.ListParams{Sort: "updated", Cursor: forge(`{"s":"updated","v":"yesterday","i":1}`)}, "cursor"},
			{catalog.ListParams{Cursor: forge(`{"s":"created","v":[1],"i":1}`)}, "cursor"},
			{catalog.ListParams{Cursor: forge(`{"s":"created","v":1,"i":0}`)}, "cursor"},
			{catalog.ListParams{Cursor: forge(`{"s":"created","v":-5,"i":1}`)}, "cursor"},
			{catalog.ListParams{Cursor: forge(`{"s":"created","v":1,"i":1e30}`)}, "cursor"},
			{catalog.ListParams{Cursor: forge(`{"s":"price","v":1,"i":1}`)}, "cursor"}, // another sort's cursor
			{catalog.ListParams{Cursor: forge(`{"l":"imports","i":1}`)}, "cursor"},     // another list's cursor
			{catalog.ListParams{Cursor: forge(`{"s":"created","v":1,"i":1,"x":2}`)}, "cursor"},
			{catalog.ListParams{Cursor: forge(`{"s":"created","v":1,"i":1}{}`)}, "cursor"},
		} {
			err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
				_, err := svc.List(ctx, p.params)
				return err
			})
			fe, ok := fault.As(err)
			if !ok || fe.Kind != fault.Invalid || fe.Fields[p.field] == "" {
				t.Errorf("%+v: err = %v, want invalid %s", p.params, err, p.field)
			}
		}
	})

	t.Run("UnboundContextFailsClosed", func(t *testing.T) {
		if _, err := svc.List(ctx, catalog.ListParams{}); !errors.Is(err, tenantdb.ErrNotBound) {
			t.Fatalf("err = %v, want ErrNotBound", err)
		}
	})

	if got := (catalog.ShopProduct{PriceCents: 2490, Currency: "EUR"}).Price(); got != "24.90 EUR" {
		t.Errorf("Price() = %q", got)
	}
}
