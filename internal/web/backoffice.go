package web

import (
	"encoding/json"
	"html/template"

	"github.com/gofiber/fiber/v2"
)

// backoffice is the back office in the browser: one page for a shop's team
// (/admin/ on the shop's host) and one for super admins (/ on
// admin.<base_domain>). Each is the same shell whose scripts (the core
// public/static/js/admin.js, then one file per group of sections) sign the
// user in and drive the JSON API with the user's own access token. The
// pages hold nothing but a name: everything else comes through the API,
// which checks every permission again.
type backoffice struct{}

func (h *backoffice) routes() []route {
	return []route{
		{"GET", "/admin", Public, noTx, h.vendorAdmin},
	}
}

func (h *backoffice) platformRoutes() []route {
	return []route{
		{"GET", "/", Public, noTx, h.platformAdmin},
	}
}

// adminCSP is the back office's Content-Security-Policy: its own script and
// styles only; pictures from the web (product images, a theme's logo),
// fetches to itself.
const adminCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data: blob:; font-src 'self'; " +
	"connect-src 'self'; frame-src 'none'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

// vendorScripts are the shop back office's section files, after the core.
var vendorScripts = []string{"js/admin-vendor.js", "js/admin-customers.js", "js/admin-imports.js", "js/admin-team.js", "js/admin-settings.js"}

func (h *backoffice) vendorAdmin(c *fiber.Ctx) error {
	site := siteOf(c)
	t := site.Tenant
	return h.page(c, t.Name, vendorScripts, map[string]any{"realm": "vendor", "base": site.BasePath, "currency": t.Shop.Currency,
		"languages": t.Shop.EnabledLanguages, "language": t.Shop.DefaultLanguage})
}

func (h *backoffice) platformAdmin(c *fiber.Ctx) error {
	return h.page(c, "Bazaar platform", []string{"js/platform.js", "js/platform-ops.js"}, map[string]any{"realm": "platform", "base": ""})
}

func (h *backoffice) page(c *fiber.Ctx, name string, scripts []string, settings map[string]any) error {
	data, err := json.Marshal(settings)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", adminCSP)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render(c, "admin/shell.html", map[string]any{
		"Title": name + " · Back office", "Heading": name, "Scripts": scripts,
		"Data": template.JS(data), //nolint:gosec // json.Marshal escapes <, > and &
	})
}
