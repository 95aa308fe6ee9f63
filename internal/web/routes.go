package web

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/public"
)

// routes is the route table: every route, with its middleware, in one place.
//
// Order matters. Host-independent routes (health, static files) come before
// site resolution, so a load balancer probing by IP gets an answer. Then
// resolveSite finds the site from the host, and dispatch hands the request to
// that site's own table. Tenant routes open a bound transaction with tenantTx
// (read-only where they only read).
func (s *server) routes() {
	app := s.app
	app.Use(s.withRequestID, s.withAccessLog)

	app.Get("/api/v1/health", s.health)
	app.Get("/api/v1/health/ready", s.ready)
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(public.Static), MaxAge: 3600}))

	app.Use(s.withTimeout, s.resolveSite, s.dispatch)

	platform := fiber.New(s.fiberConfig())
	platform.Get("/", s.landing)

	admin := fiber.New(s.fiberConfig())

	vendor := fiber.New(s.fiberConfig())
	vendor.Get("/", s.tenantTx(readOnly), catalog.ShopHome(s.catalog))
	vendor.Get("/api/v1/shop/products", s.tenantTx(readOnly), catalog.ListProducts(s.catalog))

	if s.extraRoutes != nil {
		s.extraRoutes(s, vendor)
	}
	s.sites = map[SiteKind]fasthttp.RequestHandler{
		SitePlatform: platform.Handler(),
		SiteAdmin:    admin.Handler(),
		SiteVendor:   vendor.Handler(),
	}
}

const readOnly = true

// landing is the platform's home page.
func (s *server) landing(c *fiber.Ctx) error {
	return render(c, "landing.html", map[string]any{"Title": "Bazaar"})
}
