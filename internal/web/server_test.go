package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"

	"github.com/bazaar/bazaar"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/tenant/role"
	"github.com/bazaar/bazaar/internal/account"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/compose"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/fetch"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/internal/queue"
	"github.com/bazaar/bazaar/internal/system"
	"github.com/bazaar/bazaar/internal/team"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb"
)

// testServer is a real listener on loopback serving the real app with the
// real services.
type testServer struct {
	db        *tenantdb.DB
	srv       *server
	addr      string
	ids       *identity.Service
	authz     *authz.Authorizer
	team      *team.Service
	sender    *mail.Sender // nil unless the setup names an SMTP address
	market    *marketplace.Service
	vendors   *vendor.Service
	system    *system.Service
	accounts  *account.Service
	customers *customer.Service
	orders    *order.Service
	payments  *payment.Service
	queue     *queue.Client // nil unless the setup asks for one
	client    *http.Client
}

// setup varies a test server.
type setup struct {
	opts      Options
	identity  func(*identity.Options) // adjust identity options
	smtpAddr  string                  // deliver mail there (tests call flushMail)
	extra     func(s *server, vendor fiber.Router)
	log       *slog.Logger               // the server's log (default: discarded)
	market    func(*marketplace.Options) // adjust import options (tests allow their loopback feed server by default)
	queue     bool                       // run imports on a real queue (River) beside the server
	orders    func(*order.Options)       // adjust the order options
	stripeURL string                     // where Stripe is (stripetest.Start); none by default
	customer  func(*customer.Options)    // adjust the shoppers' account options
}

// testMarketOptions allow the loopback feed servers tests start, and save
// progress at every batch.
func testMarketOptions() marketplace.Options {
	return marketplace.Options{
		Fetch:         fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 30 * time.Second},
		ProgressEvery: time.Nanosecond,
	}
}

// testPayments is the payment service with a fixed sealing key; it reaches
// no Stripe (the settings never call it): a test that pays sets its own.
func testPayments(t testing.TB, stripeURL string) *payment.Service {
	t.Helper()
	if stripeURL == "" {
		stripeURL = "http://127.0.0.1:1" // nobody: a test that reaches Stripe says where
	}
	p, err := payment.New(payment.Options{
		Key: []byte("test-payments-sealing-key-32byte"), StripeAPIURL: stripeURL,
		Timeout: 5 * time.Second, WebhookTolerance: 5 * time.Minute, WebhookMaxBytes: 64 << 10,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testCustomerOptions are the defaults' but for an address limit no test
// reaches unless it means to (every test client is 127.0.0.1).
func testCustomerOptions() customer.Options {
	return customer.Options{SessionTTL: 48 * time.Hour, ResetTTL: time.Hour, LoginFailures: 5, Lockout: 15 * time.Minute, LoginIPLimit: 10000}
}

// testKey signs access tokens in tests; oldKey is a retired key that still
// verifies (rotation).
var (
	testKey = identity.Key{ID: "k2", Secret: []byte("test-signing-key-0123456789abcdef-k2")}
	oldKey  = identity.Key{ID: "k1", Secret: []byte("test-signing-key-0123456789abcdef-k1")}
)

// testIdentityOptions are production-shaped but with a cheap KDF, so a test
// run does not spend its time hashing.
func testIdentityOptions() identity.Options {
	return identity.Options{
		Issuer: "bazaar-test", Keys: []identity.Key{testKey, oldKey},
		AccessTTL: 15 * time.Minute, RefreshTTL: 24 * time.Hour, SessionTTL: 48 * time.Hour, ResetTTL: time.Hour,
		KDF: identity.KDF{Time: 1, MemoryKiB: 8 * 1024, Threads: 1, Concurrency: 4},
		Throttle: identity.ThrottleOptions{
			IPAttempts: 10000, IPWindow: time.Minute,
			AccountFailures: 5, AccountWindow: 15 * time.Minute, BackoffBase: time.Minute, BackoffMax: time.Hour,
		},
	}
}

func startServer(t testing.TB, db *tenantdb.DB, opts Options, extra func(s *server, vendor fiber.Router)) *testServer {
	return start(t, db, setup{opts: opts, extra: extra})
}

func start(t testing.TB, db *tenantdb.DB, su setup) *testServer {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	idOpts := testIdentityOptions()
	if su.identity != nil {
		su.identity(&idOpts)
	}
	ids, err := identity.New(db, idOpts, log)
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.New(db, bazaar.CasbinModel, authz.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	tm := team.New(db, ids.Hasher(), az, team.Options{InviteTTL: 7 * 24 * time.Hour}, log)
	r := db.NewResolver(tenantdb.ResolverOptions{TTL: time.Hour})
	l := db.NewListener()
	r.Follow(l)
	az.Follow(l)
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ts := &testServer{db: db, ids: ids, authz: az, team: tm,
		client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if su.smtpAddr != "" {
		host, port, _ := net.SplitHostPort(su.smtpAddr)
		p, _ := strconv.Atoi(port)
		ts.sender, err = mail.NewSender(db, mail.Options{Driver: "smtp", Host: host, Port: p, TLS: "none",
			From: "Bazaar <no-reply@shop.test>", Timeout: 5 * time.Second, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}, log)
		if err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.New()
	mo := testMarketOptions()
	if su.market != nil {
		su.market(&mo)
	}
	ts.market = marketplace.New(db, mo, compose.CatalogSync(cat), log)
	srvLog := log
	if su.log != nil {
		srvLog = su.log
	}
	ts.vendors = compose.Vendors(db, vendor.Options{
		Links: vendor.Links{Base: &url.URL{Scheme: "http", Host: base}, PathRouting: su.opts.PathRouting},
		Bulk:  vendor.BulkLimits{MaxBytes: 256 << 10, MaxRows: 500}, MaxDomains: 3,
	}, tm, ts.market, ids.Hasher(), log)
	ts.system = system.New(db, system.Options{QueueSchema: "river", SpareSchemas: 2}, log)
	ts.accounts = compose.Accounts(db, account.Options{Base: &url.URL{Scheme: "http", Host: base}}, ids, log)
	ts.payments = testPayments(t, su.stripeURL)
	co := testCustomerOptions()
	if su.customer != nil {
		su.customer(&co)
	}
	ts.customers = customer.New(ids.Hasher(), co, log)
	oo := order.Options{}
	if su.orders != nil {
		su.orders(&oo)
	}
	ts.orders = compose.Orders(cat, ts.customers, compose.OrderPayments(ts.payments), oo, log)
	if su.queue {
		ts.queue = startQueue(t, db, ts.market, ts.vendors, ts.system, ts.accounts)
	}
	ts.srv = newServer(su.opts, Deps{Log: srvLog, DB: db, Resolver: r, Services: Services{
		Identity: ids, Authz: az, Team: tm, Catalog: cat, Market: ts.market, Audit: audit.New(db), Outbox: mail.NewOutbox(db),
		Vendors: ts.vendors, System: ts.system, Accounts: ts.accounts, Customers: ts.customers, Orders: ts.orders, Payments: ts.payments,
	}}, su.extra)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.app.Listener(ln) //nolint:errcheck // ends with Shutdown
	t.Cleanup(func() { ts.srv.app.ShutdownWithTimeout(5 * time.Second) })
	ts.addr = ln.Addr().String()
	return ts
}

// startQueue runs a River client with the import workers on db until the
// test ends.
func startQueue(t testing.TB, db *tenantdb.DB, m *marketplace.Service, v *vendor.Service, sys *system.Service, a *account.Service) *queue.Client {
	t.Helper()
	pool, err := db.OpenSidePool(context.Background(), "queue", 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() }) // after the client has stopped (cleanups run last first)
	if err := queue.Migrate(context.Background(), pool, "river"); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	periodic := m.Register(workers, marketplace.WorkerOptions{ResumeCheck: 200 * time.Millisecond, ResumeGrace: 100 * time.Millisecond})
	periodic = append(periodic, v.Register(workers, time.Second)...)
	periodic = append(periodic, sys.Register(workers)...)
	periodic = append(periodic, a.Register(workers, time.Second)...)
	c, err := queue.New(pool, workers, queue.Options{Schema: "river", Workers: 2, PollInterval: 100 * time.Millisecond,
		PeriodicJobs: periodic, Consume: true, JobTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	m.UseQueue(marketplace.Queue{Client: c})
	v.UseQueue(vendor.Queue{Client: c})
	a.UseQueue(account.Queue{Client: c})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.StopAndCancel(ctx) //nolint:errcheck // the test is over
	})
	return c
}

// flushMail delivers due mail now and returns how many went out.
func (ts *testServer) flushMail(t testing.TB) int {
	t.Helper()
	n, err := ts.sender.Flush(context.Background())
	if err != nil {
		t.Fatalf("flush mail: %v", err)
	}
	return n
}

// req is one HTTP call.
type req struct {
	method, host, path string
	token              string // bearer access token
	body               any    // marshalled as JSON unless a string
	header             map[string]string
	cookies            []*http.Cookie
}

// resp is an answer.
type resp struct {
	status  int
	body    []byte
	header  http.Header
	cookies []*http.Cookie
}

func (r *resp) code() string { return errorCode(string(r.body)) }

func (r *resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r *resp) cookie(name string) *http.Cookie {
	for _, c := range r.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (ts *testServer) do(t testing.TB, q req) *resp {
	t.Helper()
	var body io.Reader
	switch b := q.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(q.method, "http://"+ts.addr+q.path, body)
	if err != nil {
		t.Fatal(err)
	}
	hr.Host = q.host
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if q.token != "" {
		hr.Header.Set("Authorization", "Bearer "+q.token)
	}
	for k, v := range q.header {
		hr.Header.Set(k, v)
	}
	for _, c := range q.cookies {
		hr.AddCookie(c)
	}
	res, err := ts.client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &resp{status: res.StatusCode, body: b, header: res.Header, cookies: res.Cookies()}
}

// testPassword is every test account's password.
const testPassword = "correct horse battery staple"

// user creates an account.
func (ts *testServer) user(t testing.TB, email string) *identity.User {
	t.Helper()
	u, err := ts.ids.CreateUser(context.Background(), identity.NewUser{Email: email, FirstName: "Test", LastName: "User", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// join makes a user a member of tn with the default role of that system key
// (owner, manager, editor, viewer) or, failing that, the role of that name.
func (ts *testServer) join(t testing.TB, tn *tenantdb.Tenant, userID int, roleRef string) int {
	t.Helper()
	ctx := context.Background()
	var roleID int
	err := ts.db.ReadTx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		roleID, err = c.Role.Query().Where(role.Or(role.SystemKey(roleRef), role.Name(roleRef))).OnlyID(ctx)
		return err
	})
	if err != nil {
		t.Fatalf("role %s: %v", roleRef, err)
	}
	// As the team service does: the change and its announcement commit
	// together, so every instance's authorizer forgets the vendor.
	tx, err := ts.db.Platform().Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tx.Membership.Create().SetUserID(userID).SetVendorID(tn.ID).SetRoleID(roleID).
		OnConflictColumns(membership.FieldUserID, membership.FieldVendorID).UpdateRoleID().UpdateActive().
		ID(ctx)
	if err == nil {
		err = authz.Changed(ctx, tx, tn.ID)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	return m
}

// session is a signed-in client.
type session struct {
	access, refresh string
	userID          int
}

// login signs in on host as an API client (refresh token in the body).
func (ts *testServer) login(t testing.TB, host, email string) session {
	t.Helper()
	r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/auth/login",
		body: map[string]any{"email": email, "password": testPassword, "refresh_in_body": true}})
	if r.status != http.StatusOK {
		t.Fatalf("login %s on %s: %d %s", email, host, r.status, r.body)
	}
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		User         struct {
			ID int `json:"id"`
		} `json:"user"`
	}
	r.decode(t, &out)
	return session{access: out.AccessToken, refresh: out.RefreshToken, userID: out.User.ID}
}
