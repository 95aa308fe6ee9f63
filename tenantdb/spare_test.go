package tenantdb_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestSpareSchemas: a provisioned vendor claims a prepared spare schema and
// ends up exactly like one whose schema was made by DDL — its role reads and
// writes its tables, cannot touch its revision table, create tables or reach
// another schema; a stale spare is never claimed and is dropped by the next
// fill; a failed provisioning leaves the spare a spare.
func TestSpareSchemas(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	raw := tenanttest.SQL(t, d)
	ctx := context.Background()
	spares := func() []string {
		rows, err := raw.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'spare\_%' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	if n, err := db.FillSpares(ctx, 2); err != nil || n != 2 {
		t.Fatalf("fill: %d, %v", n, err)
	}
	if n, err := db.FillSpares(ctx, 2); err != nil || n != 0 {
		t.Fatalf("a second fill made %d (%v), want none", n, err)
	}
	before := spares()
	a, err := db.Provision(ctx, tenantdb.NewVendor{Slug: tenanttest.Slug("claim"), Name: "Claimed"})
	if err != nil {
		t.Fatal(err)
	}
	if after := spares(); len(after) != 1 {
		t.Fatalf("spares before %v, after %v: one should have been claimed", before, after)
	}
	other := tenanttest.Tenant(t, db, "spare-other") // claims the other one
	if n, err := db.FillSpares(ctx, 1); err != nil || n != 1 {
		t.Fatalf("refill: %d, %v", n, err)
	}
	after := spares()

	t.Run("ClaimedTenantWorks", func(t *testing.T) {
		addProduct(t, db, a, "SKU-1", "claimed")
		var n int
		must(t, db.ReadTx(ctx, a, func(ctx context.Context) error {
			c, err := tenantdb.FromContext(ctx)
			if err != nil {
				return err
			}
			n, err = c.Product.Query().Count(ctx)
			return err
		}))
		if n != 1 {
			t.Errorf("%d products", n)
		}
	})
	for _, q := range []string{
		`SELECT * FROM bazaar_schema_revisions`,
		`CREATE TABLE sneaky (id int)`,
		fmt.Sprintf(`SELECT * FROM %q.products`, other.Schema),
		fmt.Sprintf(`SELECT * FROM %q.products`, after[0]),
	} {
		t.Run("Denied/"+q, func(t *testing.T) {
			err := db.Tx(ctx, a, func(ctx context.Context) error { return rawExec(ctx, q) })
			if got := sqlStateOf(err); got != "42501" {
				t.Fatalf("err = %v (SQLSTATE %q), want permission denied", err, got)
			}
		})
	}

	t.Run("FailedProvisioningKeepsTheSpare", func(t *testing.T) {
		injected := errors.New("injected")
		tenantdb.SetFaultHook(db, func(step string) error {
			if step == "grants" {
				return injected
			}
			return nil
		})
		defer tenantdb.SetFaultHook(db, nil)
		if _, err := db.Provision(ctx, tenantdb.NewVendor{Slug: tenanttest.Slug("fail"), Name: "x"}); !errors.Is(err, injected) {
			t.Fatalf("err = %v", err)
		}
		if got := spares(); len(got) != 1 || got[0] != after[0] {
			t.Fatalf("spares %v, want %v", got, after)
		}
	})

	t.Run("StaleSpareIsNotClaimedAndIsReplaced", func(t *testing.T) {
		stale := after[0]
		if _, err := raw.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %q.bazaar_schema_revisions WHERE version = (SELECT max(version) FROM %q.bazaar_schema_revisions)`, stale, stale)); err != nil {
			t.Fatal(err)
		}
		b, err := db.Provision(ctx, tenantdb.NewVendor{Slug: tenanttest.Slug("ddl"), Name: "By DDL"})
		if err != nil {
			t.Fatal(err)
		}
		addProduct(t, db, b, "SKU-2", "made by DDL")
		if got := spares(); len(got) != 1 || got[0] != stale {
			t.Fatalf("spares %v: the stale one must stay unclaimed", got)
		}
		if n, err := db.FillSpares(ctx, 1); err != nil || n != 1 {
			t.Fatalf("refill: %d, %v", n, err)
		}
		if got := spares(); len(got) != 1 || got[0] == stale {
			t.Fatalf("spares %v: the stale one should be replaced", got)
		}
	})
}
