package tenantdb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// rawExec runs SQL inside the bound transaction of ctx.
func rawExec(ctx context.Context, query string) error {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	_, err = c.ExecContext(ctx, query)
	return err
}

func addProduct(t *testing.T, db *tenantdb.DB, tn *tenantdb.Tenant, sku, name string) {
	t.Helper()
	must(t, insertProduct(context.Background(), db, tn, sku, name))
}

func insertProduct(ctx context.Context, db *tenantdb.DB, tn *tenantdb.Tenant, sku, name string) error {
	return db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.Product.Create().SetSku(sku).SetTitle(map[string]string{"en": name}).SetPriceCents(100).Exec(ctx)
	})
}

// The wall is PostgreSQL's own: even SQL that names another schema outright
// is refused inside a bound transaction — directly and through PgBouncer.
func TestWall(t *testing.T) { tenanttest.EachRoute(t, testWall) }

func testWall(t *testing.T, route tenanttest.Route) {
	db := tenanttest.OpenDatabase(t, route(tenanttest.PackageDatabase(t)))
	ctx := context.Background()
	a := tenanttest.Tenant(t, db, "wall-a")
	b := tenanttest.Tenant(t, db, "wall-b")
	addProduct(t, db, a, "SAME-SKU", "A's product")
	addProduct(t, db, b, "SAME-SKU", "B's product")

	t.Run("EachSeesOnlyItsOwnRows", func(t *testing.T) {
		for tn, want := range map[*tenantdb.Tenant]string{a: "A's product", b: "B's product"} {
			must(t, db.ReadTx(ctx, tn, func(ctx context.Context) error {
				c, _ := tenantdb.Current(ctx)
				ps, err := c.Product.Query().All(ctx)
				if err != nil {
					return err
				}
				if len(ps) != 1 || ps[0].Title["en"] != want {
					t.Errorf("%s sees %v, want only %q", tn.Slug, ps, want)
				}
				return nil
			}))
		}
	})

	denied := []struct {
		name  string
		query string
	}{
		{"ReadOtherTenant", fmt.Sprintf(`SELECT * FROM %q.products`, b.Schema)},
		{"WriteOtherTenant", fmt.Sprintf(`UPDATE %q.products SET sku = 'pwned'`, b.Schema)},
		{"ReadPlatform", `SELECT * FROM platform.vendors`},
		{"ReadOwnRevisions", `SELECT * FROM bazaar_schema_revisions`},
		{"CreateInOwnSchema", `CREATE TABLE sneaky (id int)`},
		{"TemporaryTable", `CREATE TEMP TABLE products (id int)`},
	}
	for _, d := range denied {
		t.Run("Denied/"+d.name, func(t *testing.T) {
			err := db.Tx(ctx, a, func(ctx context.Context) error { return rawExec(ctx, d.query) })
			if got := sqlStateOf(err); got != "42501" {
				t.Fatalf("%s: err = %v (SQLSTATE %q), want permission denied (42501)", d.query, err, got)
			}
		})
	}

	t.Run("CurrentFailsClosed", func(t *testing.T) {
		if _, err := tenantdb.Current(ctx); !errors.Is(err, tenantdb.ErrNotBound) {
			t.Fatalf("err = %v, want ErrNotBound", err)
		}
		if _, err := tenantdb.CurrentTenant(ctx); !errors.Is(err, tenantdb.ErrNotBound) {
			t.Fatalf("CurrentTenant: err = %v, want ErrNotBound", err)
		}
	})

	t.Run("NestedTxJoinsSameTenantRefusesAnother", func(t *testing.T) {
		err := db.Tx(ctx, a, func(ctx context.Context) error {
			if err := db.Tx(ctx, a, func(ctx context.Context) error { return nil }); err != nil {
				return fmt.Errorf("joining the same tenant: %w", err)
			}
			if err := db.Tx(ctx, b, func(ctx context.Context) error { return nil }); err == nil {
				return errors.New("a context bound to A opened a transaction for B")
			}
			return nil
		})
		must(t, err)
	})

	t.Run("PlatformWorkWithBoundContextIsNotBound", func(t *testing.T) {
		// The binding rides on BeginTx only: platform queries made with a
		// bound context run as the application role, unbound.
		must(t, db.ReadTx(ctx, a, func(ctx context.Context) error {
			_, err := db.Platform().Vendor.Query().Count(ctx)
			return err
		}))
	})
}

// Only a bound transaction's context yields a tenant client. The unbound
// paths around the wall are refused unless the DB was opened for
// benchmarks, and a context bound to one tenant does no work for another.
// (The platform client is out of the web layer's reach at compile time:
// it holds a web.Database, not a *DB.)
func TestUnboundIsRefused(t *testing.T) { tenanttest.EachRoute(t, testUnboundIsRefused) }

func testUnboundIsRefused(t *testing.T, route tenanttest.Route) {
	d := route(tenanttest.PackageDatabase(t))
	db := tenanttest.OpenDatabase(t, d)
	ctx := context.Background()
	a := tenanttest.Tenant(t, db, "unbound-a")
	b := tenanttest.Tenant(t, db, "unbound-b")
	addProduct(t, db, a, "A-1", "A's product")
	notBound := func(t *testing.T, ctx context.Context) {
		t.Helper()
		if c, err := tenantdb.Current(ctx); !errors.Is(err, tenantdb.ErrNotBound) {
			t.Errorf("Current = %v, %v; want ErrNotBound", c, err)
		}
		if tn, err := tenantdb.CurrentTenant(ctx); !errors.Is(err, tenantdb.ErrNotBound) {
			t.Errorf("CurrentTenant = %v, %v; want ErrNotBound", tn, err)
		}
	}

	t.Run("UnboundWithoutTheOption", func(t *testing.T) {
		uctx, err := db.Unbound(ctx, a)
		if err == nil {
			t.Error("Unbound made a context on a DB opened without AllowUnbound")
		}
		notBound(t, uctx) // a caller that ignores the error finds nothing bound
	})

	t.Run("HandMadeBinding", func(t *testing.T) {
		forged := tenantdb.HandMadeBinding(ctx, db, a)
		notBound(t, forged)
		if err := db.Tx(forged, a, func(context.Context) error { return nil }); err == nil {
			t.Error("Tx joined a hand-made binding")
		}
	})

	t.Run("UnboundWithTheOption", func(t *testing.T) {
		bench := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) { o.AllowUnbound = true })
		uctx, err := bench.Unbound(ctx, a)
		must(t, err)
		c, err := tenantdb.Current(uctx)
		must(t, err)
		if n, err := c.Product.Query().Count(uctx); err != nil || n != 1 {
			t.Errorf("the baseline reads %d products (%v), want 1", n, err)
		}
	})

	// Tx and ReadTx check it themselves (TestWall); methods that take a
	// tenant because they open their own transactions check it first.
	t.Run("AnotherTenantIsRefused", func(t *testing.T) {
		must(t, db.Tx(ctx, a, func(ctx context.Context) error {
			if err := tenantdb.CheckTenant(ctx, a); err != nil {
				t.Errorf("CheckTenant of the bound tenant: %v", err)
			}
			if err := tenantdb.CheckTenant(ctx, b); !errors.Is(err, tenantdb.ErrOtherTenant) {
				t.Errorf("CheckTenant of B in A's transaction: %v, want ErrOtherTenant", err)
			}
			return nil
		}))
		if err := tenantdb.CheckTenant(ctx, b); err != nil {
			t.Errorf("CheckTenant with nothing bound: %v", err)
		}
	})
}

// pooledStates reads the state of every connection db's work may be handed
// next: the pool's idle ones, or through PgBouncer every server connection it
// holds to d.
func pooledStates(t *testing.T, db *tenantdb.DB, d *tenanttest.Database) []tenantdb.SessionState {
	t.Helper()
	states := tenanttest.PooledSessions(t, db, d)
	if len(states) == 0 {
		t.Fatal("no connection to inspect")
	}
	return states
}

// defaultState is the state of a connection straight to the server that has
// never been bound. Through PgBouncer the server connections must look the
// same: the statement timeout there is the role's setting in the database,
// and it is the one the connection would have set.
func defaultState(t *testing.T) tenantdb.SessionState {
	t.Helper()
	fresh := tenanttest.Open(t, func(o *tenantdb.Options) { o.MaxOpenConns, o.MaxIdleConns = 1, 1 })
	must(t, fresh.Ping(context.Background()))
	states, err := fresh.IdleSessions(context.Background())
	must(t, err)
	if len(states) == 0 {
		t.Fatal("no idle connection to learn the defaults from")
	}
	return states[0]
}

// Nothing tenant-specific survives a transaction on its connection, however
// the transaction ends — nor on PgBouncer's server connections.
func TestNothingSurvivesTheTransaction(t *testing.T) {
	tenanttest.EachRoute(t, testNothingSurvivesTheTransaction)
}

func testNothingSurvivesTheTransaction(t *testing.T, route tenanttest.Route) {
	d := route(tenanttest.PackageDatabase(t))
	db := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) { o.MaxOpenConns, o.MaxIdleConns = 1, 1 })
	ctx := context.Background()
	tn := tenanttest.Tenant(t, db, "leak")
	must(t, db.Tx(ctx, tn, func(context.Context) error { return nil }))
	want := defaultState(t)
	if want.Role != "none" || want.InTransaction {
		t.Fatalf("unexpected defaults %+v", want)
	}

	endings := []struct {
		name string
		run  func() error
	}{
		{"Commit", func() error {
			return db.Tx(ctx, tn, func(ctx context.Context) error { return rawExec(ctx, "SELECT 1") })
		}},
		{"Rollback", func() error {
			return db.Tx(ctx, tn, func(ctx context.Context) error { return errors.New("handler failed") })
		}},
		{"StatementError", func() error {
			return db.Tx(ctx, tn, func(ctx context.Context) error { return rawExec(ctx, "SELECT 1/0") })
		}},
		{"ReadOnly", func() error {
			return db.ReadTx(ctx, tn, func(ctx context.Context) error { return rawExec(ctx, "SELECT 1") })
		}},
		{"Panic", func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("recovered %v", p)
				}
			}()
			return db.Tx(ctx, tn, func(ctx context.Context) error { panic("handler panicked") })
		}},
		{"ContextCancelledMidQuery", func() error {
			cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			return db.Tx(cctx, tn, func(ctx context.Context) error { return rawExec(ctx, "SELECT pg_sleep(5)") })
		}},
		{"PlainSetInsideTransaction", func() error {
			// A careless session-level SET inside a bound transaction is
			// rolled back with it.
			return db.Tx(ctx, tn, func(ctx context.Context) error {
				if err := rawExec(ctx, "SET statement_timeout = 1234"); err != nil {
					return err
				}
				return errors.New("and then fail")
			})
		}},
	}
	for _, e := range endings {
		t.Run(e.name, func(t *testing.T) {
			_ = e.run()
			must(t, db.Ping(ctx)) // ensure a connection is back in the pool
			for _, got := range pooledStates(t, db, d) {
				if got != want {
					t.Fatalf("connection after %s: %+v, want %+v", e.name, got, want)
				}
			}
		})
	}
}

// A binding that cannot be established (its role is gone) fails clearly and
// leaves no transaction open on the connection.
func TestBindFailureLeavesConnectionClean(t *testing.T) {
	tenanttest.EachRoute(t, testBindFailureLeavesConnectionClean)
}

func testBindFailureLeavesConnectionClean(t *testing.T, route tenanttest.Route) {
	d := route(tenanttest.PackageDatabase(t))
	db := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) { o.MaxOpenConns, o.MaxIdleConns = 1, 1 })
	ctx := context.Background()
	tn := tenanttest.Tenant(t, db, "norole")
	// A tenant value not obtained from the DB has no binding and is refused.
	handMade := &tenantdb.Tenant{ID: tn.ID, Slug: tn.Slug, Schema: tn.Schema, Role: tn.Role}
	if err := db.Tx(ctx, handMade, func(context.Context) error { return nil }); err == nil {
		t.Fatal("a hand-made tenant was bound")
	}
	_, err := tenantdb.Pool(db).ExecContext(ctx, `ALTER ROLE `+tn.Role+` RENAME TO `+tn.Role+`_gone`)
	must(t, err)
	defer tenantdb.Pool(db).ExecContext(ctx, `ALTER ROLE `+tn.Role+`_gone RENAME TO `+tn.Role) //nolint:errcheck
	err = db.Tx(ctx, tn, func(context.Context) error { return nil })
	if err == nil {
		t.Fatal("bound to a role that does not exist")
	}
	for _, s := range pooledStates(t, db, d) {
		if s.InTransaction || s.Role != "none" {
			t.Fatalf("connection left %+v", s)
		}
	}
}

// AfterCommit hooks run once the transaction commits, and never after a
// rollback.
func TestAfterCommit(t *testing.T) {
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "hook")
	ran := 0
	must(t, db.Tx(context.Background(), tn, func(ctx context.Context) error {
		tenantdb.AfterCommit(ctx, func() { ran++ })
		if ran != 0 {
			t.Fatal("hook ran before the commit")
		}
		return nil
	}))
	if ran != 1 {
		t.Fatalf("after commit: hook ran %d times, want 1", ran)
	}
	boom := errors.New("boom")
	err := db.Tx(context.Background(), tn, func(ctx context.Context) error {
		tenantdb.AfterCommit(ctx, func() { ran++ })
		return boom
	})
	if !errors.Is(err, boom) || ran != 1 {
		t.Fatalf("after rollback: err %v, hook ran %d times in all, want 1", err, ran)
	}
	tenantdb.AfterCommit(context.Background(), func() { ran++ })
	if ran != 2 {
		t.Fatal("without a transaction the hook must run at once")
	}
}

// Platform and tenant transactions alternate on one connection, the platform
// ones under cancellable contexts as in a request. lib/pq would leave each
// platform transaction's cancel watcher behind for the next (bound)
// transactions to finish again: the third finish panics ("attempt to set nil
// err") while the context lives, and closes the connection once it has ended.
// The connector never lets lib/pq arm one.
func TestAlternatingTransactionsOnOneConnection(t *testing.T) {
	tenanttest.EachRoute(t, testAlternatingTransactionsOnOneConnection)
}

func testAlternatingTransactionsOnOneConnection(t *testing.T, route tenanttest.Route) {
	db := tenanttest.OpenDatabase(t, route(tenanttest.PackageDatabase(t)), func(o *tenantdb.Options) {
		o.MaxOpenConns, o.MaxIdleConns = 1, 1
		o.TenantLanes = 0 // platform and tenant transactions on the one connection
	})
	tn := tenanttest.Tenant(t, db, "alt")
	read := func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		_, err = c.Product.Query().Count(ctx)
		return err
	}
	for range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // alive while the bound transactions run, as a request's context is
		tx, err := db.Platform().Tx(ctx)
		must(t, err)
		if _, err := tx.Vendor.Query().Count(ctx); err != nil {
			t.Fatal(err)
		}
		must(t, tx.Commit())
		must(t, db.ReadTx(context.Background(), tn, read))
		must(t, db.ReadTx(context.Background(), tn, read))
		must(t, db.Tx(ctx, tn, read))
	}
}

// TestApplicationName: every connection says which program opened it — the
// pool's, the LISTEN session's and a side pool's — unless the URL names it.
// Through PgBouncer too: it passes application_name on to the server
// connection it lends.
func TestApplicationName(t *testing.T) { tenanttest.EachRoute(t, testApplicationName) }

func testApplicationName(t *testing.T, route tenanttest.Route) {
	d := route(tenanttest.PackageDatabase(t))
	ctx := context.Background()
	name := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) string {
		t.Helper()
		var n string
		must(t, q.QueryRowContext(ctx, `SELECT current_setting('application_name')`).Scan(&n))
		return n
	}
	db := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) { o.ApplicationName = "bazaar test-names" })
	if got := name(tenantdb.Pool(db)); got != "bazaar test-names" {
		t.Errorf("pool: %q", got)
	}
	side, err := db.OpenSidePool(ctx, "queue", 1)
	must(t, err)
	defer side.Close()
	if got := name(side); got != "bazaar test-names queue" {
		t.Errorf("side pool: %q", got)
	}
	l := db.NewListener()
	l.Subscribe("bazaar_test_names", tenantdb.Subscriber{Notify: func(string) {}, Reset: func() {}})
	must(t, l.Start(ctx))
	defer l.Close()
	var listening int
	must(t, tenantdb.Pool(db).QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'bazaar test-names listen'`).Scan(&listening))
	if listening != 1 {
		t.Errorf("%d LISTEN sessions named \"bazaar test-names listen\", want 1", listening)
	}

	named := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) {
		u, err := url.Parse(o.URL)
		must(t, err)
		q := u.Query()
		q.Set("application_name", "pinned")
		u.RawQuery = q.Encode()
		o.URL, o.ApplicationName = u.String(), "bazaar ignored"
	})
	if got := name(tenantdb.Pool(named)); got != "pinned" {
		t.Errorf("an application_name in the URL must win: %q", got)
	}
}

// rawRows runs SQL inside the bound transaction of ctx and says how many rows
// it affected.
func rawRows(ctx context.Context, query string) (int64, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return 0, err
	}
	res, err := c.ExecContext(ctx, query)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// The one platform-side place a tenant role writes, tenant_reports, has a
// wall of its own, PostgreSQL's row level security on the role's name: inside
// A's bound transaction A reads, adds and changes only rows of its own role;
// B's rows are invisible and out of reach, a row claiming B's role is
// refused, and nobody deletes. The application role reads every vendor's.
// Directly and through PgBouncer.
func TestReportsWall(t *testing.T) { tenanttest.EachRoute(t, testReportsWall) }

func testReportsWall(t *testing.T, route tenanttest.Route) {
	d := route(tenanttest.PackageDatabase(t))
	db := tenanttest.OpenDatabase(t, d)
	raw := tenanttest.SQL(t, d)
	ctx := context.Background()
	a := tenanttest.Tenant(t, db, "reports-a")
	b := tenanttest.Tenant(t, db, "reports-b")
	for _, tn := range []*tenantdb.Tenant{a, b} {
		addProduct(t, db, tn, "SKU-1", "a product")
		must(t, db.Tx(ctx, tn, func(ctx context.Context) error {
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			return c.ImportJob.Create().SetLanguages([]schema.LanguageRun{}).Exec(ctx)
		}))
	}
	tables := []string{"tenant_reports.import_jobs", "tenant_reports.vendor_figures"}
	roles := func(t *testing.T, q interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}, ctx context.Context, table string) []string {
		t.Helper()
		rows, err := q.QueryContext(ctx, `SELECT db_role FROM `+table+` WHERE db_role = ANY($1) ORDER BY db_role`, pq.Array([]string{a.Role, b.Role}))
		must(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var r string
			must(t, rows.Scan(&r))
			out = append(out, r)
		}
		must(t, rows.Err())
		return out
	}

	t.Run("SeesOnlyItsOwnRows", func(t *testing.T) {
		for _, table := range tables {
			must(t, db.ReadTx(ctx, a, func(ctx context.Context) error {
				c, err := tenantdb.Current(ctx)
				if err != nil {
					return err
				}
				if got := roles(t, c, ctx, table); !slices.Equal(got, []string{a.Role}) {
					t.Errorf("A reads %s of %v, want only its own (%s)", table, got, a.Role)
				}
				return nil
			}))
		}
	})

	t.Run("OtherTenantsRowsAreOutOfReach", func(t *testing.T) {
		for _, q := range []string{
			fmt.Sprintf(`UPDATE tenant_reports.import_jobs SET status = 'failed', error = 'pwned' WHERE db_role = '%s'`, b.Role),
			fmt.Sprintf(`UPDATE tenant_reports.vendor_figures SET products = 999 WHERE db_role = '%s'`, b.Role),
			`UPDATE tenant_reports.vendor_figures SET products = products WHERE true`, // every row it can see: its own
		} {
			var n int64
			must(t, db.Tx(ctx, a, func(ctx context.Context) (err error) { n, err = rawRows(ctx, q); return err }))
			if want := int64(0); strings.Contains(q, "WHERE true") {
				want = 1
				if n != want {
					t.Errorf("%s changed %d rows, want %d (its own)", q, n, want)
				}
			} else if n != want {
				t.Errorf("%s changed %d of B's rows", q, n)
			}
		}
		var status string
		var products int
		must(t, raw.QueryRowContext(ctx, `SELECT j.status, f.products FROM tenant_reports.import_jobs j, tenant_reports.vendor_figures f
			WHERE j.db_role = $1 AND f.db_role = $1`, b.Role).Scan(&status, &products))
		if status != "queued" || products != 1 {
			t.Errorf("B's reports are now %s, %d products; want queued, 1", status, products)
		}
	})

	refused := []struct{ name, query string }{
		{"InsertAsAnotherTenant", fmt.Sprintf(`INSERT INTO tenant_reports.import_jobs (db_role, job_id, status, created_at)
			VALUES ('%s', 999999, 'succeeded', now())`, b.Role)},
		{"InsertFiguresAsAnotherTenant", fmt.Sprintf(`INSERT INTO tenant_reports.vendor_figures (db_role, products) VALUES ('%s', 1)`, b.Role)},
		{"MoveOwnRowToAnotherTenant", fmt.Sprintf(`UPDATE tenant_reports.import_jobs SET db_role = '%s'`, b.Role)},
		{"MoveOwnFiguresToAnotherTenant", fmt.Sprintf(`UPDATE tenant_reports.vendor_figures SET db_role = '%s'`, b.Role)},
		{"DeleteJobs", `DELETE FROM tenant_reports.import_jobs`},
		{"DeleteFigures", `DELETE FROM tenant_reports.vendor_figures`},
		{"Truncate", `TRUNCATE tenant_reports.import_jobs`},
		{"CreateThere", `CREATE TABLE tenant_reports.sneaky (id int)`},
	}
	for _, r := range refused {
		t.Run("Refused/"+r.name, func(t *testing.T) {
			err := db.Tx(ctx, a, func(ctx context.Context) error { return rawExec(ctx, r.query) })
			if got := sqlStateOf(err); got != "42501" {
				t.Fatalf("%s: err = %v (SQLSTATE %q), want 42501 (permission denied or row level security)", r.query, err, got)
			}
		})
	}

	t.Run("WritesItsOwnRows", func(t *testing.T) {
		rollback := errors.New("roll back")
		err := db.Tx(ctx, a, func(ctx context.Context) error {
			if err := rawExec(ctx, fmt.Sprintf(`INSERT INTO tenant_reports.import_jobs (db_role, job_id, status, created_at)
				VALUES ('%s', 999999, 'succeeded', now())`, a.Role)); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("A writing a row of its own: %v", err)
		}
	})

	t.Run("ApplicationRoleSeesEveryTenant", func(t *testing.T) {
		for _, table := range tables {
			if got := roles(t, raw, ctx, table); !slices.Equal(got, slices.Sorted(slices.Values([]string{a.Role, b.Role}))) {
				t.Errorf("the application role reads %s of %v, want both tenants", table, got)
			}
		}
	})

	// Work on a tenant's tables as any role but its own reports nothing: RLS
	// would not stop the owner, so the triggers check who is writing.
	t.Run("OtherRolesReportNothing", func(t *testing.T) {
		_, err := raw.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %q.products (sku, title, price_cents, currency, status, created_at, updated_at)
			VALUES ('BY-APP', '{}', 1, 'EUR', 'draft', now(), now())`, a.Schema))
		must(t, err)
		_, err = raw.ExecContext(ctx, fmt.Sprintf(`UPDATE %q.import_jobs SET status = 'cancelled'`, a.Schema))
		must(t, err)
		var products, strays int
		var status string
		must(t, raw.QueryRowContext(ctx, `SELECT products FROM tenant_reports.vendor_figures WHERE db_role = $1`, a.Role).Scan(&products))
		must(t, raw.QueryRowContext(ctx, `SELECT status FROM tenant_reports.import_jobs WHERE db_role = $1`, a.Role).Scan(&status))
		must(t, raw.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM tenant_reports.vendor_figures WHERE db_role = current_user)
			+ (SELECT count(*) FROM tenant_reports.import_jobs WHERE db_role = current_user)`).Scan(&strays))
		if products != 1 || status != "queued" || strays != 0 {
			t.Errorf("after the application role wrote A's tables: A reports %d products and a %s job, %d rows under the application role; want 1, queued, 0",
				products, status, strays)
		}
	})
}

// TestConnectionRetiredAfterMaxTenants: a pooled connection bound to more
// distinct tenants than MaxTenantsPerConn serves that transaction and is
// then closed — its backend, with the catalogue cache it grew, ends — while
// one that keeps to its tenants lives on.
func TestConnectionRetiredAfterMaxTenants(t *testing.T) {
	db := tenanttest.Open(t, func(o *tenantdb.Options) {
		o.TenantLanes, o.LaneConns = 1, 1 // one connection: every tenant transaction shares it
		o.MaxTenantsPerConn = 3
	})
	ctx := context.Background()
	var tenants []*tenantdb.Tenant
	for range 4 {
		tenants = append(tenants, tenanttest.Tenant(t, db, "retire"))
	}
	backend := func(tn *tenantdb.Tenant) int {
		t.Helper()
		var pid int
		must(t, db.ReadTx(ctx, tn, func(ctx context.Context) error {
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			return queryRow(ctx, c, `SELECT pg_backend_pid()`, &pid)
		}))
		return pid
	}
	first := backend(tenants[0])
	// Three tenants, again and again: the same backend.
	for range 3 {
		for _, tn := range tenants[:3] {
			if pid := backend(tn); pid != first {
				t.Fatalf("backend %d after %d within 3 tenants: retired too early", pid, first)
			}
		}
	}
	if n := tenantdb.RetiredConns(db); n != 0 {
		t.Fatalf("%d connections retired within the bound", n)
	}
	// A fourth is served on it, then it goes.
	if pid := backend(tenants[3]); pid != first {
		t.Fatalf("the fourth tenant was served on backend %d, want %d (the connection retires after serving it)", pid, first)
	}
	next := backend(tenants[0])
	if next == first {
		t.Fatalf("backend %d still serves after its fourth tenant", first)
	}
	if n := tenantdb.RetiredConns(db); n != 1 {
		t.Fatalf("%d connections retired, want 1", n)
	}
	// The backend exits once it reads the client's goodbye: wait for it.
	admin := tenanttest.SQL(t, tenanttest.PackageDatabase(t))
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		var alive bool
		must(t, admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)`, first).Scan(&alive))
		if !alive {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("backend %d is still connected 30 s after its connection was retired", first)
		}
	}
}

// TestLanesSteerATenant: with lanes a tenant's transactions go to its home
// lane — the same backend, one after another — and spill to another lane
// only when its home lane has as many waiting as it has connections.
func TestLanesSteerATenant(t *testing.T) {
	db := tenanttest.Open(t, func(o *tenantdb.Options) { o.TenantLanes, o.LaneConns = 4, 1 })
	ctx := context.Background()
	tn := tenanttest.Tenant(t, db, "lane")
	pidIn := func(ctx context.Context) int {
		t.Helper()
		c, err := tenantdb.Current(ctx)
		must(t, err)
		var pid int
		must(t, queryRow(ctx, c, `SELECT pg_backend_pid()`, &pid))
		return pid
	}
	backend := func() (pid int) {
		t.Helper()
		must(t, db.ReadTx(ctx, tn, func(ctx context.Context) error { pid = pidIn(ctx); return nil }))
		return pid
	}
	home := backend()
	for range 20 {
		if pid := backend(); pid != home {
			t.Fatalf("a tenant's transaction went to backend %d, its lane's is %d", pid, home)
		}
	}
	// Hold the lane's one connection; a second transaction waits for it.
	ctx1, tx1, err := db.Begin(ctx, tn, true)
	must(t, err)
	if pid := pidIn(ctx1); pid != home {
		t.Fatalf("backend %d, want the lane's %d", pid, home)
	}
	second := make(chan int, 1)
	go func() {
		ctx2, tx2, err := db.Begin(ctx, tn, true)
		if err != nil {
			t.Error(err)
			second <- 0
			return
		}
		pid := pidIn(ctx2)
		if err := tx2.Rollback(); err != nil {
			t.Error(err)
		}
		second <- pid
	}()
	for tenantdb.LaneInUse(db, tn) < 2 {
		time.Sleep(time.Millisecond)
	}
	// A third spills to another lane and runs now, while the first holds
	// the home lane.
	wait, cancel := context.WithTimeout(ctx, 10*time.Second) // it would wait for ever
	defer cancel()
	ctx3, tx3, err := db.Begin(wait, tn, true)
	if err != nil {
		t.Fatalf("the third transaction, with the home lane busy: %v (it should have spilled to another lane)", err)
	}
	if pid := pidIn(ctx3); pid == home {
		t.Fatal("the third transaction waited for the busy home lane instead of spilling")
	}
	must(t, tx3.Rollback())
	select {
	case pid := <-second:
		t.Fatalf("the second transaction ran (backend %d) while the first held the lane's one connection", pid)
	default:
	}
	must(t, tx1.Rollback())
	if pid := <-second; pid != home {
		t.Fatalf("the second transaction ran on backend %d, want its lane's %d", pid, home)
	}
	if n := tenantdb.LaneInUse(db, tn); n != 0 {
		t.Fatalf("%d transactions still counted on the lane after all ended", n)
	}
}
