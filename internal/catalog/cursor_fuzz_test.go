package catalog_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// FuzzListCursor: whatever a client puts in a cursor — any JSON, any value
// for any sort — a listing answers with a page or a validation error naming
// a field, never an error from the database. Each fuzz worker (a process of
// its own, hence a database of its own) makes its own shop.
func FuzzListCursor(f *testing.F) {
	db := tenanttest.Open(f)
	tn := tenanttest.Tenant(f, db, "cursor")
	ctx := context.Background()
	if err := db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		for i := range 3 {
			if err := c.Product.Create().SetSku(fmt.Sprintf("C-%d", i)).SetTitle(map[string]string{"en": "p"}).SetPriceCents(int64(i * 100)).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		f.Fatal(err)
	}
	svc := catalog.New()
	for _, seed := range []struct{ sort, cursor string }{
		{"sku", `{"s":"sku","v":{"a":1},"i":1}`},
		{"sku", `{"s":"sku","v":"C-1","i":2}`},
		{"-sku", `{"s":"-sku","v":"a\u0000","i":1}`},
		{"price", `{"s":"price","v":100,"i":2}`},
		{"-price", `{"s":"-price","v":1e300,"i":1}`},
		{"updated", `{"s":"updated","v":"2026-11-30T10:00:00.123456789Z","i":1}`},
		{"-updated", `{"s":"-updated","v":"0000-01-01T00:00:00Z","i":1}`},
		{"created", `{"s":"created","v":2,"i":2}`},
		{"", `{"s":"created","v":[1],"i":9223372036854775807}`},
	} {
		f.Add(seed.sort, []byte(seed.cursor))
	}
	f.Fuzz(func(t *testing.T, sort string, cursor []byte) {
		p := catalog.ListParams{Sort: sort, Cursor: base64.RawURLEncoding.EncodeToString(cursor), Limit: 2}
		err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
			_, err := svc.List(ctx, p)
			return err
		})
		if fe, ok := fault.As(err); err != nil && (!ok || fe.Kind != fault.Invalid) {
			t.Fatalf("List(sort %q, cursor %q): %v", sort, cursor, err)
		}
	})
}
