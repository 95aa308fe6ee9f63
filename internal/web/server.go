// Package web is Bazaar's HTTP face: the Fiber app, its middleware (request id,
// access log, site resolution, tenant transactions), the error mapper, and the
// handlers — one small group per domain, each holding only the services it
// uses and declaring its routes, which routes.go composes into the sites'
// tables. The domain services do the work; this package composes them.
package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/tenantdb"
)

// Options are the web settings (from config.HTTP).
type Options struct {
	BaseDomain     string
	PathRouting    bool
	TrustedProxies []string
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	RequestTimeout time.Duration
	BodyLimit      int
	// SecureCookies marks session cookies Secure (HTTPS only). Browsers
	// accept Secure cookies from http://localhost too.
	SecureCookies bool
	// CartTTL is how long an untouched cart lives, and so its cookie.
	CartTTL time.Duration
	// DevPages serves development helpers (the outgoing mail page, the
	// demo's feeds).
	DevPages bool
	// Input bounds the text of query strings and JSON bodies (input.go).
	Input InputLimits
	// LookupTXT resolves the DNS TXT records that prove a shop's custom
	// domain (domains.go); nil is net.DefaultResolver.LookupTXT. Tests give
	// a fake, so none reaches beyond loopback.
	LookupTXT tenantdb.TXTLookup
}

// Database is what the web layer asks of the database (*tenantdb.DB in
// production): a transaction bound to the request's tenant, and the facts
// site resolution and readiness report. Nothing more: holding only this, a
// handler cannot reach the platform client or a tenant's tables outside a
// binding, nor build a query of its own; the domain services do that.
type Database interface {
	// Begin opens a transaction bound to t (tenantTx).
	Begin(ctx context.Context, t *tenantdb.Tenant, readOnly bool) (context.Context, *tenantdb.Txn, error)
	// ReadTx runs fn in a read-only transaction bound to t, for a handler
	// that streams after its request's transaction would have ended.
	ReadTx(ctx context.Context, t *tenantdb.Tenant, fn func(ctx context.Context) error) error
	// Frozen reads from the registry whether a move froze t's writes
	// (the tenant a request resolved may predate the freeze).
	Frozen(ctx context.Context, t *tenantdb.Tenant) (bool, error)
	// TenantLatest is the newest tenant migration this binary knows.
	TenantLatest() string
	Ping(ctx context.Context) error
	PlatformCurrent(ctx context.Context) (bool, error)
	TenantsBehind(ctx context.Context) (int, error)
}

// Deps are what New builds the app from.
type Deps struct {
	Log      *slog.Logger
	DB       Database
	Resolver *tenantdb.Resolver
	// Services are the domain services behind the routes (routes.go).
	Services Services
	// DevFeeds are served at /dev/feeds/ with DevPages, so the demo shops'
	// imports can run again from the server in development.
	DevFeeds fs.FS
}

type server struct {
	caller    // the client's address, for the access log and the host check
	opts      Options
	log       *slog.Logger
	db        Database
	resolver  *tenantdb.Resolver
	identity  *identity.Service                    // authenticate
	authz     *authz.Authorizer                    // guard
	customers *customer.Service                    // shopper
	tables    map[SiteKind][]route                 // every site's route table (routes.go)
	app       *fiber.App                           // host-independent routes, then site resolution
	sites     map[SiteKind]fasthttp.RequestHandler // one app per kind of site

	devFeeds    fs.FS
	extraRoutes func(s *server, vendor fiber.Router) // tests add vendor routes with it
}

// New builds the Fiber app with every route.
func New(opts Options, d Deps) *fiber.App {
	return newServer(opts, d, nil).app
}

func newServer(opts Options, d Deps, extra func(s *server, vendor fiber.Router)) *server {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.LookupTXT == nil {
		opts.LookupTXT = net.DefaultResolver.LookupTXT
	}
	if opts.CartTTL <= 0 {
		opts.CartTTL = 30 * 24 * time.Hour
	}
	s := &server{
		opts:        opts,
		log:         d.Log,
		db:          d.DB,
		resolver:    d.Resolver,
		devFeeds:    d.DevFeeds,
		identity:    d.Services.Identity,
		authz:       d.Services.Authz,
		customers:   d.Services.Customers,
		extraRoutes: extra,
		caller:      caller{trustedProxies: trustedNets(opts.TrustedProxies)},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.tables = s.siteTables(d.Services)
	s.app = fiber.New(s.fiberConfig())
	s.routes()
	return s
}

func (s *server) fiberConfig() fiber.Config {
	opts := s.opts
	return fiber.Config{
		AppName:               "bazaar",
		DisableStartupMessage: true,
		ErrorHandler:          s.fiberErrorHandler,
		BodyLimit:             opts.BodyLimit,
		ReadTimeout:           opts.ReadTimeout,
		WriteTimeout:          opts.WriteTimeout,
		IdleTimeout:           opts.IdleTimeout,
		CaseSensitive:         true,
		// Fiber believes X-Forwarded-* from every peer unless told otherwise:
		// only the configured proxies are trusted.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          opts.TrustedProxies,
		ProxyHeader:             fiber.HeaderXForwardedFor,
	}
}
