package catalog

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/public"
	"github.com/bazaar/bazaar/tenantdb"
)

// ListProducts answers GET /api/v1/shop/products?limit=&cursor=.
func ListProducts(svc *Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := listParams(c)
		if err != nil {
			return err
		}
		page, err := svc.List(c.UserContext(), p)
		if err != nil {
			return err
		}
		return c.JSON(page)
	}
}

// ShopHome renders the shop's home page with its first products, on the
// server, so the content is in the HTML crawlers receive.
func ShopHome(svc *Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, ok := tenantdb.BoundTenant(c.UserContext())
		if !ok {
			return tenantdb.ErrNotBound
		}
		page, err := svc.List(c.UserContext(), ListParams{Limit: MaxLimit})
		if err != nil {
			return err
		}
		html, err := public.Render("shop_home.html", map[string]any{
			"Title":    t.Name,
			"ShopName": t.Name,
			"Products": page.Products,
		})
		if err != nil {
			return err
		}
		c.Type("html", "utf-8")
		return c.Send(html)
	}
}

func listParams(c *fiber.Ctx) (ListParams, error) {
	var p ListParams
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, fault.Fields("invalid listing parameters", map[string]string{"limit": "must be a whole number"})
		}
		p.Limit = n
	}
	p.Cursor = c.Query("cursor")
	return p, nil
}
