package tenantdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// catalogState is what provisioning may leave behind for a slug.
type catalogState struct {
	vendorRow, schema, role bool
}

func stateOf(t *testing.T, db *tenantdb.DB, slug, prefix string) catalogState {
	t.Helper()
	var s catalogState
	pool := tenantdb.Pool(db)
	ctx := context.Background()
	must(t, pool.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM platform.vendors WHERE slug = $1)`, slug).Scan(&s.vendorRow))
	must(t, pool.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, tenantdb.SchemaName(slug)).Scan(&s.schema))
	must(t, pool.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, tenantdb.RoleName(prefix, slug)).Scan(&s.role))
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestProvision(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	db := tenanttest.Open(t)
	ctx := context.Background()

	t.Run("CreatesSchemaRoleTablesAndRegistry", func(t *testing.T) {
		tn := tenanttest.Tenant(t, db, "prov")
		if got := stateOf(t, db, tn.Slug, d.RolePrefix); got != (catalogState{true, true, true}) {
			t.Fatalf("state = %+v", got)
		}
		if tn.SchemaVersion != db.TenantLatest() || !tn.Active() {
			t.Errorf("tenant = %+v, want active at %s", tn, db.TenantLatest())
		}
		var canLogin bool
		must(t, tenantdb.Pool(db).QueryRowContext(ctx, `SELECT rolcanlogin FROM pg_roles WHERE rolname = $1`, tn.Role).Scan(&canLogin))
		if canLogin {
			t.Error("tenant role can log in; want NOLOGIN")
		}
		var revisions int
		must(t, tenantdb.Pool(db).QueryRowContext(ctx, `SELECT count(*) FROM `+tn.Schema+`.bazaar_schema_revisions`).Scan(&revisions))
		if revisions == 0 {
			t.Error("no revisions recorded in the tenant schema")
		}
	})

	t.Run("TenantRoleHasItsTablesAndNothingElse", func(t *testing.T) {
		a := tenanttest.Tenant(t, db, "priv-a")
		b := tenanttest.Tenant(t, db, "priv-b")
		checks := []struct {
			query string
			want  bool
		}{
			{fmt.Sprintf(`SELECT has_table_privilege('%s', '%s.products', 'SELECT,INSERT,UPDATE,DELETE')`, a.Role, a.Schema), true},
			{fmt.Sprintf(`SELECT has_schema_privilege('%s', '%s', 'USAGE')`, a.Role, a.Schema), true},
			{fmt.Sprintf(`SELECT has_schema_privilege('%s', '%s', 'CREATE')`, a.Role, a.Schema), false},
			{fmt.Sprintf(`SELECT has_table_privilege('%s', '%s.products', 'TRUNCATE')`, a.Role, a.Schema), false},
			{fmt.Sprintf(`SELECT has_table_privilege('%s', '%s.bazaar_schema_revisions', 'SELECT,INSERT,UPDATE,DELETE')`, a.Role, a.Schema), false},
			{fmt.Sprintf(`SELECT has_schema_privilege('%s', '%s', 'USAGE')`, a.Role, b.Schema), false},
			{fmt.Sprintf(`SELECT has_table_privilege('%s', '%s.products', 'SELECT')`, a.Role, b.Schema), false},
			{fmt.Sprintf(`SELECT has_schema_privilege('%s', 'platform', 'USAGE')`, a.Role), false},
			{fmt.Sprintf(`SELECT has_database_privilege('%s', current_database(), 'TEMPORARY')`, a.Role), false},
			// Its reports, and no more of them (RLS keeps it to its own rows).
			{fmt.Sprintf(`SELECT has_schema_privilege('%s', 'tenant_reports', 'USAGE')`, a.Role), true},
			{fmt.Sprintf(`SELECT has_schema_privilege('%s', 'tenant_reports', 'CREATE')`, a.Role), false},
			{fmt.Sprintf(`SELECT has_table_privilege('%s', 'tenant_reports.import_jobs', 'SELECT,INSERT,UPDATE')`, a.Role), true},
			{fmt.Sprintf(`SELECT has_table_privilege('%s', 'tenant_reports.vendor_figures', 'SELECT,INSERT,UPDATE')`, a.Role), true},
			{fmt.Sprintf(`SELECT has_table_privilege('%s', 'tenant_reports.import_jobs', 'DELETE')`, a.Role), false},
			{fmt.Sprintf(`SELECT has_table_privilege('%s', 'tenant_reports.vendor_figures', 'DELETE')`, a.Role), false},
			{fmt.Sprintf(`SELECT has_table_privilege('%s', 'tenant_reports.import_jobs', 'TRUNCATE')`, a.Role), false},
		}
		for _, c := range checks {
			var got bool
			must(t, tenantdb.Pool(db).QueryRowContext(ctx, c.query).Scan(&got))
			if got != c.want {
				t.Errorf("%s = %v, want %v", c.query, got, c.want)
			}
		}
	})

	t.Run("InvalidInputNamesEveryField", func(t *testing.T) {
		_, err := db.Provision(ctx, tenantdb.NewVendor{Slug: "Bad_Slug", Name: " ", BusinessEmail: "not-an-email", BusinessCountry: "Luxembourg"})
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Invalid {
			t.Fatalf("err = %v, want invalid", err)
		}
		for _, f := range []string{"slug", "name", "business_email", "business_country"} {
			if fe.Fields[f] == "" {
				t.Errorf("field %s not reported: %v", f, fe.Fields)
			}
		}
	})

	t.Run("SecondProvisionOfSlugConflicts", func(t *testing.T) {
		tn := tenanttest.Tenant(t, db, "dup")
		_, err := db.Provision(ctx, tenantdb.NewVendor{Slug: tn.Slug, Name: "Again"})
		if !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
}

func TestProvisionAtomicity(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	ctx := context.Background()

	// An error after any step — as a crash there would — leaves nothing
	// visible, and a retry then succeeds.
	for _, step := range tenantdb.ProvisionSteps {
		t.Run("FaultAfter/"+step, func(t *testing.T) {
			db := tenanttest.Open(t)
			slug := tenanttest.Slug("fault")
			injected := errors.New("injected fault")
			tenantdb.SetFaultHook(db, func(s string) error {
				if s == step {
					return injected
				}
				return nil
			})
			_, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Faulty"})
			if !errors.Is(err, injected) {
				t.Fatalf("err = %v, want the injected fault", err)
			}
			if got := stateOf(t, db, slug, d.RolePrefix); got != (catalogState{}) {
				t.Fatalf("after a fault at %s: %+v, want nothing", step, got)
			}
			tenantdb.SetFaultHook(db, nil)
			if _, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Retried"}); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if err := db.Delete(ctx, slug); err != nil {
				t.Fatal(err)
			}
		})
	}

	// The server side dying mid-transaction (the backend is killed between
	// steps) also leaves nothing.
	t.Run("BackendKilledMidway", func(t *testing.T) {
		db := tenanttest.Open(t)
		killer := tenanttest.Open(t)
		slug := tenanttest.Slug("killed")
		tenantdb.SetFaultHook(db, func(s string) error {
			if s != "grants" {
				return nil
			}
			_, err := tenantdb.Pool(killer).ExecContext(ctx, `
				SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`)
			return err
		})
		if _, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Killed"}); err == nil {
			t.Fatal("provisioning survived its backend being killed")
		}
		if got := stateOf(t, killer, slug, d.RolePrefix); got != (catalogState{}) {
			t.Fatalf("after the kill: %+v, want nothing", got)
		}
	})

	t.Run("ConcurrentSameSlug", func(t *testing.T) {
		db := tenanttest.Open(t)
		slug := tenanttest.Slug("race")
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: fmt.Sprintf("Racer %d", i)})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, fault.ErrConflict):
				if !strings.Contains(err.Error(), "already exists") {
					t.Errorf("conflict message is unclear: %v", err)
				}
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d provisions won, want exactly 1", won)
		}
		must(t, db.Delete(ctx, slug))
	})
}

func TestSuspendResumeDelete(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	db := tenanttest.Open(t)
	ctx := context.Background()
	slug := tenanttest.Slug("life")
	tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Lifecycle"})
	must(t, err)
	must(t, db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.Product.Create().SetSku("KEEP").SetTitle(map[string]string{"en": "kept"}).SetPriceCents(1).Exec(ctx)
	}))

	s, err := db.SetStatus(ctx, slug, tenantdb.StatusSuspended, "unpaid invoice")
	must(t, err)
	if s.Active() {
		t.Fatal("still active after suspend")
	}
	r, err := db.SetStatus(ctx, slug, tenantdb.StatusActive, "")
	must(t, err)
	var n int
	must(t, db.ReadTx(ctx, r, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		n, err = c.Product.Query().Count(ctx)
		return err
	}))
	if !r.Active() || n != 1 {
		t.Fatalf("after resume: active=%v products=%d, want active with its data", r.Active(), n)
	}
	if _, err := db.SetStatus(ctx, "no-such-vendor", tenantdb.StatusSuspended, ""); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("suspend unknown: %v", err)
	}

	must(t, db.Delete(ctx, slug))
	if got := stateOf(t, db, slug, d.RolePrefix); got != (catalogState{}) {
		t.Fatalf("after delete: %+v", got)
	}
	if err := db.Delete(ctx, slug); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("second delete: %v, want not found", err)
	}
}

// sqlStateOf extracts the SQLSTATE of a PostgreSQL error.
func sqlStateOf(err error) string {
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return pe.SQLState()
	}
	return ""
}
