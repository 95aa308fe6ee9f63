package order

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/bazaar/bazaar/ent/tenant"
	entcart "github.com/bazaar/bazaar/ent/tenant/cart"
	entorder "github.com/bazaar/bazaar/ent/tenant/order"
	"github.com/bazaar/bazaar/ent/tenant/orderevent"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Limits bound a page of orders.
var Limits = page.Bounds{Default: 20, Max: 100}

var ordersList = page.ByID{List: "orders", Bounds: Limits}

// ListParams select orders, newest first.
type ListParams struct {
	page.Request
	Status     string
	From, To   *time.Time // placed at or after From, before To
	CustomerID int
	Query      string // an order number, or part of the e-mail or billing name
	// Mine lists a signed-in shopper's own orders: those placed while signed
	// in (not the ones placed as a guest with their e-mail).
	Mine bool
}

// Summary is an order in a listing.
type Summary struct {
	ID            int       `json:"id"`
	Number        int64     `json:"number"`
	Status        string    `json:"status"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	CustomerID    *int      `json:"customer_id"`
	TotalCents    int64     `json:"total_cents"`
	RefundedCents int64     `json:"refunded_cents"`
	Currency      string    `json:"currency"`
	Units         int       `json:"units"`
	PaymentMethod string    `json:"payment_method"`
	CreatedAt     time.Time `json:"created_at"`
}

// List is a page of the shop's orders.
func (s *Service) List(ctx context.Context, p ListParams) (page.Page[Summary], error) {
	bad := map[string]string{}
	limit, after := ordersList.Start(p.Request, bad)
	if p.Status != "" && entorder.StatusValidator(entorder.Status(p.Status)) != nil {
		bad["status"] = "must be pending_payment, paid, fulfilled, completed, cancelled or refunded"
	}
	if p.From != nil && p.To != nil && !p.From.Before(*p.To) {
		bad["to"] = "must be after from"
	}
	if len(p.Query) > 254 {
		bad["q"] = "is too long"
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[Summary]{}, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return page.Page[Summary]{}, err
	}
	q := c.Order.Query().Order(entorder.ByID(sql.OrderDesc())).Limit(limit + 1)
	if after > 0 {
		q = q.Where(entorder.IDLT(after))
	}
	if p.Status != "" {
		q = q.Where(entorder.StatusEQ(entorder.Status(p.Status)))
	}
	if p.From != nil {
		q = q.Where(entorder.CreatedAtGTE(*p.From))
	}
	if p.To != nil {
		q = q.Where(entorder.CreatedAtLT(*p.To))
	}
	if p.CustomerID != 0 {
		q = q.Where(entorder.CustomerID(p.CustomerID))
	}
	if p.Mine {
		q = q.Where(entorder.Guest(false))
	}
	if t := strings.TrimSpace(p.Query); t != "" {
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			q = q.Where(entorder.Number(n))
		} else {
			q = q.Where(entorder.Or(entorder.EmailContainsFold(t), func(s *sql.Selector) {
				s.Where(sqljson.StringContains(entorder.FieldBillingAddress, t, sqljson.Path("name")))
			}))
		}
	}
	rows, err := q.All(ctx)
	if err != nil {
		return page.Page[Summary]{}, err
	}
	return page.Of(rows, limit, summaryOf, func(last *tenant.Order) string { return ordersList.Cursor(last.ID) }), nil
}

func summaryOf(o *tenant.Order) Summary {
	return Summary{ID: o.ID, Number: o.Number, Status: string(o.Status), Email: o.Email, Name: o.BillingAddress.Name,
		CustomerID: o.CustomerID, TotalCents: o.TotalCents, RefundedCents: o.RefundedCents, Currency: o.Currency,
		Units: o.Units, PaymentMethod: o.PaymentMethod, CreatedAt: o.CreatedAt}
}

// Get is one order with its lines and history.
func (s *Service) Get(ctx context.Context, id int) (*View, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, c, id)
}

func (s *Service) get(ctx context.Context, c *tenant.Client, id int) (*View, error) {
	o, err := c.Order.Query().Where(entorder.ID(id)).WithLines().
		WithEvents(func(q *tenant.OrderEventQuery) { q.Order(orderevent.ByID()) }).Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, errNoOrder
	}
	if err != nil {
		return nil, err
	}
	return orderView(o), nil
}

// ShopperOrder is order number of the signed-in customer, as they see it;
// another customer's order, or one they placed as a guest, is not found.
func (s *Service) ShopperOrder(ctx context.Context, customerID int, number int64) (*View, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	return s.forShopper(ctx, c, c.Order.Query().Where(entorder.Number(number), entorder.CustomerID(customerID), entorder.Guest(false)))
}

// forShopper is the one order q finds, as a shopper sees it; none is
// errNoOrder.
func (s *Service) forShopper(ctx context.Context, c *tenant.Client, q *tenant.OrderQuery) (*View, error) {
	id, err := q.OnlyID(ctx)
	if tenant.IsNotFound(err) {
		return nil, errNoOrder
	}
	if err != nil {
		return nil, err
	}
	v, err := s.get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return v.ForShopper(), nil
}

// Receipt is order number as the shopper who placed it sees it: a
// signed-in customer's own order, or the order the shopper's cart became (the
// cart cookie names the converted cart, so a guest sees their confirmation
// and nobody else's). Anything else is not found.
func (s *Service) Receipt(ctx context.Context, ref CartRef, number int64) (*View, error) {
	if ref.CustomerID != 0 {
		v, err := s.ShopperOrder(ctx, ref.CustomerID, number)
		if err == nil || !errors.Is(err, errNoOrder) {
			return v, err
		}
	}
	if ref.Token == "" || len(ref.Token) > 128 {
		return nil, errNoOrder
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	ct, err := c.Cart.Query().Where(entcart.TokenHash(hashToken(ref.Token)), entcart.OrderIDNotNil()).Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, errNoOrder
	}
	if err != nil {
		return nil, err
	}
	return s.forShopper(ctx, c, c.Order.Query().Where(entorder.ID(*ct.OrderID), entorder.Number(number)))
}

func auditVendor(ctx context.Context, e audit.Event) error { return audit.Vendor(ctx, e) }
