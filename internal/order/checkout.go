package order

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bazaar/bazaar/ent/tenant"
	entcart "github.com/bazaar/bazaar/ent/tenant/cart"
	"github.com/bazaar/bazaar/ent/tenant/cartline"
	entorder "github.com/bazaar/bazaar/ent/tenant/order"
	"github.com/bazaar/bazaar/ent/tenant/orderevent"
	"github.com/bazaar/bazaar/ent/tenant/shippingmethod"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/internal/postal"
	"github.com/bazaar/bazaar/tenantdb"
)

// CheckoutInput is what a shopper sends to turn their cart into an order.
// It carries no price: the server prices every line from the catalogue and
// computes every total. ExpectedTotalCents, when sent, is the total the
// shopper was shown; a different total (a price changed meanwhile) is
// refused rather than charged.
type CheckoutInput struct {
	Email              string   `json:"email"`
	BillingAddress     *Address `json:"billing_address"`
	ShippingAddress    *Address `json:"shipping_address"` // nil: the billing address (not needed for pickup)
	ShippingMethod     string   `json:"shipping_method"`
	PaymentMethod      string   `json:"payment_method"`
	Language           string   `json:"language"`
	ExpectedTotalCents *int64   `json:"expected_total_cents"`
	// IdempotencyKey is the Idempotency-Key header: a checkout sent again
	// with the same key (a double click, a retry after a timeout) answers
	// the order the first one made.
	IdempotencyKey string `json:"-"`
}

// Placed is a placed order and how to pay it.
type Placed struct {
	Order   *View        `json:"order"`
	Payment *PaymentInfo `json:"payment"`
	// Replayed says the idempotency key named an order already placed.
	Replayed bool `json:"replayed"`
}

// PaymentInfo tells the shopper how to pay.
type PaymentInfo struct {
	Method string `json:"method"`
	// Card: the PaymentIntent's client secret and the shop's publishable
	// key, for Stripe.js to confirm the payment in the browser.
	ClientSecret   string `json:"client_secret,omitempty"`
	PublishableKey string `json:"publishable_key,omitempty"`
	// Bank transfer: the reference to quote (the order number).
	Reference string `json:"reference,omitempty"`
}

// maxIdempotencyKey bounds the header (the column's width).
const maxIdempotencyKey = 100

// Checkout turns the caller's cart into an order: it checks the input
// (every bad field named), prices the cart from the catalogue, takes the
// stock, numbers the order, and queues the shopper's confirmation and the
// shop's notice, all in the bound transaction — so a refusal anywhere
// leaves nothing behind but, for a card, an unconfirmed PaymentIntent that
// charges nothing.
func (s *Service) Checkout(ctx context.Context, a Actor, ref CartRef, shop Shop, in CheckoutInput) (*Placed, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	in.Email = normalEmail(in.Email)
	lang := chooseLanguage(in.Language, shop)
	methods := []string{BankTransfer} // every shop takes bank transfers; the others are asked for only when chosen
	if in.PaymentMethod != BankTransfer {
		if methods, err = s.payments.Methods(ctx); err != nil {
			return nil, err
		}
	}
	bad := map[string]string{}
	if in.IdempotencyKey != "" && (len(in.IdempotencyKey) > maxIdempotencyKey || strings.ContainsFunc(in.IdempotencyKey, func(r rune) bool { return r < 0x21 || r > 0x7e })) {
		bad["Idempotency-Key"] = fmt.Sprintf("must be 1 to %d printable ASCII characters", maxIdempotencyKey)
	}
	checkEmail(in.Email, bad)
	if in.Language != "" && !slices.Contains(shop.Languages, in.Language) && in.Language != shop.DefaultLanguage {
		bad["language"] = "must be one of the shop's languages: " + strings.Join(shop.Languages, ", ")
	}
	if !slices.Contains(methods, in.PaymentMethod) {
		bad["payment_method"] = "must be one of this shop's payment methods: " + strings.Join(methods, ", ")
	}
	method, err := s.shippingMethod(ctx, c, in.ShippingMethod)
	if err != nil {
		return nil, err
	}
	if method == nil {
		bad["shipping_method"] = "is not a shipping method of this shop"
	}
	billing, shipping := checkAddresses(in.BillingAddress, in.ShippingAddress, method, bad)
	if err := invalid("invalid checkout", bad); err != nil {
		return nil, err
	}
	hash := requestHash(in, ref)
	if in.IdempotencyKey != "" {
		if p, err := s.replay(ctx, c, in.IdempotencyKey, hash); p != nil || err != nil {
			return p, err
		}
	}
	ct, err := s.findCart(ctx, c, ref, true)
	if err != nil {
		return nil, err
	}
	if ct == nil {
		return nil, errEmptyCart
	}
	cartLines, err := c.CartLine.Query().Where(cartline.CartID(ct.ID)).Order(cartline.ByID()).All(ctx)
	if err != nil {
		return nil, err
	}
	if len(cartLines) == 0 {
		return nil, errEmptyCart
	}
	wants := make([]want, len(cartLines))
	for i, l := range cartLines {
		wants[i] = want{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	lines, currency, t, err := s.priceOrder(ctx, wants, lang, shop.Currency, *method)
	if err != nil {
		return nil, err
	}
	if in.ExpectedTotalCents != nil && *in.ExpectedTotalCents != t.Total {
		return nil, &fault.Error{Kind: fault.Conflict, Code: "total_changed",
			Message: fmt.Sprintf("the total is now %s, not %s: look at your cart again", money(t.Total, currency), money(*in.ExpectedTotalCents, currency)),
			Fields:  map[string]string{"expected_total_cents": fmt.Sprintf("the total is %d", t.Total)}}
	}
	p := placement{
		lines: lines, totals: t, currency: currency, email: in.Email, lang: lang, billing: billing, shipping: shipping,
		method: *method, payment: in.PaymentMethod, source: entorder.SourceShop, cartID: &ct.ID, hash: hash, actor: a,
	}
	if in.IdempotencyKey != "" {
		p.idemKey = &in.IdempotencyKey
	}
	if ref.CustomerID != 0 {
		p.customerID, p.guest = ref.CustomerID, false
	} else {
		if p.customerID, err = s.customers.Guest(ctx, in.Email, firstName(billing.Name), lastName(billing.Name)); err != nil {
			return nil, err
		}
		p.guest = true
	}
	info := &PaymentInfo{Method: in.PaymentMethod}
	if in.PaymentMethod == Card {
		// Before any stock is taken: the call leaves the database, and
		// the rows the order locks stay unlocked while it does.
		key := "checkout-" + rand.Text()
		if in.IdempotencyKey != "" {
			key = "checkout-" + fmt.Sprintf("%x", sha256.Sum256([]byte(in.IdempotencyKey)))
		}
		started, err := s.payments.StartCard(ctx, CardPayment{AmountCents: t.Total, Currency: currency, IdempotencyKey: key,
			Description: shop.Name, Email: in.Email, Metadata: map[string]string{"cart": fmt.Sprint(ct.ID)}})
		if err != nil {
			return nil, err
		}
		p.paymentRef = started.Ref
		info.ClientSecret, info.PublishableKey = started.ClientSecret, started.PublishableKey
	}
	o, err := s.place(ctx, c, p, shop)
	if err != nil {
		return nil, err
	}
	if err := c.Cart.Update().Where(entcart.ID(ct.ID)).SetOrderID(o.ID).Exec(ctx); err != nil {
		return nil, err
	}
	if in.PaymentMethod == BankTransfer {
		info.Reference = fmt.Sprint(o.Number)
	}
	return &Placed{Order: o, Payment: info}, nil
}

var (
	errEmptyCart = &fault.Error{Kind: fault.Conflict, Code: "cart_empty", Message: "your cart is empty"}
	errTooLarge  = &fault.Error{Kind: fault.Invalid, Code: "order_too_large", Message: "this order is larger than a shop can take at once"}
)

// want is a product and quantity to order.
type want struct{ ProductID, Quantity int }

// priceLines prices wants from the catalogue now, titles in lang. A product
// no longer on sale, or of another currency than the shop's, is named.
func (s *Service) priceLines(ctx context.Context, wants []want, lang, shopCurrency string) ([]pricedLine, string, error) {
	ids := make([]int, len(wants))
	for i, w := range wants {
		ids[i] = w.ProductID
	}
	items, err := s.catalog.Items(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	bad := map[string]string{}
	lines := make([]pricedLine, 0, len(wants))
	currency := shopCurrency
	for _, w := range wants {
		it, ok := items[w.ProductID]
		key := fmt.Sprintf("lines.%d", w.ProductID)
		switch {
		case !ok:
			bad[key] = "is no longer sold: take it out of your cart"
			continue
		case it.Stock != nil && *it.Stock < w.Quantity:
			bad[key] = fmt.Sprintf("only %d in stock", max(*it.Stock, 0))
		}
		if currency == "" {
			currency = it.Currency
		}
		if it.Currency != currency {
			bad[key] = "is priced in " + it.Currency + ", not in the shop's " + currency
		}
		vat := s.o.DefaultVATBP
		if it.VATRateBP != nil {
			vat = *it.VATRateBP
		}
		lines = append(lines, pricedLine{ProductID: it.ID, SKU: it.SKU, Title: clipText(pick(it.Title, lang), 500),
			Quantity: w.Quantity, UnitCents: it.PriceCents, VATRateBP: vat})
	}
	if len(bad) > 0 {
		return nil, "", &fault.Error{Kind: fault.Conflict, Code: "cart_unavailable", Message: "some products cannot be had as asked", Fields: bad}
	}
	return lines, currency, nil
}

// priceOrder prices wants from the catalogue and totals them with method's
// shipping, which depends on the lines' own total (free above an amount).
func (s *Service) priceOrder(ctx context.Context, wants []want, lang, shopCurrency string, method ShippingMethod) ([]pricedLine, string, totals, error) {
	lines, currency, err := s.priceLines(ctx, wants, lang, shopCurrency)
	if err != nil {
		return nil, "", totals{}, err
	}
	goods, ok := price(lines, 0, s.o.DefaultVATBP) // the lines alone, bounded
	if !ok {
		return nil, "", totals{}, errTooLarge
	}
	t, ok := price(lines, method.Cost(goods.Subtotal), s.o.DefaultVATBP)
	if !ok {
		return nil, "", totals{}, errTooLarge
	}
	return lines, currency, t, nil
}

// shippingMethod is the shop's active method code, nil when there is none.
func (s *Service) shippingMethod(ctx context.Context, c *tenant.Client, code string) (*ShippingMethod, error) {
	if code == "" {
		return nil, nil
	}
	r, err := c.ShippingMethod.Query().Where(shippingmethod.Code(code), shippingmethod.Active(true)).Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m := shippingView(r)
	return &m, nil
}

// checkAddresses cleans and checks the billing address and, when the goods
// travel, the shipping address (the billing one when none is given).
func checkAddresses(billing, shipping *Address, m *ShippingMethod, bad map[string]string) (Address, Address) {
	var b, sh Address
	if billing == nil {
		bad["billing_address"] = "is required"
	} else {
		b = postal.Clean(*billing)
		postal.Check(b, "billing_address", bad)
	}
	if m == nil || !m.needsAddress() {
		return b, Address{}
	}
	if shipping == nil {
		return b, b
	}
	sh = postal.Clean(*shipping)
	postal.Check(sh, "shipping_address", bad)
	return b, sh
}

// checkEmail adds what is wrong with e-mail address e to bad, by the
// outbox's rule for an address it can send to.
func checkEmail(e string, bad map[string]string) {
	if msg := mail.AddressProblem(e); msg != "" {
		bad["email"] = msg
	}
}

// chooseLanguage is the order's language: the one asked for when the shop
// offers it, else the shop's default.
func chooseLanguage(asked string, shop Shop) string {
	if asked != "" && (slices.Contains(shop.Languages, asked) || asked == shop.DefaultLanguage) {
		return asked
	}
	if shop.DefaultLanguage != "" {
		return shop.DefaultLanguage
	}
	return "en"
}

// requestHash identifies a checkout's content, so an idempotency key sent
// again with another body is refused rather than answered with an order it
// did not ask for.
func requestHash(in CheckoutInput, ref CartRef) []byte {
	b, _ := json.Marshal(struct {
		In       CheckoutInput
		Customer int
	}{in, ref.CustomerID})
	h := sha256.Sum256(b)
	return h[:]
}

// replay answers a checkout whose idempotency key was used before. The key's
// advisory lock (held to the end of the transaction) makes a second request
// with the key wait for the first to commit, then find its order.
func (s *Service) replay(ctx context.Context, c *tenant.Client, key string, hash []byte) (*Placed, error) {
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':checkout:' || $1, 0))`, key); err != nil {
		return nil, err
	}
	o, err := c.Order.Query().Where(entorder.IdempotencyKey(key)).
		WithLines().WithEvents(func(q *tenant.OrderEventQuery) { q.Order(orderevent.ByID()) }).Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if string(o.RequestHash) != string(hash) {
		return nil, &fault.Error{Kind: fault.Conflict, Code: "idempotency_key_reused",
			Message: "this Idempotency-Key was used for another checkout; use a new key for a new order"}
	}
	info := &PaymentInfo{Method: o.PaymentMethod}
	if o.PaymentMethod == BankTransfer {
		info.Reference = fmt.Sprint(o.Number)
	}
	return &Placed{Order: orderView(o).ForShopper(), Payment: info, Replayed: true}, nil
}

// placement is an order about to be placed: by a shopper's checkout or by a
// team member.
type placement struct {
	lines      []pricedLine
	totals     totals
	currency   string
	email      string
	lang       string
	billing    Address
	shipping   Address
	method     ShippingMethod
	payment    string
	paymentRef string
	paid       bool // a staff order paid at the counter
	source     entorder.Source
	createdBy  int
	customerID int
	guest      bool
	cartID     *int
	idemKey    *string
	hash       []byte
	actor      Actor
}

// place takes the stock, numbers the order and writes it with its lines,
// its first history entry, the day's figures and the mails. The stock goes
// first (its row locks are the checkout's contention point with other
// buyers of a product), the shop-wide rows last: the order number and the
// day's figures are held only from there to the commit.
func (s *Service) place(ctx context.Context, c *tenant.Client, p placement, shop Shop) (*View, error) {
	moves := make([]StockMove, len(p.lines))
	for i, l := range p.lines {
		moves[i] = StockMove{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	if err := s.catalog.TakeStock(ctx, moves); err != nil {
		var short *ShortError
		if errors.As(err, &short) {
			return nil, &fault.Error{Kind: fault.Conflict, Code: "insufficient_stock", Message: "a product sold out meanwhile",
				Fields: map[string]string{fmt.Sprintf("lines.%d", short.ProductID): fmt.Sprintf("only %d in stock", max(short.Available, 0))}}
		}
		return nil, err
	}
	now := s.now()
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return nil, err
	}
	var number int64
	if err := tx.QueryRowContext(ctx, `UPDATE "order_counters" SET "last" = "last" + 1 WHERE "name" = 'order' RETURNING "last"`).Scan(&number); err != nil {
		return nil, fmt.Errorf("order: take a number: %w", err)
	}
	status := entorder.StatusPendingPayment
	b := c.Order.Create().SetNumber(number).SetSource(p.source).SetCustomerID(p.customerID).SetGuest(p.guest).
		SetEmail(p.email).SetLanguage(p.lang).SetBillingAddress(p.billing).SetShippingAddress(p.shipping).
		SetShippingMethod(p.method.Code).SetShippingName(clipText(pick(p.method.Name, p.lang), 100)).
		SetShippingCents(p.totals.Shipping).SetShippingVatBp(s.o.DefaultVATBP).SetSubtotalCents(p.totals.Subtotal).
		SetVatCents(p.totals.VAT).SetTotalCents(p.totals.Total).SetVatBreakdown(p.totals.Breakdown).SetCurrency(p.currency).
		SetUnits(p.totals.Units).SetPaymentMethod(p.payment).SetPaymentRef(p.paymentRef).SetNillableIdempotencyKey(p.idemKey).
		SetRequestHash(p.hash).SetNillableCartID(p.cartID).SetCreatedBy(p.createdBy).SetCreatedAt(now).SetUpdatedAt(now)
	if p.paid {
		status = entorder.StatusPaid
		b.SetPaidAt(now)
	} else {
		ttl := s.o.BankTransferTTL
		if p.payment == Card {
			ttl = s.o.CardPaymentTTL
		}
		b.SetExpiresAt(now.Add(ttl))
	}
	o, err := b.SetStatus(status).Save(ctx)
	if err != nil {
		return nil, err
	}
	lb := make([]*tenant.OrderLineCreate, len(p.lines))
	for i, l := range p.lines {
		lb[i] = c.OrderLine.Create().SetOrderID(o.ID).SetProductID(l.ProductID).SetSku(l.SKU).SetTitle(l.Title).
			SetQuantity(l.Quantity).SetUnitPriceCents(l.UnitCents).SetVatRateBp(l.VATRateBP).
			SetTotalCents(l.TotalCents).SetVatCents(l.VATCents)
	}
	if o.Edges.Lines, err = c.OrderLine.CreateBulk(lb...).Save(ctx); err != nil {
		return nil, err
	}
	events := []*tenant.OrderEventCreate{s.event(c, o.ID, p.actor, "placed", "", string(status), p.totals.Total, "")}
	if p.paid {
		events = append(events, s.event(c, o.ID, p.actor, "payment", "", "", p.totals.Total, "paid at the shop"))
	}
	if o.Edges.Events, err = c.OrderEvent.CreateBulk(events...).Save(ctx); err != nil {
		return nil, err
	}
	if err := s.countSale(ctx, c, now, p.lines, p.totals, 1); err != nil {
		return nil, err
	}
	v := orderView(o)
	if err := s.mailPlaced(ctx, v, shop); err != nil {
		return nil, err
	}
	return v, nil
}

// countSale adds (sign 1) or takes back (-1) an order's figures on its day.
func (s *Service) countSale(ctx context.Context, c *tenant.Client, at time.Time, lines []pricedLine, t totals, sign int64) error {
	ds := make([]productDelta, len(lines))
	for i, l := range lines {
		ds[i] = productDelta{productID: l.ProductID, sku: l.SKU, title: l.Title, units: sign * int64(l.Quantity), cents: sign * l.TotalCents}
	}
	if err := bumpProducts(ctx, c, at, ds); err != nil {
		return err
	}
	return bumpDay(ctx, c, at, dayDelta{orders: sign, revenue: sign * t.Total, units: sign * int64(t.Units)})
}

// history adds an entry to an order's history.
func (s *Service) history(ctx context.Context, c *tenant.Client, orderID int, a Actor, kind, from, to string, amount int64, note string) error {
	return s.event(c, orderID, a, kind, from, to, amount, note).Exec(ctx)
}

// event is an entry of an order's history, to create.
func (s *Service) event(c *tenant.Client, orderID int, a Actor, kind, from, to string, amount int64, note string) *tenant.OrderEventCreate {
	return c.OrderEvent.Create().SetOrderID(orderID).SetKind(kind).SetFromStatus(from).SetToStatus(to).
		SetAmountCents(amount).SetNote(note).SetActor(clipText(a.label(), 300)).SetCreatedAt(s.now())
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func firstName(full string) string {
	f, _, _ := strings.Cut(strings.TrimSpace(full), " ")
	return clipText(f, 100)
}

func lastName(full string) string {
	_, l, _ := strings.Cut(strings.TrimSpace(full), " ")
	return clipText(strings.TrimSpace(l), 100)
}

// money formats cents for people, e.g. "24.90 EUR".
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, cents/100, cents%100, currency)
}

func normalEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }
