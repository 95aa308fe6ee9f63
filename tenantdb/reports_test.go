package tenantdb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"ariga.io/atlas/sql/migrate"

	entTenant "github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// reportsMigration is the tenant migration that installs the reporting
// triggers.
const reportsMigration = "20261201002110_tenant_reports.sql"

// withoutMigration returns the tenant migration directory as it was before
// the file name — without it and every later one — with atlas.sum
// recomputed: what an older binary applies.
func withoutMigration(t *testing.T, base fs.FS, name string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	names, err := fs.Glob(base, "*.sql")
	must(t, err)
	var files []migrate.File
	found := false
	for _, n := range names {
		if n == name {
			found = true
		}
		if n >= name { // the migrations are named by time: this one and all later
			continue
		}
		b, err := fs.ReadFile(base, n)
		must(t, err)
		out[n] = &fstest.MapFile{Data: b}
		files = append(files, migrate.NewLocalFile(n, b))
	}
	if !found {
		t.Fatalf("no migration %s", name)
	}
	sum, err := migrate.NewHashFile(files)
	must(t, err)
	text, err := sum.MarshalText()
	must(t, err)
	out[migrate.HashFileName] = &fstest.MapFile{Data: text}
	return out
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// figures is the product count a role reports; -1 when it has no row.
func figures(t *testing.T, q queryRower, role string) int {
	t.Helper()
	var n int
	err := q.QueryRowContext(context.Background(), `SELECT products FROM tenant_reports.vendor_figures WHERE db_role = $1`, role).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return -1
	}
	must(t, err)
	return n
}

// jobReport is a job's summary row, as far as the tests read it.
type jobReport struct {
	Status, Error         string
	Rows, Created, Failed int
	RowsDone              int64
	StartedAt, FinishedAt sql.NullTime
	CreatedAt, ReportedAt time.Time
	DryRun                bool
	Trigger               string
}

func reportOf(ctx context.Context, q queryRower, role string, job int) (jobReport, error) {
	var r jobReport
	err := q.QueryRowContext(ctx, `SELECT status, error, rows, created, failed, rows_done, started_at, finished_at, created_at, updated_at, dry_run, trigger
		FROM tenant_reports.import_jobs WHERE db_role = $1 AND job_id = $2`, role, job).
		Scan(&r.Status, &r.Error, &r.Rows, &r.Created, &r.Failed, &r.RowsDone, &r.StartedAt, &r.FinishedAt, &r.CreatedAt, &r.ReportedAt, &r.DryRun, &r.Trigger)
	return r, err
}

// boundQuery is the bound transaction of ctx as a queryRower.
type boundQuery struct{ ctx context.Context }

func (b boundQuery) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	tx, err := tenantdb.SQLTx(b.ctx)
	if err != nil {
		panic(err)
	}
	return tx.QueryRowContext(b.ctx, query, args...)
}

// The product count a shop reports follows every insert and delete of its
// products exactly, commits and rolls back with them, and ignores updates.
func TestReportedProductCount(t *testing.T) {
	db := tenanttest.Open(t)
	raw := tenanttest.SQL(t, tenanttest.PackageDatabase(t))
	ctx := context.Background()
	tn := tenanttest.Tenant(t, db, "figures")
	if got := figures(t, raw, tn.Role); got != 0 {
		t.Fatalf("a new shop reports %d products, want a row with 0", got)
	}
	steps := []struct {
		name     string
		query    string
		rollback bool
		want     int
	}{
		{"InsertThreeInOneStatement", `INSERT INTO products (sku, title, price_cents, currency, status, created_at, updated_at)
			SELECT 'S-' || g, '{}', 100, 'EUR', 'draft', now(), now() FROM generate_series(1, 3) g`, false, 3},
		{"InsertOne", `INSERT INTO products (sku, title, price_cents, currency, status, created_at, updated_at)
			VALUES ('S-4', '{}', 100, 'EUR', 'draft', now(), now())`, false, 4},
		{"InsertNothing", `INSERT INTO products (sku, title, price_cents, currency, status, created_at, updated_at)
			SELECT sku, title, price_cents, currency, status, created_at, updated_at FROM products WHERE false`, false, 4},
		{"UpdateEvery", `UPDATE products SET price_cents = price_cents + 1`, false, 4},
		{"DeleteTwo", `DELETE FROM products WHERE sku IN ('S-1', 'S-2')`, false, 2},
		{"InsertRolledBack", `INSERT INTO products (sku, title, price_cents, currency, status, created_at, updated_at)
			SELECT 'R-' || g, '{}', 100, 'EUR', 'draft', now(), now() FROM generate_series(1, 5) g`, true, 2},
		{"DeleteRolledBack", `DELETE FROM products`, true, 2},
		{"DeleteEvery", `DELETE FROM products`, false, 0},
	}
	rollback := errors.New("roll back")
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			err := db.Tx(ctx, tn, func(ctx context.Context) error {
				if err := rawExec(ctx, s.query); err != nil {
					return err
				}
				if s.rollback {
					return rollback
				}
				return nil
			})
			if err != nil && !(s.rollback && errors.Is(err, rollback)) {
				t.Fatal(err)
			}
			var actual int
			must(t, raw.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %q.products`, tn.Schema)).Scan(&actual))
			if got := figures(t, raw, tn.Role); got != s.want || actual != s.want {
				t.Errorf("reported %d products, the shop holds %d, want %d", got, actual, s.want)
			}
		})
	}
}

// An import job's summary row changes with the job, in the job's own
// transaction: visible in it at once, gone with it when it rolls back.
func TestReportedImportJob(t *testing.T) {
	db := tenanttest.Open(t)
	raw := tenanttest.SQL(t, tenanttest.PackageDatabase(t))
	ctx := context.Background()
	tn := tenanttest.Tenant(t, db, "jobreport")
	rollback := errors.New("roll back")

	var rolledBack int
	err := db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		j, err := c.ImportJob.Create().SetLanguages([]schema.LanguageRun{}).SetTrigger("manual").Save(ctx)
		if err != nil {
			return err
		}
		rolledBack = j.ID
		r, err := reportOf(ctx, boundQuery{ctx}, tn.Role, j.ID)
		if err != nil || r.Status != "queued" {
			t.Errorf("inside the job's transaction: %+v, %v; want it queued", r, err)
		}
		if err := c.ImportJob.UpdateOneID(j.ID).SetStatus(importjob.StatusRunning).SetRowsDone(40).Exec(ctx); err != nil {
			return err
		}
		r, err = reportOf(ctx, boundQuery{ctx}, tn.Role, j.ID)
		if err != nil || r.Status != "running" || r.RowsDone != 40 {
			t.Errorf("after the update, inside its transaction: %+v, %v; want running, 40 rows done", r, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if _, err := reportOf(ctx, raw, tn.Role, rolledBack); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("the rolled-back job's summary: %v, want none", err)
	}

	var id int
	started := time.Now().Truncate(time.Microsecond)
	long := strings.Repeat("é", 600) // the summary keeps 500 characters
	must(t, db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		j, err := c.ImportJob.Create().SetLanguages([]schema.LanguageRun{}).SetDryRun(true).SetTrigger("schedule").Save(ctx)
		id = j.ID
		return err
	}))
	must(t, db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.ImportJob.UpdateOneID(id).SetStatus(importjob.StatusPartiallyFailed).SetStartedAt(started).
			SetFinishedAt(started.Add(time.Second)).SetRows(7).SetCreated(3).SetFailed(1).SetError(long).Exec(ctx)
	}))
	r, err := reportOf(ctx, raw, tn.Role, id)
	must(t, err)
	if r.Status != "partially_failed" || r.Rows != 7 || r.Created != 3 || r.Failed != 1 || !r.DryRun || r.Trigger != "schedule" ||
		!r.StartedAt.Time.Equal(started) || !r.FinishedAt.Time.Equal(started.Add(time.Second)) {
		t.Errorf("summary after commit: %+v", r)
	}
	if r.Error != strings.Repeat("é", 500) {
		t.Errorf("the error kept in the summary: %d characters, want the first 500", len([]rune(r.Error)))
	}
}

// A shop made from a spare schema reports under its own role from the
// start: the spare's count moves to the vendor's role when it is claimed,
// and a dropped spare leaves no row behind.
func TestReportsOfSpareSchemas(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	raw := tenanttest.SQL(t, d)
	ctx := context.Background()
	spareRoles := func() []string {
		t.Helper()
		rows, err := raw.QueryContext(ctx, `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) ORDER BY 1`, d.RolePrefix+"_spare_")
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
	if n, err := db.FillSpares(ctx, 1); err != nil || n != 1 {
		t.Fatalf("fill: %d, %v", n, err)
	}
	spare := spareRoles()
	if len(spare) != 1 || figures(t, raw, spare[0]) != 0 {
		t.Fatalf("spare roles %v: want one, reporting 0 products", spare)
	}
	tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: tenanttest.Slug("claimed"), Name: "Claimed"})
	must(t, err)
	if len(spareRoles()) != 0 {
		t.Fatal("the spare was not claimed")
	}
	if got, left := figures(t, raw, tn.Role), figures(t, raw, spare[0]); got != 0 || left != -1 {
		t.Errorf("after the claim: the vendor reports %d products (want 0), the spare's role %d (want no row)", got, left)
	}
	addProduct(t, db, tn, "SKU-1", "claimed")
	if got := figures(t, raw, tn.Role); got != 1 {
		t.Errorf("the claimed shop reports %d products, want 1", got)
	}

	// A spare an older binary made is dropped with its reports.
	if n, err := db.FillSpares(ctx, 1); err != nil || n != 1 {
		t.Fatalf("fill: %d, %v", n, err)
	}
	stale := spareRoles()[0]
	staleSchema := strings.TrimPrefix(stale, d.RolePrefix+"_")
	_, err = raw.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %q.bazaar_schema_revisions WHERE version = (SELECT max(version) FROM %q.bazaar_schema_revisions)`, staleSchema, staleSchema))
	must(t, err)
	if _, err := db.FillSpares(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := figures(t, raw, stale); got != -1 {
		t.Errorf("the dropped spare's role still reports %d products", got)
	}
	var orphans int
	must(t, raw.QueryRowContext(ctx, `SELECT count(*) FROM tenant_reports.vendor_figures f
		WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = f.db_role)`).Scan(&orphans))
	if orphans != 0 {
		t.Errorf("%d figures rows of roles that no longer exist", orphans)
	}
}

// A shop an older binary made — its schema without the reporting triggers,
// products and jobs already there — reports
// from its migration on: its count and its jobs are brought over, and its
// triggers work.
func TestReportsAfterMigration(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	older := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) {
		o.TenantMigrations = withoutMigration(t, entTenant.Migrations, reportsMigration)
	})
	raw := tenanttest.SQL(t, d)
	ctx := context.Background()
	slug := tenanttest.Slug("older")
	tn, err := older.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Older"})
	must(t, err)
	var jobs []int
	must(t, older.Tx(ctx, tn, func(ctx context.Context) error {
		if err := rawExec(ctx, `INSERT INTO products (sku, title, price_cents, currency, status, created_at, updated_at)
			SELECT 'S-' || g, '{}', 100, 'EUR', 'draft', now(), now() FROM generate_series(1, 3) g`); err != nil {
			return err
		}
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		for _, st := range []importjob.Status{importjob.StatusSucceeded, importjob.StatusFailed} {
			j, err := c.ImportJob.Create().SetLanguages([]schema.LanguageRun{}).SetStatus(st).Save(ctx)
			if err != nil {
				return err
			}
			jobs = append(jobs, j.ID)
		}
		return nil
	}))
	if got := figures(t, raw, tn.Role); got != -1 {
		t.Fatalf("before its migration the shop reports %d products", got)
	}

	newer := tenanttest.OpenDatabase(t, d) // the test's database goes with its roles when it ends
	if _, err := newer.MigrateAll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := figures(t, raw, tn.Role); got != 3 {
		t.Errorf("after its migration the shop reports %d products, want 3", got)
	}
	for i, want := range []string{"succeeded", "failed"} {
		if r, err := reportOf(ctx, raw, tn.Role, jobs[i]); err != nil || r.Status != want {
			t.Errorf("job %d brought over as %+v, %v; want %s", jobs[i], r, err, want)
		}
	}
	tn, err = newer.TenantBySlug(ctx, slug)
	must(t, err)
	addProduct(t, newer, tn, "S-4", "after")
	must(t, newer.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.ImportJob.UpdateOneID(jobs[1]).SetError("seen").Exec(ctx)
	}))
	if got := figures(t, raw, tn.Role); got != 4 {
		t.Errorf("after an insert the shop reports %d products, want 4", got)
	}
	if r, err := reportOf(ctx, raw, tn.Role, jobs[1]); err != nil || r.Error != "seen" {
		t.Errorf("an update after the migration: %+v, %v", r, err)
	}

	// Deleting the vendor removes its reports.
	must(t, newer.Delete(ctx, slug))
	var left int
	must(t, raw.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM tenant_reports.import_jobs WHERE db_role = $1)
		+ (SELECT count(*) FROM tenant_reports.vendor_figures WHERE db_role = $1)`, tn.Role).Scan(&left))
	if left != 0 {
		t.Errorf("%d report rows left after the vendor was deleted", left)
	}
}
