package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/order"
)

// The selling pages: cart, checkout, the order's receipt, the customer's
// account. None is for a search engine (noindex): they are the shopper's
// own.

// cartLineView is a line of the cart page.
type cartLineView struct {
	ProductID                       int
	URL, Title, Unit, Total, Notice string
	Quantity                        int
}

func (h *storefront) cartLines(p *shopPage, v *order.CartView) []cartLineView {
	out := make([]cartLineView, len(v.Lines))
	for i, l := range v.Lines {
		out[i] = cartLineView{ProductID: l.ProductID, URL: p.Href("/products/" + strconv.Itoa(l.ProductID)), Title: l.Title,
			Unit: p.Money(l.UnitPriceCents, v.Currency), Total: p.Money(l.TotalCents, v.Currency), Quantity: l.Quantity}
		switch l.Notice {
		case order.NoticePriceChanged:
			was := ""
			if l.PreviousPriceCents != nil {
				was = p.Money(*l.PreviousPriceCents, v.Currency)
			}
			out[i].Notice = p.Tf("notice.price_changed", was)
		case order.NoticeUnavailable:
			out[i].Notice = p.T("notice.unavailable")
		case order.NoticeBackInStock:
			out[i].Notice = p.T("notice.back_in_stock")
		}
	}
	return out
}

func (h *storefront) cart(c *fiber.Ctx) error {
	p, err := h.newShopPage(c, "cart", "/cart")
	if err != nil {
		return err
	}
	v, err := h.orders.Cart(c.UserContext(), cartRef(c), p.Lang)
	if err != nil {
		return err
	}
	p.Title, p.NoIndex = p.T("cart.title")+" · "+p.Shop.Name, true
	p.Body = struct {
		Lines    []cartLineView
		Subtotal string
		Changed  bool
	}{h.cartLines(p, v), p.Money(v.SubtotalCents, v.Currency), v.Changed}
	return sendPage(c, "shop/cart.html", p, pageCSP(false))
}

// shipChoice is a shipping method on the checkout page, priced for the
// cart: what it costs and the order's total with it (the total the shopper
// confirms, checked again by the server).
type shipChoice struct {
	Code, Name, Price, Total string
	TotalCents               int64
	Pickup                   bool
}

type payChoice struct{ Code, Name string }

func (h *storefront) checkout(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.newShopPage(c, "cart", "/checkout")
	if err != nil {
		return err
	}
	v, err := h.orders.Cart(ctx, cartRef(c), p.Lang)
	if err != nil {
		return err
	}
	methods, err := h.orders.ShippingMethods(ctx, true)
	if err != nil {
		return err
	}
	pays, err := h.orders.PaymentMethods(ctx)
	if err != nil {
		return err
	}
	body := struct {
		Lines    []cartLineView
		Subtotal string
		Email    string
		Address  *order.Address
		Shipping []shipChoice
		Payments []payChoice
	}{Lines: h.cartLines(p, v), Subtotal: p.Money(v.SubtotalCents, v.Currency)}
	for _, m := range methods {
		cost := m.Cost(v.SubtotalCents)
		price := p.T("ship.free")
		if cost > 0 {
			price = p.Money(cost, v.Currency)
		}
		body.Shipping = append(body.Shipping, shipChoice{Code: m.Code, Name: pickText(m.Name, p.Lang), Price: price,
			TotalCents: v.SubtotalCents + cost, Total: p.Money(v.SubtotalCents+cost, v.Currency), Pickup: m.Kind == order.ShipPickup})
	}
	card := false
	for _, m := range pays {
		body.Payments = append(body.Payments, payChoice{Code: m, Name: p.T("pay." + m)})
		card = card || m == order.Card
	}
	if sh := shopperOf(c); sh.Customer != nil {
		me, err := h.customers.Me(ctx, sh.Customer.CustomerID)
		if err != nil {
			return err
		}
		body.Email = me.Email
		if len(me.Addresses) > 0 {
			a := me.Addresses[0]
			body.Address = &a
		} else {
			body.Address = &order.Address{Name: strings.TrimSpace(me.FirstName + " " + me.LastName)}
		}
	}
	p.Title, p.NoIndex = p.T("checkout.title")+" · "+p.Shop.Name, true
	p.Body = body
	return sendPage(c, "shop/checkout.html", p, pageCSP(card))
}

// receiptView is an order as its receipt page shows it.
type receiptView struct {
	Number                                            int64
	JustPlaced, Pickup                                bool
	Status, Date, Email, Tracking, PayNote            string
	Subtotal, Shipping, ShippingName, Total, Refunded string
	VAT                                               []string
	Lines                                             []cartLineView
	Billing                                           order.Address
	ShipTo                                            *order.Address
	// PayTo is the shop's account for an order waiting for a bank
	// transfer; BankLater says the shop has not given one yet.
	PayTo     *order.BankAccount
	BankLater bool
}

// receipt shows an order to the shopper who placed it (order.Receipt says
// who that is); to anyone else there is no such order.
func (h *storefront) receipt(c *fiber.Ctx) error {
	n, err := strconv.ParseInt(c.Params("number"), 10, 64)
	if err != nil || n <= 0 {
		return fault.New(fault.NotFound, "no such order in this shop")
	}
	p, err := h.newShopPage(c, "account", "/orders/"+strconv.FormatInt(n, 10))
	if err != nil {
		return err
	}
	o, err := h.orders.Receipt(c.UserContext(), cartRef(c), n)
	if err != nil {
		return err
	}
	cur := o.Currency
	r := receiptView{Number: o.Number, JustPlaced: c.Query("placed") == "1", Status: p.T("status." + o.Status),
		Date: o.CreatedAt.Format("2006-01-02"), Email: o.Email, Tracking: o.TrackingNumber,
		Subtotal: p.Money(o.SubtotalCents, cur), Shipping: p.Money(o.ShippingCents, cur), ShippingName: o.ShippingName,
		Total: p.Money(o.TotalCents, cur), Billing: o.BillingAddress, ShipTo: o.ShippingAddress, Pickup: o.ShippingAddress == nil}
	if o.RefundedCents > 0 {
		r.Refunded = p.Money(o.RefundedCents, cur)
	}
	for _, l := range o.Lines {
		r.Lines = append(r.Lines, cartLineView{Title: l.Title, Quantity: l.Quantity, Unit: p.Money(l.UnitPriceCents, cur), Total: p.Money(l.TotalCents, cur)})
	}
	for _, b := range o.VATBreakdown {
		r.VAT = append(r.VAT, p.Tf("order.vat_line", vatRate(b.RateBP, p.Lang), p.Money(b.VATCents, cur)))
	}
	if o.Status == "pending_payment" {
		if o.PaymentMethod == order.BankTransfer {
			r.PayNote = p.Tf("order.pay_bank", r.Total, o.Number)
			if acc := bankOf(siteOf(c).Tenant); acc.Set() {
				r.PayTo = &acc
			} else {
				r.BankLater = true
			}
		} else {
			r.PayNote = p.T("order.pay_card")
		}
	}
	p.Title, p.NoIndex = p.Tf("order.title", o.Number)+" · "+p.Shop.Name, true
	p.Body = r
	return sendPage(c, "shop/order.html", p, pageCSP(false))
}

// accountOrder is an order in the account's list.
type accountOrder struct {
	Number                   int64
	URL, Date, Status, Total string
}

// account is the sign-in and sign-up page, or, signed in, the customer's
// orders, details, address and password.
func (h *storefront) account(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.newShopPage(c, "account", "/account")
	if err != nil {
		return err
	}
	p.Title, p.NoIndex = p.T("account.title")+" · "+p.Shop.Name, true
	body := struct {
		Profile *customer.Profile
		Address *order.Address
		Orders  []accountOrder
	}{}
	if sh := shopperOf(c); sh.Customer != nil {
		if body.Profile, err = h.customers.Me(ctx, sh.Customer.CustomerID); err != nil {
			return err
		}
		if len(body.Profile.Addresses) > 0 {
			body.Address = &body.Profile.Addresses[0]
		}
		pg, err := h.orders.List(ctx, order.ListParams{CustomerID: sh.Customer.CustomerID, Mine: true})
		if err != nil {
			return err
		}
		for _, o := range pg.Items {
			body.Orders = append(body.Orders, accountOrder{Number: o.Number, URL: p.Href("/orders/" + strconv.FormatInt(o.Number, 10)),
				Date: o.CreatedAt.Format("2006-01-02"), Status: p.T("status." + o.Status), Total: p.Money(o.TotalCents, o.Currency)})
		}
	}
	p.Body = body
	return sendPage(c, "shop/account.html", p, pageCSP(false))
}

// resetPassword is where a customer's reset mail links: the token stays in
// the page (never in a log: the query is not logged) and goes back with
// the new password.
func (h *storefront) resetPassword(c *fiber.Ctx) error {
	p, err := h.newShopPage(c, "account", "/account/reset-password")
	if err != nil {
		return err
	}
	p.Title, p.NoIndex = p.T("reset.title")+" · "+p.Shop.Name, true
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer") // the token is in this page's URL
	p.Body = struct{ Token string }{strings.Clone(c.Query("token"))}
	return sendPage(c, "shop/reset.html", p, pageCSP(false))
}
