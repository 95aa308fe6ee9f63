package order

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/tenant"
	entcart "github.com/bazaar/bazaar/ent/tenant/cart"
	"github.com/bazaar/bazaar/ent/tenant/cartline"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// CartRef is how a request names its cart: the cart cookie's token, and the
// signed-in customer (0 when anonymous). A token is looked up by its SHA-256
// in the bound shop only, so another shop's cookie names no cart here; a
// cart that belongs to another customer is not the caller's.
type CartRef struct {
	Token      string
	CustomerID int
}

// CartView is a cart as the shopper sees it, priced from the catalogue now.
type CartView struct {
	Lines         []CartLine `json:"lines"`
	Currency      string     `json:"currency"`
	SubtotalCents int64      `json:"subtotal_cents"` // VAT included; shipping comes at checkout
	Units         int        `json:"units"`
	// Changed says a line's price or availability moved since the shopper
	// put it in (each such line has a notice).
	Changed bool `json:"changed"`
}

// CartLine is a product in the cart.
type CartLine struct {
	ProductID      int    `json:"product_id"`
	SKU            string `json:"sku"`
	Title          string `json:"title"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	TotalCents     int64  `json:"total_cents"`
	Available      bool   `json:"available"`
	// PreviousPriceCents is the price when the shopper last changed the
	// line, when it differs from the price now.
	PreviousPriceCents *int64 `json:"previous_price_cents,omitempty"`
	// Notice says what changed: price_changed, unavailable (no longer sold
	// or out of stock), back_in_stock.
	Notice string `json:"notice,omitempty"`
}

// Cart notices.
const (
	NoticePriceChanged = "price_changed"
	NoticeUnavailable  = "unavailable"
	NoticeBackInStock  = "back_in_stock"
)

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newCartToken is a 256-bit random token.
func newCartToken() string { return rand.Text() + rand.Text() }

// findCart is the caller's live cart: the token's (when it is anonymous or
// the caller's own), else the signed-in customer's latest. lock takes the
// cart's row lock, serialising changes to one cart. nil when there is none.
func (s *Service) findCart(ctx context.Context, c *tenant.Client, ref CartRef, lock bool) (*tenant.Cart, error) {
	live := []func(*sql.Selector){entcart.OrderIDIsNil(), entcart.UpdatedAtGT(s.now().Add(-s.o.CartTTL))}
	if ref.Token != "" && len(ref.Token) <= 128 {
		q := c.Cart.Query().Where(entcart.TokenHash(hashToken(ref.Token)))
		for _, p := range live {
			q = q.Where(p)
		}
		if lock {
			q = q.ForUpdate()
		}
		ct, err := q.Only(ctx)
		switch {
		case err == nil && (ct.CustomerID == nil || *ct.CustomerID == ref.CustomerID):
			return ct, nil
		case err != nil && !tenant.IsNotFound(err):
			return nil, err
		}
	}
	if ref.CustomerID == 0 {
		return nil, nil
	}
	q := c.Cart.Query().Where(entcart.CustomerID(ref.CustomerID)).Order(entcart.ByUpdatedAt(sql.OrderDesc()))
	for _, p := range live {
		q = q.Where(p)
	}
	if lock {
		q = q.ForUpdate()
	}
	ct, err := q.First(ctx)
	if tenant.IsNotFound(err) {
		return nil, nil
	}
	return ct, err
}

// Cart is the caller's cart (empty when they have none), in language lang.
func (s *Service) Cart(ctx context.Context, ref CartRef, lang string) (*CartView, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	ct, err := s.findCart(ctx, c, ref, false)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, c, ct, lang)
}

// CartUnits is how many units the caller's cart holds, for the shop's
// header: one query, no pricing.
func (s *Service) CartUnits(ctx context.Context, ref CartRef) (int, error) {
	if ref.Token == "" && ref.CustomerID == 0 {
		return 0, nil
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return 0, err
	}
	ct, err := s.findCart(ctx, c, ref, false)
	if err != nil || ct == nil {
		return 0, err
	}
	qs, err := c.CartLine.Query().Where(cartline.CartID(ct.ID)).Select(cartline.FieldQuantity).Ints(ctx)
	if err != nil {
		return 0, fmt.Errorf("order: cart units: %w", err)
	}
	n := 0
	for _, q := range qs {
		n += q
	}
	return n, nil
}

// view prices cart ct from the catalogue now.
func (s *Service) view(ctx context.Context, c *tenant.Client, ct *tenant.Cart, lang string) (*CartView, error) {
	v := &CartView{Lines: []CartLine{}}
	if ct == nil {
		return v, nil
	}
	lines, err := c.CartLine.Query().Where(cartline.CartID(ct.ID)).Order(cartline.ByID()).All(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	items, err := s.catalog.Items(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		it, ok := items[l.ProductID]
		cl := CartLine{ProductID: l.ProductID, Quantity: l.Quantity, UnitPriceCents: l.SeenPriceCents}
		if ok {
			cl.SKU, cl.Title, cl.UnitPriceCents = it.SKU, pick(it.Title, lang), it.PriceCents
			cl.Available = it.Stock == nil || *it.Stock >= l.Quantity
			if v.Currency == "" {
				v.Currency = it.Currency
			}
		}
		cl.TotalCents = cl.UnitPriceCents * int64(cl.Quantity)
		switch {
		case !cl.Available:
			cl.Notice = NoticeUnavailable
		case cl.UnitPriceCents != l.SeenPriceCents:
			prev := l.SeenPriceCents
			cl.PreviousPriceCents, cl.Notice = &prev, NoticePriceChanged
		case !l.SeenAvailable:
			cl.Notice = NoticeBackInStock
		}
		if cl.Notice != "" {
			v.Changed = true
		}
		if cl.Available {
			v.SubtotalCents += cl.TotalCents
			v.Units += cl.Quantity
		}
		v.Lines = append(v.Lines, cl)
	}
	return v, nil
}

// CartChange is the result of a change: the cart, and the token to set in
// the cart cookie when it changed (a new cart, or the customer's cart found
// without the cookie).
type CartChange struct {
	Cart  *CartView
	Token string
}

// AddLine puts quantity more of a product in the caller's cart, making the
// cart when there is none.
func (s *Service) AddLine(ctx context.Context, ref CartRef, lang string, productID, quantity int) (*CartChange, error) {
	return s.changeLine(ctx, ref, lang, productID, quantity, true)
}

// SetLine sets the quantity of a product already in the cart.
func (s *Service) SetLine(ctx context.Context, ref CartRef, lang string, productID, quantity int) (*CartChange, error) {
	return s.changeLine(ctx, ref, lang, productID, quantity, false)
}

func (s *Service) changeLine(ctx context.Context, ref CartRef, lang string, productID, quantity int, add bool) (*CartChange, error) {
	bad := map[string]string{}
	if productID <= 0 {
		bad["product_id"] = "is required: a product of this shop"
	}
	if quantity < 1 || quantity > s.o.MaxQuantity {
		bad["quantity"] = fmt.Sprintf("must be a whole number from 1 to %d", s.o.MaxQuantity)
	}
	if err := invalid("invalid cart line", bad); err != nil {
		return nil, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	items, err := s.catalog.Items(ctx, []int{productID})
	if err != nil {
		return nil, err
	}
	it, ok := items[productID]
	if !ok {
		return nil, &fault.Error{Kind: fault.NotFound, Code: "product_not_found", Message: "this shop sells no such product",
			Fields: map[string]string{"product_id": "is not a product on sale in this shop"}}
	}
	ct, err := s.findCart(ctx, c, ref, true)
	if err != nil {
		return nil, err
	}
	out := &CartChange{}
	if ct == nil {
		if !add {
			return nil, errNotInCart
		}
		if ct, out.Token, err = s.newCart(ctx, c, ref.CustomerID); err != nil {
			return nil, err
		}
	} else if ref.Token == "" || ct.CustomerID != nil && !tokenNames(ref.Token, ct) {
		// The customer's cart, found without its cookie: give this browser a
		// token of its own for it (the old one stops naming it).
		if out.Token, err = s.rekey(ctx, c, ct); err != nil {
			return nil, err
		}
	}
	line, err := c.CartLine.Query().Where(cartline.CartID(ct.ID), cartline.ProductID(productID)).Only(ctx)
	if err != nil && !tenant.IsNotFound(err) {
		return nil, err
	}
	want := quantity
	switch {
	case line == nil && !add:
		return nil, errNotInCart
	case line != nil && add:
		want = line.Quantity + quantity
	}
	if want > s.o.MaxQuantity {
		return nil, invalid("invalid cart line", map[string]string{"quantity": fmt.Sprintf("would make %d; a cart holds at most %d of a product", want, s.o.MaxQuantity)})
	}
	if it.Stock != nil && want > *it.Stock {
		return nil, &fault.Error{Kind: fault.Conflict, Code: "insufficient_stock", Message: "not enough in stock",
			Fields: map[string]string{"quantity": fmt.Sprintf("only %d in stock", max(*it.Stock, 0))}}
	}
	if line == nil {
		n, err := c.CartLine.Query().Where(cartline.CartID(ct.ID)).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n >= s.o.CartMaxLines {
			return nil, &fault.Error{Kind: fault.Conflict, Code: "cart_full", Message: fmt.Sprintf("a cart holds at most %d products", s.o.CartMaxLines)}
		}
		err = c.CartLine.Create().SetCartID(ct.ID).SetProductID(productID).SetQuantity(want).
			SetSeenPriceCents(it.PriceCents).SetSeenAvailable(true).Exec(ctx)
		if err != nil {
			return nil, err
		}
	} else if err := c.CartLine.Update().Where(cartline.ID(line.ID)).SetQuantity(want).SetSeenPriceCents(it.PriceCents).SetSeenAvailable(true).Exec(ctx); err != nil {
		return nil, err
	}
	// Update().Where, not UpdateOne: ent's UpdateOne reads the row back,
	// a round trip nothing here needs.
	if err := c.Cart.Update().Where(entcart.ID(ct.ID)).SetUpdatedAt(s.now()).Exec(ctx); err != nil {
		return nil, err
	}
	if out.Cart, err = s.view(ctx, c, ct, lang); err != nil {
		return nil, err
	}
	return out, nil
}

var errNotInCart = &fault.Error{Kind: fault.NotFound, Code: "not_in_cart", Message: "this product is not in your cart"}

// RemoveLine takes a product out of the cart.
func (s *Service) RemoveLine(ctx context.Context, ref CartRef, lang string, productID int) (*CartView, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	ct, err := s.findCart(ctx, c, ref, true)
	if err != nil {
		return nil, err
	}
	if ct == nil {
		return nil, errNotInCart
	}
	n, err := c.CartLine.Delete().Where(cartline.CartID(ct.ID), cartline.ProductID(productID)).Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errNotInCart
	}
	if err := c.Cart.Update().Where(entcart.ID(ct.ID)).SetUpdatedAt(s.now()).Exec(ctx); err != nil {
		return nil, err
	}
	return s.view(ctx, c, ct, lang)
}

func tokenNames(token string, ct *tenant.Cart) bool {
	return string(hashToken(token)) == string(ct.TokenHash)
}

// newCart makes a cart and counts it in the day's carts (the conversion
// figure's denominator).
func (s *Service) newCart(ctx context.Context, c *tenant.Client, customerID int) (*tenant.Cart, string, error) {
	token := newCartToken()
	b := c.Cart.Create().SetTokenHash(hashToken(token))
	if customerID != 0 {
		b.SetCustomerID(customerID)
	}
	ct, err := b.Save(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := bumpDay(ctx, c, s.now(), dayDelta{carts: 1}); err != nil {
		return nil, "", err
	}
	return ct, token, nil
}

func (s *Service) rekey(ctx context.Context, c *tenant.Client, ct *tenant.Cart) (string, error) {
	token := newCartToken()
	if err := c.Cart.Update().Where(entcart.ID(ct.ID)).SetTokenHash(hashToken(token)).Exec(ctx); err != nil {
		return "", err
	}
	return token, nil
}

// AttachCart gives the browser's cart to a customer who just signed in and
// merges the cart they left elsewhere into it (quantities added, each held
// to the maximum), and returns the token the cart cookie should now hold
// ("" when the customer has no cart at all).
func (s *Service) AttachCart(ctx context.Context, token string, customerID int) (string, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return "", err
	}
	browser, err := s.findCart(ctx, c, CartRef{Token: token}, true)
	if err != nil {
		return "", err
	}
	theirs, err := s.findCart(ctx, c, CartRef{CustomerID: customerID}, true)
	if err != nil {
		return "", err
	}
	switch {
	case browser == nil && theirs == nil:
		return "", nil
	case browser == nil:
		return s.rekey(ctx, c, theirs)
	}
	if theirs != nil && theirs.ID != browser.ID {
		if err := s.mergeInto(ctx, c, browser, theirs); err != nil {
			return "", err
		}
	}
	if err := c.Cart.Update().Where(entcart.ID(browser.ID)).SetCustomerID(customerID).SetUpdatedAt(s.now()).Exec(ctx); err != nil {
		return "", err
	}
	return token, nil
}

// mergeInto moves from's lines into to (a product in both: the quantities
// added, held to the maximum) and deletes from, in one statement each.
func (s *Service) mergeInto(ctx context.Context, c *tenant.Client, to, from *tenant.Cart) error {
	_, err := c.ExecContext(ctx, `INSERT INTO "cart_lines" AS l ("cart_id", "product_id", "quantity", "seen_price_cents", "seen_available", "added_at")
SELECT $1, "product_id", "quantity", "seen_price_cents", "seen_available", "added_at" FROM "cart_lines" WHERE "cart_id" = $2
ON CONFLICT ("cart_id", "product_id") DO UPDATE SET "quantity" = LEAST(l."quantity" + EXCLUDED."quantity", $3)`,
		to.ID, from.ID, s.o.MaxQuantity)
	if err != nil {
		return err
	}
	return c.Cart.DeleteOne(from).Exec(ctx)
}
