package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/public"
	"github.com/bazaar/bazaar/tenantdb"
)

func productListParams(c *fiber.Ctx) (catalog.ListParams, error) {
	bad := map[string]string{}
	r := pageRequest(c, catalog.Limits, bad)
	p := catalog.ListParams{
		Limit: r.Limit, Cursor: r.Cursor, Sort: c.Query("sort"),
		Query: c.Query("q"), Status: c.Query("status"), Brand: c.Query("brand"), Group: c.Query("group"),
		Imported: queryBool(c, "imported", bad), Overridden: queryBool(c, "overridden", bad), Drift: queryBool(c, "drift", bad),
		SourceMissing: queryBool(c, "source_missing", bad),
		MinPrice:      queryInt64(c, "min_price", bad), MaxPrice: queryInt64(c, "max_price", bad),
	}
	return p, fault.Fields("invalid listing parameters", bad)
}

// listProducts answers GET /api/v1/products (the vendor's whole catalogue).
func (s *server) listProducts(c *fiber.Ctx) error {
	p, err := productListParams(c)
	if err != nil {
		return err
	}
	pg, err := s.catalog.List(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// shopProducts answers GET /api/v1/shop/products: what shoppers see (active
// products only, each as catalog.ShopProduct).
func (s *server) shopProducts(c *fiber.Ctx) error {
	p, err := productListParams(c)
	if err != nil {
		return err
	}
	pg, err := s.catalog.ListShop(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// shopHome renders the shop's home page with its first products, on the
// server, so the content is in the HTML crawlers receive.
func (s *server) shopHome(c *fiber.Ctx) error {
	t, err := tenantdb.CurrentTenant(c.UserContext())
	if err != nil {
		return err
	}
	pg, err := s.catalog.ListShop(c.UserContext(), catalog.ListParams{Limit: catalog.MaxLimit})
	if err != nil {
		return err
	}
	html, err := public.Render("shop_home.html", map[string]any{
		"Title":    t.Name,
		"ShopName": t.Name,
		"Products": pg.Items,
	})
	if err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Send(html)
}

func (s *server) getProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := s.catalog.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *server) createProduct(c *fiber.Ctx) error {
	var in catalog.Input
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := s.catalog.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	if err := s.record(c, "products.create", "product", p.ID, nil, p); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (s *server) updateProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in catalog.Input
	if err := bind(c, &in); err != nil {
		return err
	}
	before, err := s.catalog.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	p, err := s.catalog.Update(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	if err := s.record(c, "products.edit", "product", p.ID, before, p); err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *server) deleteProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	before, err := s.catalog.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := s.catalog.Delete(c.UserContext(), id); err != nil {
		return err
	}
	if err := s.record(c, "products.delete", "product", id, before, nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// publishOne answers POST /api/v1/products/from-import/{id}: the body (may be
// empty) holds overrides.
func (s *server) publishOne(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in catalog.Input
	if len(c.Body()) > 0 {
		if err := bind(c, &in); err != nil {
			return err
		}
	}
	p, err := s.catalog.Publish(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	if err := s.record(c, "products.publish", "product", p.ID, nil, p); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// publishSelected answers POST /api/v1/products/from-import: every selected
// imported product not yet in the catalogue.
func (s *server) publishSelected(c *fiber.Ctx) error {
	res, err := s.catalog.PublishSelected(c.UserContext())
	if err != nil {
		return err
	}
	if err := s.record(c, "products.publish_selected", "", 0, nil, map[string]any{"published": res.Published, "skipped": len(res.Skipped)}); err != nil {
		return err
	}
	return c.JSON(res)
}

// listDrift answers GET /api/v1/products/drift (?product_id= for one
// product's).
func (s *server) listDrift(c *fiber.Ctx) error {
	bad := map[string]string{}
	pid := queryInt(c, "product_id", bad)
	r := pageRequest(c, catalog.DriftLimits, bad)
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := s.catalog.Drifts(c.UserContext(), pid, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (s *server) resolveDrift(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Field  string `json:"field"`
		Action string `json:"action"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := s.catalog.ResolveDrift(c.UserContext(), id, in.Field, in.Action)
	if err != nil {
		return err
	}
	if err := s.record(c, "products.drift_"+in.Action, "product", id, nil, map[string]any{"field": in.Field}); err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *server) resetProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Fields []string `json:"fields"`
	}
	if len(c.Body()) > 0 {
		if err := bind(c, &in); err != nil {
			return err
		}
	}
	p, err := s.catalog.Reset(c.UserContext(), id, in.Fields)
	if err != nil {
		return err
	}
	if err := s.record(c, "products.reset", "product", id, nil, map[string]any{"fields": in.Fields}); err != nil {
		return err
	}
	return c.JSON(p)
}
