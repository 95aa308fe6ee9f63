package tenantdb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/bazaar/bazaar/ent/tenant"
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
			c, err := tenantdb.Current(ctx)
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

// TestSparesAcrossVersions: during a rolling deploy instances of two versions
// share the database. The newer one drops the older one's spares (they would
// need migrating); the older one neither claims nor drops the newer one's.
func TestSparesAcrossVersions(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	next := withMigration(t, tenant.Migrations, "29990101000000_next.sql", "ALTER TABLE \"products\" ADD COLUMN \"next\" text NULL;\n")
	older := tenanttest.OpenDatabase(t, d)
	newer := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) { o.TenantMigrations = next })
	raw := tenanttest.SQL(t, d)
	ctx := context.Background()
	spares := func() []string {
		t.Helper()
		rows, err := raw.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'spare\_%' ORDER BY 1`)
		must(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			must(t, rows.Scan(&s))
			out = append(out, s)
		}
		return out
	}

	if n, err := newer.FillSpares(ctx, 1); err != nil || n != 1 {
		t.Fatalf("newer fill: %d, %v", n, err)
	}
	newSpare := spares()
	if n, err := older.FillSpares(ctx, 1); err != nil || n != 1 {
		t.Fatalf("older fill: %d, %v (the newer spare is not the older binary's to count)", n, err)
	}
	if got := spares(); len(got) != 2 || !slices.Contains(got, newSpare[0]) {
		t.Fatalf("spares %v: the older binary dropped the newer one's %v", got, newSpare)
	}
	tn, err := older.Provision(ctx, tenantdb.NewVendor{Slug: tenanttest.Slug("old"), Name: "Older"})
	must(t, err)
	if tn.SchemaVersion != older.TenantLatest() {
		t.Fatalf("the older binary provisioned at %s, want %s", tn.SchemaVersion, older.TenantLatest())
	}
	if got := spares(); !slices.Equal(got, newSpare) {
		t.Fatalf("spares %v after the older binary provisioned, want %v (its own claimed, the newer kept)", got, newSpare)
	}
	if _, err := older.FillSpares(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n, err := newer.FillSpares(ctx, 1); err != nil || n != 0 {
		t.Fatalf("newer refill: %d, %v", n, err)
	}
	if got := spares(); !slices.Equal(got, newSpare) {
		t.Fatalf("spares %v, want only the newer %v: the older binary's is dropped by the newer", got, newSpare)
	}
	var orphans int
	must(t, raw.QueryRowContext(ctx, `SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)`, d.RolePrefix+"_spare_").Scan(&orphans))
	if orphans != 1 {
		t.Errorf("%d spare roles, want 1 (the dropped spare's role goes with it)", orphans)
	}
}
