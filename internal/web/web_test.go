package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

const base = "shop.test"

func defaultOptions() Options {
	return Options{
		BaseDomain:     base,
		PathRouting:    true,
		ReadTimeout:    10 * time.Second,
		WriteTimeout:   10 * time.Second,
		IdleTimeout:    10 * time.Second,
		RequestTimeout: 10 * time.Second,
		BodyLimit:      1 << 20,
	}
}

// rawGet sends a GET with exactly the given Host bytes (no client-side
// normalisation) and extra header lines, and returns status and body.
func (ts *testServer) rawGet(t testing.TB, host, path string, headers ...string) (int, string) {
	t.Helper()
	return ts.rawRequest(t, strings.Join(append([]string{"GET " + path + " HTTP/1.1", "Host: " + host}, headers...), "\n"), "")
}

func addProduct(t *testing.T, db *tenantdb.DB, tn *tenantdb.Tenant, sku, name string) {
	t.Helper()
	err := db.Tx(context.Background(), tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.Product.Create().SetSku(sku).SetTitle(map[string]string{"en": name}).SetPriceCents(990).SetStatus("active").Exec(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func errorCode(body string) string {
	var e errorBody
	if json.Unmarshal([]byte(body), &e) != nil {
		return ""
	}
	return e.Error.Code
}

func hostOf(tn *tenantdb.Tenant) string { return tn.Slug + "." + base }

// TestSiteResolution: each host reaches its own shop and nothing else —
// directly and through PgBouncer.
func TestSiteResolution(t *testing.T) { tenanttest.EachRoute(t, testSiteResolution) }

func testSiteResolution(t *testing.T, route tenanttest.Route) {
	db := tenanttest.OpenDatabase(t, route(tenanttest.PackageDatabase(t)))
	ctx := context.Background()
	a := tenanttest.Tenant(t, db, "alpha")
	b := tenanttest.Tenant(t, db, "beta")
	suspended := tenanttest.Tenant(t, db, "susp")
	addProduct(t, db, a, "SAME-SKU", "Alpha thing")
	addProduct(t, db, b, "SAME-SKU", "Beta thing")
	_, err := db.SetStatus(ctx, suspended.Slug, tenantdb.StatusSuspended, "test")
	if err != nil {
		t.Fatal(err)
	}
	verifiedHost := tenanttest.Slug("www.alpha") + ".lu"
	unverifiedHost := tenanttest.Slug("beta") + ".example.lu"
	dom, err := db.AddDomain(ctx, a.Slug, verifiedHost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyDomain(ctx, verifiedHost, func(context.Context, string) ([]string, error) {
		return []string{"unrelated", dom.VerificationToken}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddDomain(ctx, b.Slug, unverifiedHost); err != nil {
		t.Fatal(err)
	}

	ts := startServer(t, db, defaultOptions(), nil)
	trusting := defaultOptions()
	trusting.TrustedProxies = []string{"127.0.0.1"}
	tsTrusting := startServer(t, db, trusting, nil)
	noPaths := defaultOptions()
	noPaths.PathRouting = false
	tsNoPaths := startServer(t, db, noPaths, nil)

	const products = "/api/v1/shop/products"
	tests := []struct {
		name       string
		server     *testServer
		host, path string
		headers    []string
		wantStatus int
		want       string // substring of the body
		wantNot    string
		wantCode   string // JSON error code
	}{
		{name: "SubdomainA", host: hostOf(a), path: products, wantStatus: 200, want: "Alpha thing", wantNot: "Beta"},
		{name: "SubdomainB", host: hostOf(b), path: products, wantStatus: 200, want: "Beta thing", wantNot: "Alpha"},
		{name: "PathFormA", host: base, path: "/vendor/" + a.Slug + products, wantStatus: 200, want: "Alpha thing", wantNot: "Beta"},
		{name: "PathFormB", host: base, path: "/vendor/" + b.Slug + products, wantStatus: 200, want: "Beta thing", wantNot: "Alpha"},
		{name: "CustomDomain", host: verifiedHost, path: products, wantStatus: 200, want: "Alpha thing", wantNot: "Beta"},
		{name: "ShopHomeIsServerRendered", host: hostOf(a), path: "/", wantStatus: 200, want: `<h3 class="card-title">Alpha thing</h3>`, wantNot: "Beta"},
		{name: "UpperCaseAndPort", host: strings.ToUpper(hostOf(a)) + ":8080", path: products, wantStatus: 200, want: "Alpha thing"},
		{name: "TrailingDot", host: hostOf(b) + ".", path: products, wantStatus: 200, want: "Beta thing"},
		{name: "TrailingDotAndPort", host: hostOf(b) + ".:443", path: products, wantStatus: 200, want: "Beta thing"},
		{name: "UnverifiedDomain", host: unverifiedHost, path: products, wantStatus: 404, wantCode: "not_found"},
		{name: "UnknownSubdomain", host: "nobody-here." + base, path: products, wantStatus: 404, wantCode: "not_found"},
		{name: "ForeignHost", host: "evil.example.com", path: products, wantStatus: 404, wantCode: "not_found"},
		{name: "NestedSubdomain", host: "x." + hostOf(a), path: products, wantStatus: 404, wantCode: "not_found"},
		{name: "ReservedSubdomain", host: "www." + base, path: "/", wantStatus: 404, wantCode: "not_found"},
		{name: "UnknownPathVendor", host: base, path: "/vendor/nobody-here" + products, wantStatus: 404, wantCode: "not_found"},
		{name: "Suspended", host: hostOf(suspended), path: products, wantStatus: 403, wantCode: "vendor_suspended", want: "suspended"},
		{name: "SuspendedPathForm", host: base, path: "/vendor/" + suspended.Slug + "/", wantStatus: 403, wantCode: "vendor_suspended"},
		{name: "VendorRouteNotOnAdmin", host: "admin." + base, path: products, wantStatus: 404, wantCode: "not_found"},
		{name: "VendorRouteNotOnPlatform", host: base, path: products, wantStatus: 404, wantCode: "not_found"},
		{name: "PlatformLanding", host: base, path: "/", wantStatus: 200, want: "<h1>Bazaar</h1>"},
		{name: "PlatformLandingNotOnVendor", host: hostOf(a), path: "/vendor/" + b.Slug + products, wantStatus: 404, wantCode: "not_found"},
		{name: "HealthOnAnyHost", host: "10.1.2.3:8080", path: "/api/v1/health", wantStatus: 200, want: `"ok"`},
		{name: "ReadyOnAnyHost", host: "whatever.example", path: "/api/v1/health/ready", wantStatus: 200, want: `"ready"`},
		{name: "SQLMetacharacters", host: "a'%3Bdrop." + base, path: products, wantStatus: 400, wantCode: "invalid_host"},
		{name: "SQLMetacharactersInPath", host: base, path: "/vendor/a';drop/", wantStatus: 400, wantCode: "invalid_slug"},
		{name: "Quote", host: `a"b.` + base, path: products, wantStatus: 400, wantCode: "invalid_host"},
		{name: "Unicode", host: "caf\u00e9." + base, path: products, wantStatus: 400, wantCode: "invalid_host", want: "punycode"},
		{name: "Punycode", host: "xn--caf-dma." + base, path: products, wantStatus: 400, wantCode: "invalid_slug"},
		{name: "OverLongHost", host: strings.Repeat("a.", 130) + base, path: products, wantStatus: 400, wantCode: "invalid_host"},
		{name: "OverLongLabel", host: strings.Repeat("a", 64) + "." + base, path: products, wantStatus: 400, wantCode: "invalid_host"},
		{name: "OverLongPathSlug", host: base, path: "/vendor/" + strings.Repeat("a", 64) + "/", wantStatus: 400, wantCode: "invalid_slug"},
		{name: "BadPort", host: hostOf(a) + ":http", path: products, wantStatus: 400, wantCode: "invalid_host"},
		{name: "IPv6Literal", host: "[::1]:8080", path: products, wantStatus: 400, wantCode: "invalid_host"},
		{name: "SpoofedForwardedHostIgnored", host: hostOf(a), path: products, headers: []string{"X-Forwarded-Host: " + hostOf(b)}, wantStatus: 200, want: "Alpha thing", wantNot: "Beta"},
		{name: "SpoofedForwardedHostUnknownIgnored", host: hostOf(a), path: products, headers: []string{"X-Forwarded-Host: admin." + base}, wantStatus: 200, want: "Alpha thing"},
		{name: "TrustedProxyForwardedHost", server: tsTrusting, host: "internal-lb:8080", path: products, headers: []string{"X-Forwarded-Host: " + hostOf(b)}, wantStatus: 200, want: "Beta thing", wantNot: "Alpha"},
		{name: "TrustedProxyLastForwardedHost", server: tsTrusting, host: "internal-lb", path: products, headers: []string{"X-Forwarded-Host: " + hostOf(a) + ", " + hostOf(b)}, wantStatus: 200, want: "Beta thing"},
		{name: "PathRoutingOff", server: tsNoPaths, host: base, path: "/vendor/" + a.Slug + products, wantStatus: 404, wantCode: "not_found"},
		{name: "PathRoutingOffSubdomainStillWorks", server: tsNoPaths, host: hostOf(a), path: products, wantStatus: 200, want: "Alpha thing"},
		{name: "HTMLErrorForBrowsers", host: "nobody-here." + base, path: "/", headers: []string{"Accept: text/html"}, wantStatus: 404, want: "<h1>404</h1>"},
		{name: "APIErrorStaysJSONForBrowsers", host: "nobody-here." + base, path: products, headers: []string{"Accept: text/html"}, wantStatus: 404, wantCode: "not_found"},
		{name: "BadLimitNamesField", host: hostOf(a), path: products + "?limit=1000", wantStatus: 400, wantCode: "invalid", want: `"limit":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.server
			if s == nil {
				s = ts
			}
			status, body := s.rawGet(t, tt.host, tt.path, tt.headers...)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body: %s", status, tt.wantStatus, body)
			}
			if tt.want != "" && !strings.Contains(body, tt.want) {
				t.Errorf("body %s lacks %q", body, tt.want)
			}
			if tt.wantNot != "" && strings.Contains(body, tt.wantNot) {
				t.Errorf("body %s contains %q", body, tt.wantNot)
			}
			if tt.wantCode != "" && errorCode(body) != tt.wantCode {
				t.Errorf("error code = %q, want %q; body: %s", errorCode(body), tt.wantCode, body)
			}
		})
	}
}

// A vendor whose schema is older than this binary's migrations answers 503
// until `bazaar migrate` reaches it; other vendors are unaffected.
func TestVendorBehindMigrationsIsUnavailable(t *testing.T) {
	db := tenanttest.Open(t)
	ctx := context.Background()
	behind := tenanttest.Tenant(t, db, "behind")
	ok := tenanttest.Tenant(t, db, "uptodate")
	ts := startServer(t, db, defaultOptions(), nil)
	_, err := tenanttest.SQL(t, tenanttest.PackageDatabase(t)).ExecContext(ctx, `UPDATE platform.vendors SET schema_version = '' WHERE id = $1`, behind.ID)
	if err != nil {
		t.Fatal(err)
	}
	ts.srv.resolver.Invalidate() // the raw UPDATE sent no notification
	if status, body := ts.rawGet(t, hostOf(behind), "/api/v1/shop/products"); status != 503 || errorCode(body) != "vendor_upgrading" {
		t.Errorf("behind: %d %s", status, body)
	}
	if status, body := ts.rawGet(t, hostOf(ok), "/api/v1/shop/products"); status != 200 {
		t.Errorf("current: %d %s", status, body)
	}
	stale, err := db.TenantBySlug(ctx, behind.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if r := db.MigrateTenant(ctx, stale); r.Err != nil {
		t.Fatal(r.Err)
	}
	// The registry fix notifies every resolver: no Invalidate here.
	eventuallyStatus(t, ts, hostOf(behind), "/api/v1/shop/products", 200)
}

func TestReadinessReportsPlatformBehind(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	ts := startServer(t, db, defaultOptions(), nil)
	if status, body := ts.rawGet(t, base, "/api/v1/health/ready"); status != 200 {
		t.Fatalf("ready: %d %s", status, body)
	}
	if _, err := tenanttest.SQL(t, d).Exec(`DELETE FROM platform.bazaar_schema_revisions`); err != nil {
		t.Fatal(err)
	}
	status, body := ts.rawGet(t, base, "/api/v1/health/ready")
	if status != 503 || !strings.Contains(body, "bazaar migrate") {
		t.Fatalf("ready with the platform behind: %d %s", status, body)
	}
	if status, _ := ts.rawGet(t, base, "/api/v1/health"); status != 200 {
		t.Errorf("liveness must not depend on the database: %d", status)
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "Shop.Example.LU", want: "shop.example.lu"},
		{in: "shop.example.lu:8443", want: "shop.example.lu"},
		{in: "shop.example.lu.", want: "shop.example.lu"},
		{in: "localhost", want: "localhost"},
		{in: "", err: "missing"},
		{in: "shop.example.lu:", err: "port"},
		{in: "shop.example.lu:99999x", err: "port"},
		{in: "[::1]:80", err: "IP address"},
		{in: "sh op.lu", err: "only letters"},
		{in: "shop..lu", err: "only letters"},
		{in: "-shop.lu", err: "only letters"},
		{in: "caf\u00e9.lu", err: "punycode"},
		{in: strings.Repeat("a", 254), err: "253"},
	}
	for _, tt := range tests {
		got, err := normalizeHost(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("normalizeHost(%q) err = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("normalizeHost(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestErrorsNeverLeakInternals(t *testing.T) {
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "leaky")
	ts := startServer(t, db, defaultOptions(), func(s *server, vendor fiber.Router) {
		vendor.Get("/test/sql-error", s.tenantTx(false), func(c *fiber.Ctx) error {
			cl, err := tenantdb.Current(c.UserContext())
			if err != nil {
				return err
			}
			_, err = cl.ExecContext(c.UserContext(), `SELECT * FROM platform.vendors`)
			return err
		})
	})
	status, body := ts.rawGet(t, hostOf(tn), "/test/sql-error")
	if status != 500 || errorCode(body) != "internal" {
		t.Fatalf("%d %s", status, body)
	}
	for _, secret := range []string{"platform", "vendors", "permission", "pq:", tn.Schema, tn.Role} {
		if strings.Contains(body, secret) {
			t.Errorf("response leaks %q: %s", secret, body)
		}
	}
}

// eventuallyStatus polls until the URL answers want: for changes that reach
// the server through LISTEN/NOTIFY.
func eventuallyStatus(t *testing.T, ts *testServer, host, path string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := ts.rawGet(t, host, path)
		if status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%s still answers %d %s, want %d", host, path, status, body, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDevMailsPage: in development the platform host lists the outbox, bodies
// and all; elsewhere the page does not exist.
func TestDevMailsPage(t *testing.T) {
	db := tenanttest.Open(t)
	ctx := context.Background()
	to := tenanttest.Slug("devmail") + "@example.com"
	tx, err := db.Platform().Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := mail.Enqueue(ctx, tx, mail.Message{Kind: "invitation", To: to, Subject: "Join the shop", Body: "Follow https://link.test/one-time"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	dev := defaultOptions()
	dev.DevPages = true
	status, body := startServer(t, db, dev, nil).rawGet(t, base, "/dev/mails")
	if status != 200 {
		t.Fatalf("/dev/mails: %d %s", status, body)
	}
	for _, want := range []string{"Join the shop", "To " + to, "invitation", "not sent (0 attempts)", "https://link.test/one-time"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q: %s", want, body)
		}
	}
	if status, body := startServer(t, db, defaultOptions(), nil).rawGet(t, base, "/dev/mails"); status != 404 {
		t.Errorf("/dev/mails without DevPages: %d %s", status, body)
	}
}
