package tenantdb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestHealthFigures: the registry's counts by status and migration state,
// the failed migrations with words safe to show (the database's message
// never), the spare schemas judged as a top-up would, and the platform's
// newest applied migration.
func TestHealthFigures(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	raw := tenanttest.SQL(t, d)
	ctx := context.Background()

	fine := tenanttest.Tenant(t, db, "fine")
	behind := tenanttest.Tenant(t, db, "behind")
	broken := tenanttest.Tenant(t, db, "broken")
	refused := tenanttest.Tenant(t, db, "refused")
	if _, err := db.SetStatus(ctx, fine.Slug, tenantdb.StatusSuspended, "test"); err != nil {
		t.Fatal(err)
	}
	sqlError := `migration 20270101000000_break: pq: syntax error at or near "SELEKT" (SELECT * FROM "vendor_x".products)`
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`UPDATE platform.vendors SET schema_version = '' WHERE id = $1`, []any{behind.ID}},
		{`UPDATE platform.vendors SET schema_version = '', migration_error = $2 WHERE id = $1`, []any{broken.ID, sqlError}},
		{`UPDATE platform.vendors SET migration_error = $2 WHERE id = $1`, []any{refused.ID, "migration 20261129091155_init was changed after it was applied"}},
	} {
		if _, err := raw.ExecContext(ctx, q.query, q.args...); err != nil {
			t.Fatal(err)
		}
	}

	f, err := db.TenantFigures(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if f.Total != 4 || f.ByStatus[tenantdb.StatusActive] != 3 || f.ByStatus[tenantdb.StatusSuspended] != 1 ||
		f.Current != 2 || f.Behind != 2 || f.Ahead != 0 || f.FailedTotal != 2 || len(f.Failed) != 2 {
		t.Fatalf("figures: %+v", f)
	}
	if f.Failed[0].Slug != broken.Slug || f.Failed[1].Slug != refused.Slug {
		t.Fatalf("failed, by slug: %+v", f.Failed)
	}
	if got := f.Failed[0].Error; !strings.Contains(got, "migration 20270101000000_break failed") || strings.Contains(got, "SELEKT") || strings.Contains(got, "vendor_x") {
		t.Errorf("a database error is shown as %q", got)
	}
	if got := f.Failed[1].Error; got != "migration 20261129091155_init was changed after it was applied" {
		t.Errorf("our own refusal is shown as %q", got)
	}
	if f, err := db.TenantFigures(ctx, 1); err != nil || f.FailedTotal != 2 || len(f.Failed) != 1 {
		t.Errorf("limited to one: %+v, %v", f, err)
	}
	if _, err := raw.ExecContext(ctx, `UPDATE platform.vendors SET migration_error = 'pq: relation "x" does not exist' WHERE id = $1`, refused.ID); err != nil {
		t.Fatal(err)
	}
	if f, err := db.TenantFigures(ctx, 10); err != nil || strings.Contains(f.Failed[1].Error, "relation") {
		t.Errorf("an unrecognised error is shown as %+v (%v)", f.Failed, err)
	}

	if s, err := db.SpareFigures(ctx); err != nil || s != (tenantdb.SpareFigures{}) {
		t.Fatalf("no spares: %+v, %v", s, err)
	}
	if _, err := db.FillSpares(ctx, 2); err != nil {
		t.Fatal(err)
	}
	var spare string
	if err := raw.QueryRowContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'spare\_%' ORDER BY 1 LIMIT 1`).Scan(&spare); err != nil {
		t.Fatal(err)
	}
	// An older binary's spare: its newest migration missing.
	if _, err := raw.ExecContext(ctx, `DELETE FROM `+spare+`.bazaar_schema_revisions WHERE version = $1`, db.TenantLatest()); err != nil {
		t.Fatal(err)
	}
	if s, err := db.SpareFigures(ctx); err != nil || s != (tenantdb.SpareFigures{Ready: 1, Stale: 1}) {
		t.Fatalf("spares: %+v, %v", s, err)
	}

	if v, err := db.PlatformApplied(ctx); err != nil || v == "" || v != db.PlatformLatest() {
		t.Errorf("platform applied %q (%v), binary's newest %q", v, err, db.PlatformLatest())
	}
}
