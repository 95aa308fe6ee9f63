package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/demo"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) {
	// A test may re-run this binary as the server (to kill it outright).
	if os.Getenv("BAZAAR_TEST_CHILD") == "serve" {
		if err := run(context.Background(), []string{"serve"}, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	tenanttest.Main(m)
}

// cli runs the bazaar command in-process against the test's own database.
type cli struct {
	t *testing.T
}

func newCLI(t *testing.T) *cli {
	return newCLIOn(t, tenanttest.NewDatabase(t))
}

func newCLIOn(t *testing.T, d *tenanttest.Database) *cli {
	t.Setenv("BAZAAR_ENV", "development")
	t.Setenv("BAZAAR_DATABASE_URL", d.URL)
	t.Setenv("BAZAAR_DATABASE_ROLE_PREFIX", d.RolePrefix)
	return &cli{t: t}
}

func (c *cli) run(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, &out, &out)
	return out.String(), err
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("bazaar %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *cli) fails(want string, args ...string) {
	c.t.Helper()
	out, err := c.run(args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		c.t.Fatalf("bazaar %s: err = %v (output %q), want it to mention %q", strings.Join(args, " "), err, out, want)
	}
}

func contains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestTenantLifecycleCommands(t *testing.T) {
	c := newCLI(t)
	contains(t, c.ok("migrate"), "tenants: 0")
	contains(t, c.ok("tenant", "create", "shop-one", "--name", "Shop One", "--country", "LU"), "created shop-one", "vendor_shop_one")
	c.fails(`subdomain: may contain only lower-case letters`, "tenant", "create", "Bad_Slug", "--name", "x")
	c.fails("already exists", "tenant", "create", "shop-one", "--name", "Again")
	c.fails(`required flag(s) "name" not set`, "tenant", "create", "shop-two")
	contains(t, c.ok("tenant", "list"), "shop-one", "Shop One", "active")
	contains(t, c.ok("tenant", "status"), "shop-one", "current", "1 tenants, 0 behind")
	contains(t, c.ok("migrate", "--verbose"), "ok       shop-one", "already current: 1")
	contains(t, c.ok("tenant", "suspend", "shop-one", "--reason", "unpaid"), "shop-one is now suspended")
	contains(t, c.ok("tenant", "list"), "suspended")
	contains(t, c.ok("tenant", "resume", "shop-one"), "shop-one is now active")
	contains(t, c.ok("tenant", "domain", "add", "shop-one", "Shop.Example.LU"), "added shop.example.lu", "_bazaar-verify.shop.example.lu")
	contains(t, c.ok("tenant", "domain", "list", "shop-one"), "shop.example.lu", "false")
	c.fails("--force", "tenant", "delete", "shop-one")
	contains(t, c.ok("tenant", "list"), "shop-one")
	contains(t, c.ok("tenant", "delete", "shop-one", "--force"), "deleted shop-one")
	c.fails(`no vendor "shop-one"`, "tenant", "suspend", "shop-one")
}

func TestDemoIsIdempotent(t *testing.T) {
	c := newCLI(t)
	contains(t, c.ok("demo"), "created Atelier Demo: import 1 succeeded (9 rows: 3 created, 0 updated, 0 unchanged), 3 products: http://atelier-demo.localhost:8080/",
		"created Boutique Lux: import 1 succeeded (6 rows: 3 created", "/vendor/boutique-lux/")
	// The second run imports again: nothing new, nothing published twice.
	contains(t, c.ok("demo"), "updated Atelier Demo: import 2 succeeded", "0 created, 0 updated, 3 unchanged), 3 products",
		"updated Boutique Lux: import 2 succeeded",
		"owner@atelier-demo.test", "owner of atelier-demo", "editor of atelier-demo, owner of boutique-lux", "admin@bazaar.test", "platform super admin", demo.Password)
	contains(t, c.ok("tenant", "status"), "2 tenants, 0 behind")
}

func TestCreateSuperuser(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate")
	c.fails("--email is required", "admin", "create-superuser")
	out := c.ok("admin", "create-superuser", "--email", "Root@Example.test", "--first-name", "Ro")
	contains(t, out, "created super admin root@example.test", "password: ")
	contains(t, c.ok("admin", "create-superuser", "--email", "root@example.test"), "promoted root@example.test", "password is unchanged")
	c.fails("email", "admin", "create-superuser", "--email", "not an email")
}

func TestConfigCommandMasksSecrets(t *testing.T) {
	t.Setenv("BAZAAR_DATABASE_URL", "postgres://bazaar:hunter2@db.example:5432/bazaar")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"config"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	contains(t, out.String(), "database.url", "db.example:5432", "xxxxx", "http.base_domain")
	if strings.Contains(out.String(), "hunter2") {
		t.Fatalf("config printed the password:\n%s", out.String())
	}
	t.Setenv("BAZAAR_HTTP_ADDR", "nonsense")
	if err := run(context.Background(), []string{"config"}, &out, &out); err == nil || !strings.Contains(err.Error(), "http.addr") {
		t.Fatalf("invalid config: %v", err)
	}
}

func TestServeAnswersAndShutsDown(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	c := newCLIOn(t, d)
	// A database never migrated: serve refuses to start.
	if _, err := tenanttest.SQL(t, d).Exec(`DROP SCHEMA platform CASCADE; DROP SCHEMA tenant_reports CASCADE`); err != nil {
		t.Fatal(err)
	}
	c.fails("run `bazaar migrate` first", "serve")
	c.ok("demo") // migrates, then seeds
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("BAZAAR_HTTP_ADDR", addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, &bytes.Buffer{}, &bytes.Buffer{}) }()

	var resp *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/shop/products", nil)
		req.Host = "atelier-demo.localhost"
		resp, err = http.DefaultClient.Do(req)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(body.String(), "LS-HONEY-500") {
		t.Fatalf("%d %s", resp.StatusCode, body.String())
	}
	// The demo's accounts sign in to the served shop with the printed password.
	login, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/auth/login",
		strings.NewReader(`{"email":"owner@atelier-demo.test","password":"`+demo.Password+`","refresh_in_body":true}`))
	login.Host = "atelier-demo.localhost"
	login.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(login)
	if err != nil {
		t.Fatal(err)
	}
	body.Reset()
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(body.String(), `"name":"Owner"`) {
		t.Fatalf("demo owner login: %d %s", resp.StatusCode, body.String())
	}
	// A DBA tells the server's connections apart in pg_stat_activity.
	names := waitForApplications(t, d, "bazaar serve", "bazaar serve listen", "bazaar serve queue")
	if slices.Contains(names, "") {
		t.Errorf("a connection without application_name: %q", names)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// waitForApplications waits until connections named each of want are open on
// d, and returns the application names of every connection there.
func waitForApplications(t *testing.T, d *tenanttest.Database, want ...string) []string {
	t.Helper()
	raw := tenanttest.SQL(t, d)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var names []string
		rows, err := raw.Query(`SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		rows.Close()
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return slices.Contains(names, w) })
		if len(missing) == 0 {
			return names
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection named %q among %q", missing, names)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTenantCreateWithOwner: `tenant create` gives the vendor its Owner and
// feeds, checks everything before making anything, and every tenant command
// leaves an audit record naming the operator.
func TestTenantCreateWithOwner(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	c := newCLIOn(t, d)
	c.ok("migrate")
	contains(t, c.ok("tenant", "create", "owned-shop", "--name", "Owned Shop", "--owner-email", "Owner@Owned.test", "--owner-first-name", "Olga",
		"--feed", "de=https://letzshop.example/owned/de.csv", "--feed", "fr=https://letzshop.example/owned/fr.csv"),
		"created owned-shop", "http://localhost:8080/vendor/owned-shop/", "owner: owner@owned.test is invited")
	c.ok("admin", "create-superuser", "--email", "root@owned.test")
	contains(t, c.ok("tenant", "create", "second-shop", "--name", "Second", "--owner-email", "root@owned.test"), "owner: root@owned.test (member)")
	contains(t, c.ok("tenant", "domain", "add", "owned-shop", "Shop.Owned.Test"), "added shop.owned.test")
	c.fails("feeds.fr", "tenant", "create", "bad-feed", "--name", "Bad", "--owner-email", "x@owned.test", "--feed", "fr=ftp://letzshop.example/x.csv")
	c.fails("owner.email", "tenant", "create", "bad-owner", "--name", "Bad", "--owner-email", "not an address")
	c.fails("want LANG=URL", "tenant", "create", "bad-flag", "--name", "Bad", "--feed", "https://letzshop.example/x.csv")
	if out := c.ok("tenant", "list"); strings.Contains(out, "bad-") {
		t.Errorf("a refused vendor was made:\n%s", out)
	}
	c.fails("reason: is required", "tenant", "suspend", "second-shop")
	contains(t, c.ok("tenant", "suspend", "second-shop", "--reason", "unpaid invoice"), "second-shop is now suspended")
	contains(t, c.ok("tenant", "resume", "second-shop"), "second-shop is now active")
	contains(t, c.ok("tenant", "delete", "second-shop", "--force"), "deleted second-shop")

	db, err := sql.Open("postgres", d.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT action, actor_email, coalesce(vendor_id, 0) > 0 FROM platform.audit_events
		WHERE action LIKE 'vendor.%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var action, actor string
		var withVendor bool
		if err := rows.Scan(&action, &actor, &withVendor); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(actor, "cli:") || !withVendor {
			t.Errorf("%s recorded by %q (vendor named: %v), want the operator and the vendor", action, actor, withVendor)
		}
		got = append(got, action)
	}
	want := "vendor.create vendor.owner_grant vendor.create vendor.owner_grant vendor.domain_add vendor.suspend vendor.resume vendor.delete"
	if strings.Join(got, " ") != want {
		t.Errorf("audit trail %v, want %s", got, want)
	}
	var to, body string
	if err := db.QueryRow(`SELECT "to", body FROM platform.outbox_mails WHERE kind = 'owner_invitation'`).Scan(&to, &body); err != nil {
		t.Fatal(err)
	}
	if to != "owner@owned.test" || !strings.Contains(body, "Hello Olga,") ||
		!strings.Contains(body, "http://localhost:8080/vendor/owned-shop/accept-invite?token=") {
		t.Errorf("owner invitation to %s:\n%s", to, body)
	}
	var feeds string
	if err := db.QueryRow(`SELECT feeds::text FROM vendor_owned_shop.import_configs`).Scan(&feeds); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(feeds, `[{"url": "https://letzshop.example/owned/fr.csv", "language": "fr"}, {"url": "https://letzshop.example/owned/de.csv"`) {
		t.Errorf("import configuration: %s (want fr first: the shop's default language)", feeds)
	}
}

// TestVendorsImport: `bazaar vendors import` checks the file, reports the bad
// lines and writes nothing on a dry run; the run onboards the rest; the same
// file again changes nothing.
func TestVendorsImport(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate")
	file := filepath.Join(t.TempDir(), "vendors.csv")
	content := "vendor_name,subdomain,owner_name,owner_email,owner_phone,business_address,business_city,business_postal_code,business_country,letzshop_csv_url,initial_password\n" +
		"Alpha Shop,alpha-shop,Anna Alpha,anna@alpha.test,,1 rue A,Luxembourg,L-1111,LU,https://letzshop.example/alpha.csv,\n" +
		"Beta Shop,beta-shop,Ben Beta,ben@beta.test,,2 rue B,Esch,L-4000,LU,,a long initial password\n" +
		"Bad Shop,Bad_Shop,Bo Bad,not-an-email,,,,,XX,,\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := c.run("vendors", "import", file, "--dry-run")
	if err == nil || !strings.Contains(err.Error(), "1 rows are invalid") {
		t.Fatalf("dry run: err %v\n%s", err, out)
	}
	contains(t, out, "line 4 (Bad_Shop): subdomain:", "owner_email:", "business_country:", "3 rows: 2 to create, 0 unchanged, 1 invalid (dry run")
	if list := c.ok("tenant", "list"); strings.Contains(list, "alpha-shop") {
		t.Fatalf("the dry run made a vendor:\n%s", list)
	}
	contains(t, c.ok("vendors", "import", file), "partially_failed: 3 rows, 2 created, 0 unchanged, 1 failed", "line 4 (Bad_Shop): subdomain:")
	contains(t, c.ok("tenant", "list"), "alpha-shop", "beta-shop")
	contains(t, c.ok("vendors", "import", file), "3 rows, 0 created, 2 unchanged, 1 failed")
	if out := c.ok("vendors", "import", file); strings.Contains(out, "a long initial password") {
		t.Errorf("the initial password was printed:\n%s", out)
	}
}
