package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/order"
)

// orderHandlers are the team's side of selling: the shop's orders (listed,
// entered, processed), its shipping methods and its sales figures. Every
// change goes into the shop's audit trail and the order's history.
type orderHandlers struct {
	caller
	orders *order.Service
}

func (h *orderHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/orders", Permission(authz.OrdersView), readTx, h.list},
		{"POST", "/api/v1/orders", Permission(authz.OrdersCreate), writeTx, h.create},
		{"GET", "/api/v1/orders/:id", Permission(authz.OrdersView), readTx, h.get},
		{"PUT", "/api/v1/orders/:id", Permission(authz.OrdersEdit), writeTx, h.update},
		{"GET", "/api/v1/analytics", Permission(authz.AnalyticsView), readTx, h.analytics},
		{"GET", "/api/v1/settings/shipping", Permission(authz.SettingsEdit), readTx, h.shipping},
		{"PUT", "/api/v1/settings/shipping", Permission(authz.SettingsEdit), writeTx, h.setShipping},
	}
}

func (h *orderHandlers) actor(c *fiber.Ctx) order.Actor {
	a := order.Actor{IP: h.clientIP(c), RequestID: requestID(c)}
	if p := principalOf(c); p != nil {
		a.UserID, a.Email = p.UserID, p.Email
	}
	return a
}

// queryTime reads a date (YYYY-MM-DD, the start of that day in UTC) or an
// RFC 3339 time.
func queryTime(c *fiber.Ctx, name string, bad map[string]string) *time.Time {
	v := c.Query(name)
	if v == "" {
		return nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t
		}
	}
	bad[name] = "must be a date (2026-01-31) or a time (2026-01-31T08:00:00Z)"
	return nil
}

// list answers GET /api/v1/orders?status=&from=&to=&customer=&q=: newest
// first, in keyset pages.
func (h *orderHandlers) list(c *fiber.Ctx) error {
	bad := map[string]string{}
	p := order.ListParams{
		Request: pageRequest(c, order.Limits, bad), Status: c.Query("status"),
		From: queryTime(c, "from", bad), To: queryTime(c, "to", bad),
		CustomerID: queryInt(c, "customer", bad), Query: c.Query("q"),
	}
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.orders.List(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// create answers POST /api/v1/orders: an order a team member enters.
func (h *orderHandlers) create(c *fiber.Ctx) error {
	var in order.StaffInput
	if err := bind(c, &in); err != nil {
		return err
	}
	shop, err := shopOf(c)
	if err != nil {
		return err
	}
	v, err := h.orders.CreateStaff(c.UserContext(), h.actor(c), shop, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

// get answers GET /api/v1/orders/{id}: the order, its lines and history.
func (h *orderHandlers) get(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := h.orders.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// update answers PUT /api/v1/orders/{id}: a status, note, tracking number
// or refund.
func (h *orderHandlers) update(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var ch order.Change
	if err := bind(c, &ch); err != nil {
		return err
	}
	shop, err := shopOf(c)
	if err != nil {
		return err
	}
	v, err := h.orders.Update(c.UserContext(), h.actor(c), shop, id, ch)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// analytics answers GET /api/v1/analytics?from=&to=&interval=day|week|month.
func (h *orderHandlers) analytics(c *fiber.Ctx) error {
	a, err := h.orders.Analytics(c.UserContext(), c.Query("from"), c.Query("to"), c.Query("interval"))
	if err != nil {
		return err
	}
	return c.JSON(a)
}

// shipping answers GET /api/v1/settings/shipping.
func (h *orderHandlers) shipping(c *fiber.Ctx) error {
	ms, err := h.orders.ShippingMethods(c.UserContext(), false)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"methods": ms})
}

// setShipping answers PUT /api/v1/settings/shipping {methods: [...]}: the
// whole list, in order.
func (h *orderHandlers) setShipping(c *fiber.Ctx) error {
	var in struct {
		Methods []order.ShippingMethod `json:"methods"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	ms, err := h.orders.SetShippingMethods(c.UserContext(), h.actor(c), in.Methods)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"methods": ms})
}
