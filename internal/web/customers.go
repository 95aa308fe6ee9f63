package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/page"
)

// teamCustomerHandlers are the team's view of the shop's customers: the
// list, one customer, and corrections on a customer's behalf. Customers are
// read with orders.view and changed with orders.edit, as the seed's roles
// have it (there is no customers.* permission).
type teamCustomerHandlers struct {
	caller
	customers *customer.Service
	orders    *order.Service // a customer's orders, with the customer
}

func (h *teamCustomerHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/customers", Permission(authz.OrdersView), readTx, h.list},
		{"GET", "/api/v1/customers/:id", Permission(authz.OrdersView), readTx, h.get},
		{"PUT", "/api/v1/customers/:id", Permission(authz.OrdersEdit), writeTx, h.update},
	}
}

// customerActor describes the caller to the customer service.
func (cl caller) customerActor(c *fiber.Ctx) customer.Actor {
	a := customer.Actor{IP: cl.clientIP(c), RequestID: requestID(c)}
	if p := principalOf(c); p != nil {
		a.UserID, a.Email = p.UserID, p.Email
	}
	return a
}

// list answers GET /api/v1/customers?q=&limit=&cursor=, newest first.
func (h *teamCustomerHandlers) list(c *fiber.Ctx) error {
	bad := map[string]string{}
	p := customer.ListParams{Request: pageRequest(c, customer.Limits, bad), Query: c.Query("q")}
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.customers.List(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// customerWithOrders is one customer and the first page of their orders,
// newest first (the rest: GET /api/v1/orders?customer={id}).
type customerWithOrders struct {
	*customer.Customer
	Orders page.Page[order.Summary] `json:"orders"`
}

// get answers GET /api/v1/customers/{id}: the customer with their orders,
// those placed as a guest with their e-mail included.
func (h *teamCustomerHandlers) get(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	cu, err := h.customers.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	os, err := h.orders.List(c.UserContext(), order.ListParams{CustomerID: id})
	if err != nil {
		return err
	}
	return c.JSON(customerWithOrders{Customer: cu, Orders: os})
}

func (h *teamCustomerHandlers) update(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in customer.Correction
	if err := bind(c, &in); err != nil {
		return err
	}
	cu, err := h.customers.Update(c.UserContext(), h.customerActor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(cu)
}
