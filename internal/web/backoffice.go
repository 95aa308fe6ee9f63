package web

import (
	"encoding/json"
	"html/template"

	"github.com/gofiber/fiber/v2"
)

// backoffice is the team's back office in the browser: one page, /admin/ on
// the shop's host, whose script (public/static/js/admin.js) signs the user
// in and drives the JSON API with the user's own access token. The page
// itself holds nothing of the shop but its name: everything else comes
// through the API, which checks every permission again.
type backoffice struct{}

func (h *backoffice) routes() []route {
	return []route{
		{"GET", "/admin", Public, noTx, h.vendorAdmin},
	}
}

// adminCSP is the back office's Content-Security-Policy: its own script and
// styles only; pictures from the web (product images), fetches to itself.
const adminCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; font-src 'self'; " +
	"connect-src 'self'; frame-src 'none'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

func (h *backoffice) vendorAdmin(c *fiber.Ctx) error {
	site := siteOf(c)
	t := site.Tenant
	data, err := json.Marshal(map[string]string{"base": site.BasePath, "currency": t.Shop.Currency})
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", adminCSP)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render(c, "admin/shell.html", map[string]any{
		"Title": t.Name + " · Back office", "Heading": t.Name,
		"Data": template.JS(data), //nolint:gosec // json.Marshal escapes <, > and &
	})
}
