package web

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/internal/authz"
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

// authRoutes answer on every host: signing in works on the platform, on the
// admin site and on each shop (where the answer includes the user's
// permissions there).
func (s *server) authRoutes() []route {
	return []route{
		{"POST", "/api/v1/auth/login", Public, noTx, s.login},
		{"POST", "/api/v1/auth/refresh", Public, noTx, s.refresh},
		{"POST", "/api/v1/auth/logout", Public, noTx, s.logout},
		{"GET", "/api/v1/auth/me", Authenticated, noTx, s.me},
		{"POST", "/api/v1/auth/password", Authenticated, noTx, s.changePassword},
		{"POST", "/api/v1/auth/password-reset", Public, noTx, s.requestReset},
		{"POST", "/api/v1/auth/password-reset/confirm", Public, noTx, s.confirmReset},
		{"GET", "/reset-password", Public, noTx, s.resetPasswordPage},
	}
}

// vendorRoutes is every route of a shop's host. Each names its Access beside
// it; the permission matrix test walks this table and fails for a route it
// has no row for.
func (s *server) vendorRoutes() []route {
	return append(s.authRoutes(), []route{
		{"GET", "/", Public, readTx, s.shopHome},
		{"GET", "/api/v1/shop/products", Public, readTx, s.shopProducts},
		{"GET", "/accept-invite", Public, noTx, s.acceptInvitePage},
		{"POST", "/api/v1/auth/register", Public, writeTx, s.register},

		{"GET", "/api/v1/teams/members", Permission(authz.TeamView), readTx, s.listMembers},
		{"PUT", "/api/v1/teams/members/:id", Permission(authz.TeamManage), writeTx, s.updateMember},
		{"DELETE", "/api/v1/teams/members/:id", Permission(authz.TeamRemove), writeTx, s.removeMember},
		{"POST", "/api/v1/teams/invite", Permission(authz.TeamInvite), writeTx, s.invite},
		{"GET", "/api/v1/teams/invitations", Permission(authz.TeamInvite), readTx, s.listInvitations},
		{"POST", "/api/v1/teams/invitations/:id/resend", Permission(authz.TeamInvite), writeTx, s.resendInvitation},
		{"DELETE", "/api/v1/teams/invitations/:id", Permission(authz.TeamInvite), writeTx, s.revokeInvitation},
		{"GET", "/api/v1/teams/roles", Permission(authz.TeamView), readTx, s.listRoles},
		{"POST", "/api/v1/teams/roles", Permission(authz.TeamManage), writeTx, s.createRole},
		{"PUT", "/api/v1/teams/roles/:id", Permission(authz.TeamManage), writeTx, s.updateRole},
		{"DELETE", "/api/v1/teams/roles/:id", Permission(authz.TeamManage), writeTx, s.deleteRole},
		{"GET", "/api/v1/teams/audit", Permission(authz.TeamManage), readTx, s.teamAudit},

		// Literal paths before the :id ones they would otherwise match.
		{"GET", "/api/v1/products", Permission(authz.ProductsView), readTx, s.listProducts},
		{"POST", "/api/v1/products", Permission(authz.ProductsCreate), writeTx, s.createProduct},
		{"GET", "/api/v1/products/drift", Permission(authz.ProductsView), readTx, s.listDrift},
		{"POST", "/api/v1/products/from-import", Permission(authz.ProductsCreate), writeTx, s.publishSelected},
		{"POST", "/api/v1/products/from-import/:id", Permission(authz.ProductsCreate), writeTx, s.publishOne},
		{"GET", "/api/v1/products/:id", Permission(authz.ProductsView), readTx, s.getProduct},
		{"PUT", "/api/v1/products/:id", Permission(authz.ProductsEdit), writeTx, s.updateProduct},
		{"DELETE", "/api/v1/products/:id", Permission(authz.ProductsDelete), writeTx, s.deleteProduct},
		{"POST", "/api/v1/products/:id/reset", Permission(authz.ProductsEdit), writeTx, s.resetProduct},
		{"POST", "/api/v1/products/:id/drift", Permission(authz.ProductsEdit), writeTx, s.resolveDrift},

		{"GET", "/api/v1/marketplace/config", Permission(authz.ImportsView), readTx, s.importConfig},
		{"PUT", "/api/v1/marketplace/config", Permission(authz.ImportsConfigure), writeTx, s.setImportConfig},
		{"POST", "/api/v1/marketplace/import", Permission(authz.ImportsTrigger), writeTx, s.triggerImport},
		{"GET", "/api/v1/marketplace/imports", Permission(authz.ImportsView), readTx, s.listImports},
		{"GET", "/api/v1/marketplace/imports/:id", Permission(authz.ImportsView), readTx, s.getImport},
		{"POST", "/api/v1/marketplace/imports/:id/cancel", Permission(authz.ImportsTrigger), writeTx, s.cancelImport},
		{"GET", "/api/v1/marketplace/imports/:id/products", Permission(authz.ImportsView), readTx, s.importProducts},
		{"GET", "/api/v1/marketplace/imports/:id/changes", Permission(authz.ImportsView), readTx, s.importChanges},
		{"GET", "/api/v1/marketplace/imports/:id/errors", Permission(authz.ImportsView), readTx, s.importErrors},
		{"GET", "/api/v1/marketplace/imports/:id/errors.csv", Permission(authz.ImportsView), noTx, s.importErrorsCSV},
		{"GET", "/api/v1/marketplace/imports/:id/disagreements", Permission(authz.ImportsView), readTx, s.importDisagreements},
		{"GET", "/api/v1/marketplace/products", Permission(authz.ImportsView), readTx, s.stagedProducts},
		{"POST", "/api/v1/marketplace/products/select", Permission(authz.ProductsCreate), writeTx, s.selectStaged},
		{"GET", "/api/v1/marketplace/products/:id", Permission(authz.ImportsView), readTx, s.stagedProduct},
	}...)
}

func (s *server) platformRoutes() []route {
	r := append(s.authRoutes(), route{"GET", "/", Public, noTx, s.landing})
	if s.opts.DevPages {
		r = append(r, route{"GET", "/dev/mails", Public, noTx, s.devMails})
	}
	return r
}

func (s *server) adminRoutes() []route {
	return append(s.authRoutes(),
		route{"GET", "/api/v1/admin/audit", SuperAdmin, noTx, s.platformAudit},
	)
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
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(public.Static), MaxAge: 3600}))
	if s.opts.DevPages && s.devFeeds != nil {
		app.Use("/dev/feeds", filesystem.New(filesystem.Config{Root: http.FS(s.devFeeds)}))
	}

	app.Use(s.withTimeout, s.checkQuery, s.resolveSite, s.dispatch)

	platform := s.siteApp(s.platformRoutes())
	admin := s.siteApp(s.adminRoutes())
	vendor := s.siteApp(s.vendorRoutes())
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
		switch r.Tx {
		case readTx:
			chain = append(chain, s.tenantTx(readOnly))
		case writeTx:
			chain = append(chain, s.tenantTx(!readOnly))
		}
		app.Add(r.Method, r.Path, append(chain, r.Handler)...)
	}
	return app
}

const readOnly = true

// landing is the platform's home page.
func (s *server) landing(c *fiber.Ctx) error {
	return render(c, "landing.html", map[string]any{"Title": "Bazaar"})
}
