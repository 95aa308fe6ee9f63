package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/internal/account"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/internal/system"
	"github.com/bazaar/bazaar/internal/team"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/public"
)

// route is one entry of a site's route table: what it answers, who may call
// it, and the tenant transaction it runs in.
type route struct {
	Method  string
	Path    string
	Access  Access
	Tx      txMode
	Handler fiber.Handler
}

type txMode int

const (
	noTx    txMode = iota // platform work only, or the handler binds itself
	readTx                // a read-only transaction bound to the vendor
	writeTx               // a read-write transaction bound to the vendor
)

// Services are the domain services behind the routes, built from the
// configuration by cmd/bazaar/services.go. Each handler group is given the
// few it uses.
type Services struct {
	Identity *identity.Service
	Authz    *authz.Authorizer
	Team     *team.Service
	Catalog  *catalog.Service
	Market   *marketplace.Service
	Audit    *audit.Service
	Outbox   *mail.Outbox // listed at /dev/mails with DevPages
	Vendors  *vendor.Service
	System   *system.Service // the platform's health and analytics
	Accounts *account.Service
	// Customers are the shops' shoppers (their own realm: shopper.go).
	Customers *customer.Service
	Orders    *order.Service // carts, checkout, orders, shipping, sales figures
	// Payments are the shops' payment settings and providers.
	Payments *payment.Service
}

// siteTables builds one handler group per domain, holding only the services
// and settings its handlers use, and composes every site's route table from
// the rows the groups declare in their own files (method, path, access,
// transaction, handler). Rows are registered in the order given here; the
// permission matrix test walks every table and fails for a route it has no
// row for.
//
// A new domain is its service here in Services (built in
// cmd/bazaar/services.go), a file with its handler group and rows, and one
// line below building the group and one placing its rows.
func (s *server) siteTables(svc Services) map[SiteKind][]route {
	auth := &authHandlers{caller: s.caller, identity: svc.Identity, team: svc.Team, authz: svc.Authz,
		secureCookies: s.opts.SecureCookies, pathRouting: s.opts.PathRouting, baseDomain: s.opts.BaseDomain}
	teams := &teamHandlers{caller: s.caller, team: svc.Team}
	products := &catalogHandlers{caller: s.caller, catalog: svc.Catalog}
	imports := &marketHandlers{caller: s.caller, market: svc.Market, db: s.db, log: s.log,
		requestTimeout: s.opts.RequestTimeout, writeTimeout: s.opts.WriteTimeout}
	settings := &settingsHandlers{caller: s.caller, vendor: svc.Vendors}
	payments := &paymentHandlers{caller: s.caller, payments: svc.Payments}
	domains := &domainHandlers{caller: s.caller, vendor: svc.Vendors, lookup: s.opts.LookupTXT}
	admin := &adminHandlers{audit: svc.Audit, vendors: svc.Vendors, log: s.log, writeTimeout: s.opts.WriteTimeout}
	vendors := &vendorHandlers{caller: s.caller, vendors: svc.Vendors, team: svc.Team, log: s.log,
		requestTimeout: s.opts.RequestTimeout, writeTimeout: s.opts.WriteTimeout}
	monitor := &monitorHandlers{caller: s.caller, market: svc.Market}
	sys := &systemHandlers{system: svc.System}
	users := &userHandlers{caller: s.caller, accounts: svc.Accounts}
	pages := &pageHandlers{outbox: svc.Outbox, devPages: s.opts.DevPages}
	shopAccount := &customerHandlers{caller: s.caller, customers: svc.Customers, carts: svc.Orders, secureCookies: s.opts.SecureCookies,
		cartMaxAge: int(s.opts.CartTTL / time.Second)}
	customers := &teamCustomerHandlers{caller: s.caller, customers: svc.Customers, orders: svc.Orders}
	shop := &shopHandlers{caller: s.caller, orders: svc.Orders, payments: svc.Payments, secureCookies: s.opts.SecureCookies,
		cartMaxAge: int(s.opts.CartTTL / time.Second)}
	orders := &orderHandlers{caller: s.caller, orders: svc.Orders}
	front := &storefront{caller: s.caller, catalog: svc.Catalog, orders: svc.Orders, customers: svc.Customers}
	office := &backoffice{}
	return map[SiteKind][]route{
		SitePlatform: slices.Concat(auth.routes(), pages.routes()),
		SiteAdmin: slices.Concat(auth.routes(), admin.routes(), vendors.routes(), monitor.routes(), sys.routes(), users.routes(),
			office.platformRoutes()),
		SiteVendor: slices.Concat(auth.routes(), products.shopRoutes(), shopAccount.routes(), auth.inviteRoutes(),
			teams.routes(), products.routes(), imports.routes(), settings.routes(), customers.routes(), shop.routes(), orders.routes(), payments.routes(),
			domains.routes(), front.routes(), office.routes()),
	}
}

// routes builds the app.
//
// Order matters. Every request first names exactly one well-formed host
// (checkTarget). Host-independent routes (health, static files) come before
// site resolution, so a load balancer probing by IP gets an answer. Then
// checkQuery refuses query strings the database cannot take, resolveSite
// finds the site from the host, and dispatch hands the request to that
// site's own table. Each route then runs authenticate (bearer token →
// principal), guard (its Access) and, for tenant work, a bound transaction
// (read-only where it only reads).
func (s *server) routes() {
	app := s.app
	app.Use(s.withRequestID, s.withAccessLog, withSecurityHeaders, s.checkTarget)

	app.Get("/api/v1/health", s.health)
	app.Get("/api/v1/health/ready", s.ready)
	app.Get(public.AssetPrefix+"*", asset)
	if s.opts.DevPages && s.devFeeds != nil {
		app.Use("/dev/feeds", filesystem.New(filesystem.Config{Root: http.FS(s.devFeeds)}))
	}

	app.Use(s.withTimeout, s.checkQuery, s.resolveSite, s.dispatch)

	platform := s.siteApp(s.tables[SitePlatform])
	admin := s.siteApp(s.tables[SiteAdmin])
	vendor := s.siteApp(s.tables[SiteVendor])
	if s.extraRoutes != nil {
		s.extraRoutes(s, vendor)
	}
	s.sites = map[SiteKind]fasthttp.RequestHandler{
		SitePlatform: platform.Handler(),
		SiteAdmin:    admin.Handler(),
		SiteVendor:   vendor.Handler(),
	}
}

func (s *server) siteApp(table []route) *fiber.App {
	app := fiber.New(s.fiberConfig())
	for _, r := range table {
		chain := []fiber.Handler{s.authenticate, s.guard(r.Access)}
		if !ownAccountRoutes[r.Path] {
			chain = append(chain, passwordChosen)
		}
		switch r.Tx {
		case readTx:
			chain = append(chain, s.tenantTx(readOnly))
		case writeTx:
			chain = append(chain, s.tenantTx(!readOnly))
		}
		if r.Access.kind == accessShopper || r.Access.kind == accessCustomer {
			if r.Tx == noTx {
				panic("web: shopper route " + r.Method + " " + r.Path + " needs a tenant transaction to know its shopper")
			}
			chain = append(chain, s.shopper(r.Access))
		}
		app.Add(r.Method, r.Path, append(chain, r.Handler)...)
	}
	return app
}

const readOnly = true
