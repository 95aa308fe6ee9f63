package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// The fuzz targets drive the real app in process — site resolution,
// authentication, the Owner's permissions, a bound transaction, the handler,
// PostgreSQL — with arbitrary path ids, query strings and JSON bodies, and
// fail on any 5xx: hostile input must be a 4xx. Each input is one request.
//
// Every fuzz worker is a process of its own and runs the target's set-up:
// tenanttest gives each process a database of its own, so each worker makes
// its own shop, Owner, product, role, member and import.

// fuzzRoute is a request the fuzzer may aim at; ":id" in the path is the
// fixture's id of that kind (or the fuzzer's own, when it gives one).
type fuzzRoute struct {
	method, path string
	id           string // which fixture id replaces :id
	anonymous    bool
}

// fuzzReads are the list, search and read endpoints of a shop.
var fuzzReads = []fuzzRoute{
	{"GET", "/api/v1/shop/products", "", true},
	{"GET", "/", "", true},
	{"GET", "/api/v1/products", "", false},
	{"GET", "/api/v1/products/drift", "", false},
	{"GET", "/api/v1/products/:id", "product", false},
	{"GET", "/api/v1/marketplace/products", "", false},
	{"GET", "/api/v1/marketplace/products/:id", "staged", false},
	{"GET", "/api/v1/marketplace/imports", "", false},
	{"GET", "/api/v1/marketplace/imports/:id", "job", false},
	{"GET", "/api/v1/marketplace/imports/:id/products", "job", false},
	{"GET", "/api/v1/marketplace/imports/:id/changes", "job", false},
	{"GET", "/api/v1/marketplace/imports/:id/errors", "job", false},
	{"GET", "/api/v1/marketplace/imports/:id/disagreements", "job", false},
	{"GET", "/api/v1/marketplace/config", "", false},
	{"GET", "/api/v1/teams/members", "", false},
	{"GET", "/api/v1/teams/invitations", "", false},
	{"GET", "/api/v1/teams/roles", "", false},
	{"GET", "/api/v1/teams/audit", "", false},
	{"GET", "/api/v1/auth/me", "", false},
	{"GET", "/accept-invite", "", true},
	{"GET", "/reset-password", "", true},
	{"GET", "/api/v1/settings", "", false},
}

// fuzzWrites are the endpoints that take a JSON body. Logout and the
// password change are left out: they would end the fixture's session.
var fuzzWrites = []fuzzRoute{
	{"POST", "/api/v1/products", "", false},
	{"PUT", "/api/v1/products/:id", "product", false},
	{"POST", "/api/v1/products/from-import/:id", "staged", false},
	{"POST", "/api/v1/products/:id/reset", "product", false},
	{"POST", "/api/v1/products/:id/drift", "product", false},
	{"POST", "/api/v1/marketplace/products/select", "", false},
	{"PUT", "/api/v1/marketplace/config", "", false},
	{"POST", "/api/v1/marketplace/import", "", false},
	{"POST", "/api/v1/teams/roles", "", false},
	{"PUT", "/api/v1/teams/roles/:id", "role", false},
	{"POST", "/api/v1/teams/invite", "", false},
	{"PUT", "/api/v1/teams/members/:id", "member", false},
	{"POST", "/api/v1/auth/login", "", true},
	{"POST", "/api/v1/auth/refresh", "", true},
	{"POST", "/api/v1/auth/register", "", true},
	{"POST", "/api/v1/auth/password-reset", "", true},
	{"POST", "/api/v1/auth/password-reset/confirm", "", true},
	{"PUT", "/api/v1/settings", "", false},
}

// fuzzShop is one worker's shop, served in process.
type fuzzShop struct {
	ts      *testServer
	handler fasthttp.RequestHandler
	host    string
	email   string
	ids     map[string]string

	mu       sync.Mutex
	token    string
	signedIn time.Time
	logs     *syncBuffer // the server's log, to show why a request failed
}

// syncBuffer is a log the server's goroutines write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns what was logged since the last take.
func (b *syncBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

func newFuzzShop(f *testing.F) *fuzzShop {
	db := tenanttest.Open(f)
	shop := tenanttest.Tenant(f, db, "fuzz")
	opts := defaultOptions()
	opts.Input = InputLimits{MaxQueryValue: 256, MaxJSONString: 1024}
	logs := &syncBuffer{}
	ts := start(f, db, setup{opts: opts, log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	fs := &fuzzShop{ts: ts, handler: ts.srv.app.Handler(), host: hostOf(shop), email: "owner@" + shop.Slug + ".test", logs: logs, ids: map[string]string{}}
	fs.ts.join(f, shop, ts.user(f, fs.email).ID, "owner")
	viewer := ts.user(f, "viewer@"+shop.Slug+".test")
	fs.ids["member"] = strconv.Itoa(ts.join(f, shop, viewer.ID, "viewer"))
	tok := fs.session(f)

	r := ts.do(f, req{method: "POST", host: fs.host, path: "/api/v1/products", token: tok,
		body: map[string]any{"sku": "FUZZ-1", "title": map[string]string{"en": "Fuzz", "fr": "Flou"}, "price_cents": 1000, "status": "active"}})
	var p struct{ ID int }
	r.decode(f, &p)
	fs.ids["product"] = strconv.Itoa(p.ID)
	r = ts.do(f, req{method: "POST", host: fs.host, path: "/api/v1/teams/roles", token: tok,
		body: map[string]any{"name": "Fuzzers", "permissions": []string{"products.view"}}})
	var role struct{ ID int }
	r.decode(f, &role)
	fs.ids["role"] = strconv.Itoa(role.ID)

	// An import, run in process (no queue), leaves staged products and a
	// job with its reports.
	feeds := newFeedServer(f)
	feeds.set("/en.tsv", feedFile(
		feedRow{"S-1", "Staged one", "A description", "12.50 EUR", "in stock", "Acme", gtin("400638133393"), "3"},
		feedRow{"S-2", "Staged two", "", "3 EUR", "out of stock", "Other", "", ""},
		feedRow{"S-3", "", "", "bad price", "", "", "123", ""},
	))
	ts.configure(f, fs.host, tok, map[string]string{"en": feeds.url("/en.tsv")}, "en")
	var job marketplace.Job
	ctx := context.Background()
	if err := db.Tx(ctx, shop, func(ctx context.Context) error {
		var err error
		job, err = ts.market.Trigger(ctx, nil, false, marketplace.TriggerManual)
		return err
	}); err != nil {
		f.Fatal(err)
	}
	if err := ts.market.RunJob(ctx, shop, job.ID); err != nil {
		f.Fatal(err)
	}
	fs.ids["job"] = strconv.Itoa(job.ID)
	staged := ts.staged(f, fs.host, tok, "")
	if len(staged) == 0 {
		f.Fatal("the fixture import staged nothing")
	}
	fs.ids["staged"] = strconv.Itoa(staged[0].ID)
	// The in-process path reaches the handlers, signed in, or the fuzzing
	// would only ever meet a refusal.
	for _, r := range fuzzReads {
		if got := fs.serve(f, r, "", "", nil); got != 200 {
			f.Fatalf("%s %s in process: %d, want 200", r.method, r.path, got)
		}
	}
	return fs
}

// session is the Owner's access token, renewed before it expires (15
// minutes) so a long fuzzing run keeps its permissions.
func (fs *fuzzShop) session(t testing.TB) string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if time.Since(fs.signedIn) > 10*time.Minute {
		fs.token, fs.signedIn = fs.ts.login(t, fs.host, fs.email).access, time.Now()
	}
	return fs.token
}

// serve sends one request through the app in process and fails the test
// on a 5xx, showing the request and what the server logged.
func (fs *fuzzShop) serve(t testing.TB, r fuzzRoute, id, query string, body []byte) int {
	if id == "" {
		id = fs.ids[r.id]
	}
	path := strings.Replace(r.path, ":id", url.PathEscape(id), 1)
	var rq fasthttp.Request
	rq.Header.SetMethod(r.method)
	rq.Header.SetHost(fs.host)
	rq.SetRequestURI(path)
	rq.URI().SetQueryString(query)
	if !r.anonymous {
		rq.Header.Set("Authorization", "Bearer "+fs.session(t))
	}
	if body != nil {
		rq.Header.SetContentType("application/json")
		rq.SetBody(body)
	}
	var c fasthttp.RequestCtx
	c.Init(&rq, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	fs.logs.take()
	fs.handler(&c)
	if status := c.Response.StatusCode(); status >= 500 {
		t.Fatalf("%s %s?%q body %q: %d %s\nserver log:\n%s", r.method, path, query, body, status, c.Response.Body(), fs.logs.take())
	}
	return c.Response.StatusCode()
}

func pick(routes []fuzzRoute, n uint8) fuzzRoute { return routes[int(n)%len(routes)] }

// routeIndex finds a route for the seeds.
func routeIndex(routes []fuzzRoute, method, path string) uint8 {
	for i, r := range routes {
		if r.method == method && r.path == path {
			return uint8(i)
		}
	}
	panic(fmt.Sprintf("no fuzz route %s %s", method, path))
}

// FuzzVendorRead: list, search and read endpoints with arbitrary query
// strings (keys and values, raw: any byte, any escape) and path ids.
func FuzzVendorRead(f *testing.F) {
	fs := newFuzzShop(f)
	products, shopProducts := routeIndex(fuzzReads, "GET", "/api/v1/products"), routeIndex(fuzzReads, "GET", "/api/v1/shop/products")
	staging := routeIndex(fuzzReads, "GET", "/api/v1/marketplace/products")
	changes := routeIndex(fuzzReads, "GET", "/api/v1/marketplace/imports/:id/changes")
	for _, seed := range []struct {
		route     uint8
		id, query string
	}{
		{shopProducts, "", "q=%00"},
		{shopProducts, "", "q=%FF%FE"},
		{shopProducts, "", "brand=a%00b"},
		{shopProducts, "", "sort=sku&cursor=" + forgedCursor(`{"s":"sku","v":{"a":1},"i":1}`)},
		{shopProducts, "", "sort=-price&limit=1&min_price=0&max_price=99999"},
		{products, "", "q=fuzz&status=active&imported=false&overridden=false&drift=false&source_missing=false&group=g&sort=-updated"},
		{products, "", "limit=100&cursor=" + forgedCursor(`{"s":"created","v":1,"i":1}`)},
		{products, "", "x%00y=1&limit=-1&min_price=9223372036854775808"},
		{staging, "", "q=Staged&availability=in+stock&brand=Acme&category=c&selected=true&published=false&missing=false&changed=true&limit=2&cursor=" + forgedCursor(`{"l":"staged","i":1}`)},
		{changes, "", "action=create&language=en&limit=10&cursor=" + forgedCursor(`{"l":"changes/1","i":0}`)},
		{routeIndex(fuzzReads, "GET", "/api/v1/products/:id"), "99999999999999999999", ""},
		{routeIndex(fuzzReads, "GET", "/api/v1/marketplace/imports/:id/errors"), "", "limit=1&cursor=" + forgedCursor(`{"l":"errors/1","i":1}`)},
		{routeIndex(fuzzReads, "GET", "/api/v1/marketplace/imports"), "", "limit=0&cursor=" + forgedCursor(`{"l":"imports","i":9223372036854775807}`)},
		{routeIndex(fuzzReads, "GET", "/api/v1/teams/audit"), "", "cursor=" + forgedCursor(`{"l":"audit","i":9223372036854775807}`)},
		{routeIndex(fuzzReads, "GET", "/api/v1/teams/members"), "", "limit=1&cursor=" + forgedCursor(`{"l":"members","a":false,"i":1}`)},
		{routeIndex(fuzzReads, "GET", "/reset-password"), "", "token=%00"},
	} {
		f.Add(seed.route, seed.id, seed.query)
	}
	f.Fuzz(func(t *testing.T, route uint8, id, query string) {
		fs.serve(t, pick(fuzzReads, route), id, query, nil)
	})
}

// FuzzVendorWrite: the endpoints that take a JSON body, with arbitrary
// bodies, query strings and path ids.
func FuzzVendorWrite(f *testing.F) {
	fs := newFuzzShop(f)
	at := func(method, path string) uint8 { return routeIndex(fuzzWrites, method, path) }
	for _, seed := range []struct {
		route     uint8
		id, query string
		body      string
	}{
		{at("POST", "/api/v1/products"), "", "", `{"sku":"NEW-1","title":{"fr":"T\u0000"},"price_cents":1}`},
		{at("POST", "/api/v1/products"), "", "", `{"sku":"NEW-2","title":{"en":"A","de":"B"},"description":{"en":"D"},"price_cents":250,"sale_price_cents":200,"currency":"EUR","vat_rate_bp":1700,"stock":5,"status":"draft","images":["https://x.test/a.jpg"],"brand":"B","gtin":"4006381333931","item_group_id":"G"}`},
		{at("PUT", "/api/v1/products/:id"), "", "", `{"title":{"en":null},"sale_price_cents":null,"stock":null}`},
		{at("PUT", "/api/v1/products/:id"), "", "", "{\"brand\":\"a\xffb\"}"},
		{at("POST", "/api/v1/products/from-import/:id"), "", "", `{"price_cents":100,"title":{"fr":"Prix"}}`},
		{at("POST", "/api/v1/products/:id/reset"), "", "", `{"fields":["title","price_cents"]}`},
		{at("POST", "/api/v1/products/:id/drift"), "", "", `{"field":"title","action":"accept"}`},
		{at("POST", "/api/v1/marketplace/products/select"), "", "", `{"filter":{"q":"\u0000"},"selected":true}`},
		{at("POST", "/api/v1/marketplace/products/select"), "", "", `{"filter":{"q":"Staged","availability":"in stock","brand":"Acme","category":"","published":false,"missing":false,"changed":false},"selected":true}`},
		{at("POST", "/api/v1/marketplace/products/select"), "", "", `{"ids":[1,2,99999999999],"selected":false}`},
		{at("PUT", "/api/v1/marketplace/config"), "", "", `{"feeds":[{"language":"fr","url":"https://feeds.test/fr.tsv"}],"schedule":"daily","active":true}`},
		{at("POST", "/api/v1/marketplace/import"), "", "dry_run=true", `{"dry_run":true}`},
		{at("POST", "/api/v1/teams/roles"), "", "", `{"name":"R\u0000","permissions":["products.view"]}`},
		{at("POST", "/api/v1/teams/roles"), "", "", `{"name":"Packers","description":"pack","permissions":["orders.view","products.view"]}`},
		{at("PUT", "/api/v1/teams/roles/:id"), "", "", `{"name":"Renamed","permissions":["products.view","products.edit"]}`},
		{at("POST", "/api/v1/teams/invite"), "", "", `{"email":"new@fuzz.test","role":"Viewer"}`},
		{at("POST", "/api/v1/teams/invite"), "", "", `{"email":"x\u0000@y.test","role_id":1}`},
		{at("PUT", "/api/v1/teams/members/:id"), "", "", `{"role":"Editor","active":true}`},
		{at("POST", "/api/v1/auth/login"), "", "", `{"email":"a\u0000@b.test","password":"x"}`},
		{at("POST", "/api/v1/auth/login"), "", "", `{"email":"nobody@fuzz.test","password":"wrong","refresh_in_body":true}`},
		{at("POST", "/api/v1/auth/refresh"), "", "", `{"refresh_token":"\u0000"}`},
		{at("POST", "/api/v1/auth/register"), "", "", `{"token":"abc","password":"long enough password","first_name":"A","last_name":"B"}`},
		{at("POST", "/api/v1/auth/password-reset"), "", "", `{"email":"nobody@fuzz.test"}`},
		{at("POST", "/api/v1/auth/password-reset/confirm"), "", "", `{"token":"abc","password":"long enough password"}`},
		{at("PUT", "/api/v1/settings"), "", "", `{"name":"Fuzz shop","enabled_languages":["fr","de"],"default_language":"de","currency":"EUR","theme_config":{"colors":{"primary":"#123"},"logo_url":"https://x.test/l.png","font":"serif"}}`},
		{at("PUT", "/api/v1/settings"), "", "", `{"theme_config":{"colors":{"primary":1e400,"x\u0000":[]},"font":{}},"business_country":"\u00e9"}`},
	} {
		f.Add(seed.route, seed.id, seed.query, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, route uint8, id, query string, body []byte) {
		fs.serve(t, pick(fuzzWrites, route), id, query, body)
	})
}
