package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fault"
)

// catalogHandlers serve the catalogue: the shop front shoppers see, and the
// products the team manages, publishes from the import and reconciles with
// it (drift). Every change goes into the shop's audit trail.
type catalogHandlers struct {
	caller
	catalog *catalog.Service
}

// shopRoutes are the shop front, public.
func (h *catalogHandlers) shopRoutes() []route {
	return []route{
		{"GET", "/api/v1/shop/products", Public, readTx, h.shopProducts},
	}
}

// routes are the team's. Literal paths come before the :id ones they would
// otherwise match.
func (h *catalogHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/products", Permission(authz.ProductsView), readTx, h.listProducts},
		{"POST", "/api/v1/products", Permission(authz.ProductsCreate), writeTx, h.createProduct},
		{"GET", "/api/v1/products/drift", Permission(authz.ProductsView), readTx, h.listDrift},
		{"POST", "/api/v1/products/from-import", Permission(authz.ProductsCreate), writeTx, h.publishSelected},
		{"POST", "/api/v1/products/from-import/:id", Permission(authz.ProductsCreate), writeTx, h.publishOne},
		{"GET", "/api/v1/products/:id", Permission(authz.ProductsView), readTx, h.getProduct},
		{"PUT", "/api/v1/products/:id", Permission(authz.ProductsEdit), writeTx, h.updateProduct},
		{"DELETE", "/api/v1/products/:id", Permission(authz.ProductsDelete), writeTx, h.deleteProduct},
		{"POST", "/api/v1/products/:id/reset", Permission(authz.ProductsEdit), writeTx, h.resetProduct},
		{"POST", "/api/v1/products/:id/drift", Permission(authz.ProductsEdit), writeTx, h.resolveDrift},
	}
}

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
func (h *catalogHandlers) listProducts(c *fiber.Ctx) error {
	p, err := productListParams(c)
	if err != nil {
		return err
	}
	pg, err := h.catalog.List(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// shopProducts answers GET /api/v1/shop/products: what shoppers see (active
// products only, each as catalog.ShopProduct).
func (h *catalogHandlers) shopProducts(c *fiber.Ctx) error {
	p, err := productListParams(c)
	if err != nil {
		return err
	}
	pg, err := h.catalog.ListShop(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (h *catalogHandlers) getProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := h.catalog.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *catalogHandlers) createProduct(c *fiber.Ctx) error {
	var in catalog.Input
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := h.catalog.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	if err := h.record(c, "products.create", "product", p.ID, nil, p); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (h *catalogHandlers) updateProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in catalog.Input
	if err := bind(c, &in); err != nil {
		return err
	}
	before, err := h.catalog.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	p, err := h.catalog.Update(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	if err := h.record(c, "products.edit", "product", p.ID, before, p); err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *catalogHandlers) deleteProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	before, err := h.catalog.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := h.catalog.Delete(c.UserContext(), id); err != nil {
		return err
	}
	if err := h.record(c, "products.delete", "product", id, before, nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// publishOne answers POST /api/v1/products/from-import/{id}: the body (may be
// empty) holds overrides.
func (h *catalogHandlers) publishOne(c *fiber.Ctx) error {
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
	p, err := h.catalog.Publish(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	if err := h.record(c, "products.publish", "product", p.ID, nil, p); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// publishSelected answers POST /api/v1/products/from-import: every selected
// imported product not yet in the catalogue.
func (h *catalogHandlers) publishSelected(c *fiber.Ctx) error {
	res, err := h.catalog.PublishSelected(c.UserContext())
	if err != nil {
		return err
	}
	if err := h.record(c, "products.publish_selected", "", 0, nil, map[string]any{"published": res.Published, "skipped": len(res.Skipped)}); err != nil {
		return err
	}
	return c.JSON(res)
}

// listDrift answers GET /api/v1/products/drift (?product_id= for one
// product's).
func (h *catalogHandlers) listDrift(c *fiber.Ctx) error {
	bad := map[string]string{}
	pid := queryInt(c, "product_id", bad)
	r := pageRequest(c, catalog.DriftLimits, bad)
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.catalog.Drifts(c.UserContext(), pid, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (h *catalogHandlers) resolveDrift(c *fiber.Ctx) error {
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
	p, err := h.catalog.ResolveDrift(c.UserContext(), id, in.Field, in.Action)
	if err != nil {
		return err
	}
	if err := h.record(c, "products.drift_"+in.Action, "product", id, nil, map[string]any{"field": in.Field}); err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *catalogHandlers) resetProduct(c *fiber.Ctx) error {
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
	p, err := h.catalog.Reset(c.UserContext(), id, in.Fields)
	if err != nil {
		return err
	}
	if err := h.record(c, "products.reset", "product", id, nil, map[string]any{"fields": in.Fields}); err != nil {
		return err
	}
	return c.JSON(p)
}
