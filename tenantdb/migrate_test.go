package tenantdb_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"ariga.io/atlas/sql/migrate"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// withMigration returns the tenant migration directory plus one more file,
// with atlas.sum recomputed as cmd/schemadiff would.
func withMigration(t testing.TB, base fs.FS, name, sql string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	names, err := fs.Glob(base, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var files []migrate.File
	for _, n := range names {
		b, err := fs.ReadFile(base, n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = &fstest.MapFile{Data: b}
		files = append(files, migrate.NewLocalFile(n, b))
	}
	out[name] = &fstest.MapFile{Data: []byte(sql)}
	files = append(files, migrate.NewLocalFile(name, []byte(sql)))
	slices.SortFunc(files, func(a, b migrate.File) int { return strings.Compare(a.Name(), b.Name()) })
	sum, err := migrate.NewHashFile(files)
	if err != nil {
		t.Fatal(err)
	}
	text, err := sum.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	out[migrate.HashFileName] = &fstest.MapFile{Data: text}
	return out
}

const (
	rolloutFile    = "29990101000000_add_note.sql"
	rolloutVersion = "29990101000000"
	rolloutSQL     = "ALTER TABLE \"products\" ADD COLUMN \"note\" text NOT NULL DEFAULT '';\nCREATE INDEX \"product_note\" ON \"products\" (\"note\");\n"

	migrateChildEnv = "BAZAAR_TEST_MIGRATE_CHILD"
)

// migrateChild is the child process of the rollout test: `migrate` with the
// extra migration, slowed down so the parent can kill it midway.
func migrateChild() int {
	var d tenanttest.Database
	d.URL, d.RolePrefix = os.Getenv("CHILD_URL"), os.Getenv("CHILD_PREFIX")
	opts := d.Options()
	opts.MigrateParallel = 2
	opts.TenantMigrations = withMigration(&fakeTB{}, tenant.Migrations, rolloutFile, rolloutSQL)
	db, err := tenantdb.Open(context.Background(), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, _ = db.MigrateAll(context.Background(), func(tenantdb.TenantMigration) { time.Sleep(10 * time.Millisecond) })
	return 0
}

// fakeTB lets withMigration run outside a test.
type fakeTB struct{ testing.TB }

func (fakeTB) Helper()           {}
func (fakeTB) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

func TestMigrateAllRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("provisions 200 tenants")
	}
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	ctx := context.Background()

	const n = 200
	slugs := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range n {
		slugs[i] = fmt.Sprintf("roll-%03d", i)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slugs[i], Name: slugs[i]}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// One tenant cannot take the migration: its schema already has the column.
	broken := slugs[137]
	_, err := tenantdb.Pool(db).ExecContext(ctx, `ALTER TABLE `+tenantdb.SchemaName(broken)+`.products ADD COLUMN note integer`)
	must(t, err)

	// Run migrate in a child process and kill it once it is under way.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), migrateChildEnv+"=1", "CHILD_URL="+d.URL, "CHILD_PREFIX="+d.RolePrefix)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	migratedCount := func() int {
		var c int
		must(t, tenantdb.Pool(db).QueryRowContext(ctx, `SELECT count(*) FROM platform.vendors WHERE schema_version = $1`, rolloutVersion).Scan(&c))
		return c
	}
	deadline := time.Now().Add(time.Minute)
	for migratedCount() < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()
	atKill := migratedCount()
	if atKill < 20 || atKill >= n-1 {
		t.Fatalf("killed with %d tenants migrated; the test wants a kill midway", atKill)
	}
	t.Logf("child killed after %d of %d tenants", atKill, n)

	// Every tenant is all or nothing: the column exists exactly where the
	// revision was recorded.
	var inconsistent int
	for _, s := range slugs {
		if s == broken {
			continue
		}
		var hasColumn, hasRevision bool
		must(t, tenantdb.Pool(db).QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'products' AND column_name = 'note'),
			EXISTS (SELECT 1 FROM `+tenantdb.SchemaName(s)+`.bazaar_schema_revisions WHERE version = $2)`,
			tenantdb.SchemaName(s), rolloutVersion).Scan(&hasColumn, &hasRevision))
		if hasColumn != hasRevision {
			inconsistent++
		}
	}
	if inconsistent > 0 {
		t.Fatalf("%d tenants half-migrated after the kill", inconsistent)
	}

	// The re-run finishes the job and reports the broken tenant.
	next := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) {
		o.TenantMigrations = withMigration(t, tenant.Migrations, rolloutFile, rolloutSQL)
	})
	var failed []tenantdb.TenantMigration
	sum, err := next.MigrateAll(ctx, func(r tenantdb.TenantMigration) {
		if r.Err != nil {
			failed = append(failed, r)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "1 of 200 tenants failed") {
		t.Errorf("err = %v, want a report of one failure", err)
	}
	if sum.Failed != 1 || sum.Migrated+sum.Current != n-1 || sum.Current < atKill {
		t.Errorf("summary %+v (killed at %d)", sum, atKill)
	}
	if len(failed) != 1 || failed[0].Tenant.Slug != broken || !strings.Contains(failed[0].Err.Error(), "already exists") {
		t.Fatalf("failures = %+v, want %s with its cause", failed, broken)
	}
	if got := migratedCount(); got != n-1 {
		t.Errorf("%d tenants at %s, want %d", got, rolloutVersion, n-1)
	}

	states, err := next.States(ctx)
	must(t, err)
	for _, s := range states {
		wantBehind := s.Tenant.Slug == broken
		if s.Behind != wantBehind || (wantBehind && !strings.Contains(s.LastError, "already exists")) || s.Err != nil {
			t.Errorf("status of %s: %+v", s.Tenant.Slug, s)
		}
	}

	// A second re-run is cheap: everything healthy is current.
	sum, _ = next.MigrateAll(ctx, nil)
	if sum.Current != n-1 || sum.Migrated != 0 || sum.Failed != 1 {
		t.Errorf("second re-run: %+v", sum)
	}

	// Fix the broken tenant by hand; the next run migrates it and clears its error.
	_, err = tenantdb.Pool(db).ExecContext(ctx, `ALTER TABLE `+tenantdb.SchemaName(broken)+`.products DROP COLUMN note`)
	must(t, err)
	sum, err = next.MigrateAll(ctx, nil)
	if err != nil || sum.Migrated != 1 {
		t.Fatalf("after the fix: %+v, %v", sum, err)
	}
	states, err = next.States(ctx)
	must(t, err)
	for _, s := range states {
		if s.Behind || s.LastError != "" {
			t.Errorf("after the fix %s: %+v", s.Tenant.Slug, s)
		}
	}

	// A binary without the new migration sees these schemas as current
	// (ahead), not as something to undo.
	if sum, err := db.MigrateAll(ctx, nil); err != nil || sum.Current != n {
		t.Errorf("older binary: %+v, %v", sum, err)
	}
}

func TestMigratePlatformConcurrently(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		db := tenanttest.OpenDatabase(t, d)
		wg.Go(func() { _, errs[i] = db.MigratePlatform(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	db := tenanttest.OpenDatabase(t, d)
	ok, err := db.PlatformCurrent(ctx)
	if err != nil || !ok {
		t.Fatalf("platform current = %v, %v", ok, err)
	}
}

func TestMigrationSourceIntegrity(t *testing.T) {
	good := withMigration(t, tenant.Migrations, rolloutFile, rolloutSQL)
	if _, err := tenantdb.LoadSource(good); err != nil {
		t.Fatal(err)
	}
	tampered := fstest.MapFS{}
	for k, v := range good.(fstest.MapFS) {
		tampered[k] = v
	}
	tampered[rolloutFile] = &fstest.MapFile{Data: []byte(rolloutSQL + "DROP TABLE products;\n")}
	if _, err := tenantdb.LoadSource(tampered); err == nil || !strings.Contains(err.Error(), "atlas.sum") {
		t.Errorf("tampered file: err = %v, want an atlas.sum mismatch", err)
	}
	noSum := fstest.MapFS{rolloutFile: &fstest.MapFile{Data: []byte(rolloutSQL)}}
	if _, err := tenantdb.LoadSource(noSum); err == nil {
		t.Error("directory without atlas.sum accepted")
	}
}

func TestMigrateRefusesRewrittenOrOutOfOrderHistory(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) {
		o.TenantMigrations = withMigration(t, tenant.Migrations, rolloutFile, rolloutSQL)
	})
	ctx := context.Background()
	tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: "history", Name: "History"})
	must(t, err)

	// A binary whose copy of an applied file differs.
	edited := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) {
		o.TenantMigrations = withMigration(t, tenant.Migrations, rolloutFile, rolloutSQL+"-- edited\n")
	})
	if r := edited.MigrateTenant(ctx, tn); r.Err == nil || !strings.Contains(r.Err.Error(), "changed after it was applied") {
		t.Errorf("edited file: %v", r.Err)
	}
	// A binary with a new file older than what is applied.
	older := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) {
		o.TenantMigrations = withMigration(t, withMigration(t, tenant.Migrations, rolloutFile, rolloutSQL),
			"20000101000000_late.sql", "SELECT 1;\n")
	})
	if r := older.MigrateTenant(ctx, tn); r.Err == nil || !strings.Contains(r.Err.Error(), "older than the applied") {
		t.Errorf("out-of-order file: %v", r.Err)
	}
	var lastErr string
	must(t, tenantdb.Pool(db).QueryRowContext(ctx, `SELECT migration_error FROM platform.vendors WHERE id = $1`, tn.ID).Scan(&lastErr))
	if lastErr == "" {
		t.Error("the failure was not recorded on the vendor")
	}
}
