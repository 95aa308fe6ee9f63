// Package tenanttest gives tests real PostgreSQL through the real tenant
// mechanism: databases of their own on the server named by
// BAZAAR_TEST_DATABASE_URL (make test starts a local one), the platform schema
// migrated by production code, and throwaway tenants provisioned by production
// code and deleted when the test ends.
//
// A package using it calls Main from its TestMain, so the database and the
// cluster-wide tenant roles it made are dropped when the package's tests end.
package tenanttest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/tenantdb"
)

// EnvURL names the variable holding the test server's URL. The role in it
// needs CREATEDB and CREATEROLE.
const EnvURL = "BAZAAR_TEST_DATABASE_URL"

var (
	pkgOnce sync.Once
	pkgDB   *Database
	pkgErr  error

	mu      sync.Mutex
	created []*Database // dropped by Main

	sweepOnce sync.Once
	ownerMu   sync.Mutex
	owners    = map[string]*sql.Conn{} // per server: holds an advisory lock on every database this process made there

	secondMu   sync.Mutex
	second     = map[string]string{} // test database name → URL of its twin on the second cluster
	sweep2Once sync.Once
)

// EnvURL2 names the variable holding a second PostgreSQL cluster's URL, for
// the tests of several clusters (make test starts a second local cluster).
const EnvURL2 = "BAZAAR_TEST_DATABASE_URL_2"

// SecondClusterName is the name the tests give the second cluster in
// tenantdb.Options.Clusters.
const SecondClusterName = "second"

// Database is a database of the test process's own.
type Database struct {
	Name       string
	URL        string
	RolePrefix string
	server     string // the admin URL of its server

	// direct is the database's URL on the server itself when URL leads
	// through PgBouncer (ThroughPgBouncer), empty otherwise.
	direct string
}

// Options are tenantdb options for d, with small pools and fast migration;
// through PgBouncer, with what a transaction pooler needs (a session URL to
// the server, no prepared statements).
func (d *Database) Options() tenantdb.Options {
	return tenantdb.Options{
		URL:          d.URL,
		SessionURL:   d.direct,
		NoPrepare:    d.direct != "",
		MaxOpenConns: 40,
		MaxIdleConns: 40,
		// Tenant transactions take the path production's defaults give
		// them: lanes, connections retired after many tenants.
		TenantLanes:       4,
		LaneConns:         4,
		MaxTenantsPerConn: 200,
		ConnMaxLifetime:   30 * time.Minute,
		ConnMaxIdleTime:   5 * time.Minute,
		StatementTimeout:  30 * time.Second,
		RolePrefix:        d.RolePrefix,
		MigrateParallel:   4,
		ApplicationName:   "bazaar test",
	}
}

// Main runs the package's tests and then drops every database (and tenant
// role) they created.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	dbs := created
	mu.Unlock()
	for _, d := range dbs {
		if err := drop(context.Background(), d); err != nil {
			fmt.Fprintln(os.Stderr, "tenanttest: cleanup:", err)
		}
	}
	os.Exit(code)
}

// serverURL is the test server's URL, its connections named "bazaar test
// admin" in pg_stat_activity and never bounded by a statement_timeout the
// role may have in the server's database (as behind PgBouncer): dropping a
// database of a thousand tenants takes longer than any request may.
func serverURL() (string, error) {
	u := os.Getenv(EnvURL)
	if u == "" {
		return "", fmt.Errorf("%s is not set: run the tests with `make test`, which starts a local PostgreSQL, or point it at a server where its role may CREATEDB and CREATEROLE", EnvURL)
	}
	u, err := named(u, "bazaar test admin")
	if err != nil {
		return "", err
	}
	p, _ := url.Parse(u) // named parsed it
	q := p.Query()
	q.Set("statement_timeout", "0")
	p.RawQuery = q.Encode()
	return p.String(), nil
}

// named sets the application_name of connections to the URL u.
func named(u, name string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvURL, err)
	}
	q := p.Query()
	q.Set("application_name", name)
	p.RawQuery = q.Encode()
	return p.String(), nil
}

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

// PackageDatabase is the database shared by the tests of this package. It is
// created, with a name of this process's own, and its platform schema
// migrated on first use.
func PackageDatabase(t testing.TB) *Database {
	t.Helper()
	pkgOnce.Do(func() {
		name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
		name = "bazaar_test_" + strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(name), "_"), "_")
		pkgDB, pkgErr = create(context.Background(), name+"_"+randomHex())
	})
	if pkgErr != nil {
		t.Fatal(pkgErr)
	}
	return pkgDB
}

// NewDatabase creates a database for one test, dropped when it ends. Use it
// when the test needs the whole database to itself (say, to migrate every
// tenant in it).
func NewDatabase(t testing.TB) *Database {
	t.Helper()
	d, err := create(context.Background(), "bazaar_test_x_"+randomHex())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(context.Background(), d); err != nil {
			t.Errorf("drop test database: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for i, c := range created {
			if c == d {
				created = append(created[:i], created[i+1:]...)
				break
			}
		}
	})
	return d
}

func randomHex() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// database describes the test database called name.
func database(server, name string) (*Database, error) {
	sum := sha256.Sum256([]byte(name))
	d := &Database{Name: name, RolePrefix: "t" + hex.EncodeToString(sum[:])[:6] + "_", server: server}
	var err error
	d.URL, err = withDatabase(server, name)
	return d, err
}

// lockKey is the advisory lock that marks name as in use by a live process.
func lockKey(name string) int64 {
	sum := sha256.Sum256([]byte("bazaar-test-db\x00" + name))
	var k int64
	for _, b := range sum[:8] {
		k = k<<8 | int64(b)
	}
	return k
}

// claim marks name as this process's for as long as it lives: a session
// advisory lock on one connection held open until exit. Names are unique per
// process, so concurrent runs of one package do not meet; what a crashed run
// left behind is swept by the next (sweep).
func claim(ctx context.Context, server, name string) error {
	ownerMu.Lock()
	defer ownerMu.Unlock()
	owner := owners[server]
	if owner == nil {
		db, err := sql.Open("postgres", server)
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(2)
		if owner, err = db.Conn(ctx); err != nil {
			return err
		}
		owners[server] = owner
	}
	_, err := owner.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey(name))
	return err
}

// sweep drops test databases (and their roles) whose process has gone: those
// whose advisory lock nobody holds.
func sweep(ctx context.Context, server string) error {
	admin, err := sql.Open("postgres", server)
	if err != nil {
		return err
	}
	defer admin.Close()
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'bazaar\_test\_%'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, n := range names {
		var free bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(n)).Scan(&free); err != nil {
			return err
		}
		if !free {
			continue // a live process owns it
		}
		d, err := database(server, n)
		if err == nil {
			err = drop(ctx, d)
		}
		if _, uerr := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lockKey(n)); err == nil {
			err = uerr
		}
		if err != nil {
			return fmt.Errorf("tenanttest: sweep %s: %w", n, err)
		}
	}
	return nil
}

func create(ctx context.Context, name string) (*Database, error) {
	server, err := serverURL()
	if err != nil {
		return nil, err
	}
	sweepOnce.Do(func() { err = sweep(ctx, server) })
	if err != nil {
		return nil, err
	}
	d, err := database(server, name)
	if err != nil {
		return nil, err
	}
	if err := claim(ctx, server, name); err != nil {
		return nil, err
	}
	admin, err := sql.Open("postgres", server)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	// TEMPLATE template0 skips copying whatever the server's template1 holds.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
		return nil, fmt.Errorf("tenanttest: create database %s: %w", name, err)
	}
	mu.Lock()
	created = append(created, d)
	mu.Unlock()
	db, err := tenantdb.Open(ctx, d.Options())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.MigratePlatform(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// drop removes the database and every role carrying its prefix.
func drop(ctx context.Context, d *Database) error {
	admin, err := sql.Open("postgres", d.server)
	if err != nil {
		return err
	}
	defer admin.Close()
	// Not WITH (FORCE): that needs the right to signal every backend in the
	// database, autovacuum workers included, which a non-superuser lacks. We
	// end our own sessions; plain DROP DATABASE asks autovacuum to leave.
	for attempt := 0; ; attempt++ {
		_, err = admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid() AND usename = current_user`, d.Name)
		if err == nil {
			_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(d.Name))
		}
		if err == nil {
			break
		}
		if pq.As(err, "55006") == nil || attempt == 20 { // object_in_use: a session is still leaving
			return fmt.Errorf("tenanttest: drop database %s: %w", d.Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rows, err := admin.QueryContext(ctx, `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)`, d.RolePrefix)
	if err != nil {
		return err
	}
	var roles []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return err
		}
		roles = append(roles, r)
	}
	rows.Close()
	for _, r := range roles {
		if _, err := admin.ExecContext(ctx, "DROP ROLE IF EXISTS "+pq.QuoteIdentifier(r)); err != nil {
			return fmt.Errorf("tenanttest: drop role %s: %w", r, err)
		}
	}
	return nil
}

func withDatabase(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvURL, err)
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("application_name")  // the admin connections' name; tenantdb names its own
	q.Del("statement_timeout") // the admin connections' none; tenantdb sets its own
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// SecondCluster gives d a twin database, of the same name, on the second
// cluster (EnvURL2), migrated when d's DB is (tenantdb migrates every
// cluster), and returns tenantdb options for d with it as cluster
// SecondClusterName. It skips the test, saying why, without a second
// cluster. The twin is dropped with d.
func SecondCluster(t testing.TB, d *Database) tenantdb.Options {
	t.Helper()
	u := os.Getenv(EnvURL2)
	if u == "" {
		t.Skipf("%s is not set: make test starts a second local cluster for the tests of several clusters", EnvURL2)
	}
	server, err := named(u, "bazaar test admin")
	if err != nil {
		t.Fatal(err)
	}
	secondMu.Lock()
	defer secondMu.Unlock()
	url2, ok := second[d.Name]
	if !ok {
		ctx := context.Background()
		sweep2Once.Do(func() { err = sweep(ctx, server) })
		if err != nil {
			t.Fatal(err)
		}
		d2, err := database(server, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		d2.RolePrefix = d.RolePrefix
		if err := claim(ctx, server, d.Name); err != nil {
			t.Fatal(err)
		}
		admin, err := sql.Open("postgres", server)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(d.Name)+" TEMPLATE template0"); err != nil {
			t.Fatalf("tenanttest: create database %s on the second cluster: %v", d.Name, err)
		}
		mu.Lock()
		created = append(created, d2)
		mu.Unlock()
		url2 = d2.URL
		second[d.Name] = url2
	}
	o := d.Options()
	o.Clusters = map[string]string{SecondClusterName: url2}
	return o
}

// Open opens a tenantdb.DB on the package database; it is closed when the test
// ends. opts may adjust the options.
func Open(t testing.TB, opts ...func(*tenantdb.Options)) *tenantdb.DB {
	t.Helper()
	return OpenDatabase(t, PackageDatabase(t), opts...)
}

// OpenDatabase opens a tenantdb.DB on d; it is closed when the test ends.
func OpenDatabase(t testing.TB, d *Database, opts ...func(*tenantdb.Options)) *tenantdb.DB {
	t.Helper()
	o := d.Options()
	for _, f := range opts {
		f(&o)
	}
	db, err := tenantdb.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Slug returns a fresh, valid, unused vendor slug starting with prefix.
func Slug(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Tenant provisions a throwaway tenant with production code and deletes it
// (schema, role and registry row) when the test ends.
func Tenant(t testing.TB, db *tenantdb.DB, prefix string) *tenantdb.Tenant {
	t.Helper()
	slug := Slug(prefix)
	tn, err := db.Provision(context.Background(), tenantdb.NewVendor{Slug: slug, Name: "Test shop " + slug})
	if err != nil {
		t.Fatalf("provision %s: %v", slug, err)
	}
	t.Cleanup(func() {
		if err := db.Delete(context.Background(), slug); err != nil {
			t.Errorf("delete tenant %s: %v", slug, err)
		}
	})
	return tn
}

// SQL opens a plain pool on d as the application role, for tests that need to
// inspect or tamper with the database behind production code's back — on the
// server itself, also when d leads through PgBouncer. It is closed when the
// test ends.
func SQL(t testing.TB, d *Database) *sql.DB {
	t.Helper()
	u, err := named(d.directURL(), "bazaar test sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Fleet creates a database of its own holding n tenants (slugs
// <prefix>-0000...) with products products each, for benchmarks. It stays
// until the package's tests end (Main drops it), so one run's benchmarks can
// share it; Fleet itself is not memoised.
func Fleet(tb testing.TB, prefix string, n, products int) (*Database, []*tenantdb.Tenant) {
	tb.Helper()
	d, err := create(context.Background(), "bazaar_test_fleet_"+strings.ReplaceAll(prefix, "-", "_")+"_"+randomHex())
	if err != nil {
		tb.Fatal(err)
	}
	tenants := make([]*tenantdb.Tenant, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var db *tenantdb.DB
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	for i := range tenants {
		// A fresh pool every 500 tenants: a backend that has made thousands
		// of tenants' tables carries all their catalogue entries, and its
		// DDL slowed from ~10 to ~2 tenants a second by 4,000.
		if i%500 == 0 {
			wg.Wait()
			if db != nil {
				db.Close()
			}
			var err error
			if db, err = tenantdb.Open(context.Background(), d.Options()); err != nil {
				tb.Fatal(err)
			}
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx := context.Background()
			tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: fmt.Sprintf("%s-%04d", prefix, i), Name: "Fleet shop"})
			if err != nil {
				errs <- err
				return
			}
			tenants[i] = tn
			if products == 0 {
				return
			}
			err = db.Tx(ctx, tn, func(ctx context.Context) error {
				c, err := tenantdb.Current(ctx)
				if err != nil {
					return err
				}
				_, err = c.ExecContext(ctx, `INSERT INTO products (sku, title, price_cents, currency, status, created_at, updated_at)
					SELECT 'SKU-' || g, jsonb_build_object('en', 'Product number ' || g), g * 100, 'EUR', 'active', now(), now()
					FROM generate_series(1, $1::int) g`, products)
				return err
			})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	// The system catalogs just grew by tens of thousands of rows; give them
	// the statistics autovacuum would soon, so benchmarks do not measure
	// plans made for an empty database.
	if _, err := SQL(tb, d).ExecContext(context.Background(), `ANALYZE pg_catalog.pg_class, pg_catalog.pg_namespace,
		pg_catalog.pg_attribute, pg_catalog.pg_depend, pg_catalog.pg_type, pg_catalog.pg_index, pg_catalog.pg_constraint,
		pg_catalog.pg_attrdef, pg_catalog.pg_sequence, pg_catalog.pg_default_acl`); err != nil {
		tb.Fatal(err)
	}
	return d, tenants
}
