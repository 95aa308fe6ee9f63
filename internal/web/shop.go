package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/tenantdb"
)

// shopHandlers are the shop's selling side for shoppers: the cart (kept on
// the server, named by the cart cookie), checkout, and a signed-in
// customer's orders. The prices and totals are always the server's.
type shopHandlers struct {
	caller
	orders        *order.Service
	payments      *payment.Service
	secureCookies bool
	cartMaxAge    int // seconds the cart cookie lives: the cart's TTL
}

func (h *shopHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/shop/cart", Shopper, readTx, h.cart},
		{"POST", "/api/v1/shop/cart/lines", Shopper, writeTx, h.addLine},
		{"PUT", "/api/v1/shop/cart/lines/:product_id", Shopper, writeTx, h.setLine},
		{"DELETE", "/api/v1/shop/cart/lines/:product_id", Shopper, writeTx, h.removeLine},
		{"GET", "/api/v1/shop/checkout/options", Shopper, readTx, h.checkoutOptions},
		{"POST", "/api/v1/shop/checkout", Shopper, writeTx, h.checkout},
		{"GET", "/api/v1/shop/account/orders", Customer, readTx, h.myOrders},
		{"GET", "/api/v1/shop/account/orders/:number", Customer, readTx, h.myOrder},
		// The shop's Stripe account calls here; the signature (the shop's
		// own signing secret) is the caller's proof, the shop is the host's.
		{"POST", "/api/v1/shop/payments/stripe/webhook", Public, writeTx, h.stripeWebhook},
	}
}

// shopOf is what the order service needs to know of the request's shop,
// from the resolved tenant (cached with it, and dropped from the cache when
// the settings change): reading the registry row here would take a second
// connection while the request holds its transaction's.
func shopOf(c *fiber.Ctx) (order.Shop, error) {
	site := siteOf(c)
	if site == nil || site.Tenant == nil {
		return order.Shop{}, fiber.ErrNotFound
	}
	t := site.Tenant
	return order.Shop{Name: t.Name, Email: t.Shop.BusinessEmail, DefaultLanguage: t.Shop.DefaultLanguage,
		Languages: t.Shop.EnabledLanguages, Currency: t.Shop.Currency,
		BaseURL: c.Protocol() + "://" + requestHost(c) + site.BasePath,
		Bank:    bankOf(t)}, nil
}

// bankOf is the account a shop's bank transfers are paid to, from its
// cached settings.
func bankOf(t *tenantdb.Tenant) order.BankAccount {
	return order.BankAccount{Holder: t.Shop.BankAccountHolder, IBAN: t.Shop.BankIBAN, BIC: t.Shop.BankBIC}
}

// shopLanguage is the language a shopper reads in: ?lang= when given, else
// the first of Accept-Language's languages (in its order) that is a
// two-letter code; the service keeps it only if the shop offers it.
func shopLanguage(c *fiber.Ctx) string {
	if l := c.Query("lang"); l != "" {
		return strings.ToLower(l)
	}
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptLanguage), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if base, _, _ := strings.Cut(tag, "-"); len(base) == 2 {
			return strings.ToLower(base)
		}
	}
	return ""
}

func cartRef(c *fiber.Ctx) order.CartRef {
	sh := shopperOf(c)
	return order.CartRef{Token: sh.CartToken, CustomerID: sh.customerID()}
}

// cart answers GET /api/v1/shop/cart: the cart priced now, with what changed
// since the shopper put things in.
func (h *shopHandlers) cart(c *fiber.Ctx) error {
	v, err := h.orders.Cart(c.UserContext(), cartRef(c), shopLanguage(c))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

type cartLineRequest struct {
	ProductID int `json:"product_id"`
	Quantity  int `json:"quantity"`
}

// addLine answers POST /api/v1/shop/cart/lines {product_id, quantity}.
func (h *shopHandlers) addLine(c *fiber.Ctx) error {
	var in cartLineRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	ch, err := h.orders.AddLine(c.UserContext(), cartRef(c), shopLanguage(c), in.ProductID, in.Quantity)
	if err != nil {
		return err
	}
	return h.cartChanged(c, ch)
}

func productParam(c *fiber.Ctx) (int, error) {
	id, err := strconv.Atoi(c.Params("product_id"))
	if err != nil || id <= 0 {
		return 0, fault.Fields("invalid product", map[string]string{"product_id": "must be a positive whole number"})
	}
	return id, nil
}

// setLine answers PUT /api/v1/shop/cart/lines/{product_id} {quantity}.
func (h *shopHandlers) setLine(c *fiber.Ctx) error {
	id, err := productParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Quantity int `json:"quantity"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	ch, err := h.orders.SetLine(c.UserContext(), cartRef(c), shopLanguage(c), id, in.Quantity)
	if err != nil {
		return err
	}
	return h.cartChanged(c, ch)
}

// removeLine answers DELETE /api/v1/shop/cart/lines/{product_id}.
func (h *shopHandlers) removeLine(c *fiber.Ctx) error {
	id, err := productParam(c)
	if err != nil {
		return err
	}
	v, err := h.orders.RemoveLine(c.UserContext(), cartRef(c), shopLanguage(c), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *shopHandlers) cartChanged(c *fiber.Ctx, ch *order.CartChange) error {
	if ch.Token != "" {
		setShopCookie(c, h.secureCookies, cartCookie, ch.Token, h.cartMaxAge)
	}
	return c.JSON(ch.Cart)
}

// checkoutOptions answers GET /api/v1/shop/checkout/options: the shop's
// shipping and payment methods and languages, for the checkout form.
func (h *shopHandlers) checkoutOptions(c *fiber.Ctx) error {
	ctx := c.UserContext()
	shop, err := shopOf(c)
	if err != nil {
		return err
	}
	ship, err := h.orders.ShippingMethods(ctx, true)
	if err != nil {
		return err
	}
	pay, err := h.orders.PaymentMethods(ctx)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"shipping_methods": ship, "payment_methods": pay, "languages": shop.Languages,
		"default_language": shop.DefaultLanguage, "currency": shop.Currency})
}

// checkout answers POST /api/v1/shop/checkout: 201 with the order and how to
// pay it; the same Idempotency-Key again answers 200 with the same order.
func (h *shopHandlers) checkout(c *fiber.Ctx) error {
	var in order.CheckoutInput
	if err := bind(c, &in); err != nil {
		return err
	}
	in.IdempotencyKey = strings.Clone(c.Get("Idempotency-Key"))
	if in.Language == "" {
		in.Language = shopLanguage(c)
	}
	shop, err := shopOf(c)
	if err != nil {
		return err
	}
	a := order.Actor{Kind: "shopper", IP: h.clientIP(c), RequestID: requestID(c)}
	p, err := h.orders.Checkout(c.UserContext(), a, cartRef(c), shop, in)
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if p.Replayed {
		status = fiber.StatusOK
	} else {
		p.Order = p.Order.ForShopper()
	}
	return c.Status(status).JSON(p)
}

// myOrders answers GET /api/v1/shop/account/orders: the signed-in
// customer's orders (not those placed as a guest).
func (h *shopHandlers) myOrders(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, order.Limits, bad)
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.orders.List(c.UserContext(), order.ListParams{Request: r, CustomerID: shopperOf(c).customerID(), Mine: true})
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// myOrder answers GET /api/v1/shop/account/orders/{number}.
func (h *shopHandlers) myOrder(c *fiber.Ctx) error {
	n, err := strconv.ParseInt(c.Params("number"), 10, 64)
	if err != nil || n <= 0 {
		return fault.Fields("invalid order number", map[string]string{"number": "must be a positive whole number"})
	}
	v, err := h.orders.ShopperOrder(c.UserContext(), shopperOf(c).customerID(), n)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// stripeWebhook answers POST /api/v1/shop/payments/stripe/webhook: Stripe
// telling the shop about one of its payments. The event is verified with
// the shop's signing secret, recorded once (a repeat or a replay is a 200
// that changes nothing) and applied to the order it names, all in one
// transaction; an event about a payment this shop does not have changes
// nothing. Stripe retries any answer but a 2xx, so a refused signature is
// a 400 and everything handled is a 200.
func (h *shopHandlers) stripeWebhook(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ev, err := h.payments.Webhook(ctx, c.Body(), strings.Clone(c.Get("Stripe-Signature")))
	if err != nil {
		return err
	}
	first, err := h.payments.Seen(ctx, ev.Provider, ev.ID, ev.Type, nil, "received")
	if err != nil {
		return err
	}
	if !first {
		return c.JSON(fiber.Map{"received": true, "outcome": "duplicate"})
	}
	shop, err := shopOf(c)
	if err != nil {
		return err
	}
	orderID, outcome, err := h.orders.ApplyPayment(ctx, shop, order.PaymentEvent{Provider: ev.Provider, ID: ev.ID, Type: ev.Type,
		Ref: ev.Ref, AmountCents: ev.AmountCents, Currency: ev.Currency})
	if err != nil {
		return err
	}
	if err := h.payments.Outcome(ctx, ev.Provider, ev.ID, orderID, outcome); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": true, "outcome": outcome})
}
