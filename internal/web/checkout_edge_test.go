package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestCartAndCheckoutRefuseBadInput: every bad request is a clear 4xx and
// changes nothing — no line added, no stock taken, no order made.
func TestCartAndCheckoutRefuseBadInput(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, db, "bad")
	other := tenanttest.Tenant(t, db, "bad-other")
	host := hostOf(shop)
	mug := sell(t, db, shop, sale{sku: "MUG", price: 1200, stock: ptr(3)})
	draft := sell(t, db, shop, sale{sku: "DRAFT", price: 500})
	if err := db.Tx(context.Background(), shop, func(ctx context.Context) error {
		c, _ := tenantdb.Current(ctx)
		return c.Product.UpdateOneID(draft).SetStatus("draft").Exec(ctx)
	}); err != nil {
		t.Fatal(err)
	}
	foreign := sell(t, db, other, sale{sku: "FOREIGN", price: 100})
	for foreign <= mug { // an id this shop does not have
		foreign = sell(t, db, other, sale{sku: fmt.Sprintf("FOREIGN-%d", foreign), price: 100})
	}

	b := ts.browser(host)
	line := func(name string, product, qty, status int, code string) scenario {
		return scenario{name: name, method: "POST", path: "/api/v1/shop/cart/lines",
			body: map[string]any{"product_id": product, "quantity": qty}, wantStatus: status, wantCode: code}
	}
	for _, s := range []scenario{
		line("quantity 0", mug, 0, http.StatusBadRequest, "invalid"),
		line("negative quantity", mug, -2, http.StatusBadRequest, "invalid"),
		line("over the stock", mug, 4, http.StatusConflict, "insufficient_stock"),
		line("over the maximum", mug, 100000, http.StatusBadRequest, "invalid"),
		line("an unknown product", 999999, 1, http.StatusNotFound, "product_not_found"),
		line("an unpublished product", draft, 1, http.StatusNotFound, "product_not_found"),
		line("another shop's product id", foreign, 1, http.StatusNotFound, "product_not_found"),
		{name: "a price in the body", method: "POST", path: "/api/v1/shop/cart/lines",
			body: map[string]any{"product_id": mug, "quantity": 1, "price_cents": 1}, wantStatus: http.StatusBadRequest, want: []string{"price_cents"}},
		{name: "a line not in the cart", method: "PUT", path: fmt.Sprintf("/api/v1/shop/cart/lines/%d", mug),
			body: map[string]any{"quantity": 1}, wantStatus: http.StatusNotFound, wantCode: "not_in_cart"},
		{name: "checkout of no cart", method: "POST", path: "/api/v1/shop/checkout",
			body: checkoutBody("a@example.lu", "pickup", "bank_transfer"), wantStatus: http.StatusConflict, wantCode: "cart_empty"},
	} {
		t.Run(s.name, func(t *testing.T) {
			r := b.do(t, s.method, s.path, s.body, nil)
			if r.status != s.wantStatus || (s.wantCode != "" && r.code() != s.wantCode) {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, s.wantStatus, s.wantCode)
			}
			for _, w := range s.want {
				if !contains(r.body, w) {
					t.Errorf("answer %s does not say %q", r.body, w)
				}
			}
		})
	}
	if b.jar[cartCookie] != nil {
		t.Fatal("a refused line made a cart")
	}

	b.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": mug, "quantity": 2})
	checkout := func(name string, body map[string]any, status int, code string, fields ...string) {
		t.Run(name, func(t *testing.T) {
			r := b.do(t, "POST", "/api/v1/shop/checkout", body, nil)
			if r.status != status || r.code() != code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, status, code)
			}
			for _, f := range fields {
				if !contains(r.body, `"`+f+`"`) {
					t.Errorf("the answer %s does not name %s", r.body, f)
				}
			}
		})
	}
	checkout("every bad field named at once", map[string]any{"email": "not-mail", "billing_address": map[string]any{"name": "A", "country": "XX"},
		"shipping_method": "teleport", "payment_method": "cash"}, http.StatusBadRequest, "invalid",
		"email", "shipping_method", "payment_method", "billing_address.line1", "billing_address.postal_code", "billing_address.city", "billing_address.country")
	checkout("card payments where the shop takes none", checkoutBody("a@example.lu", "pickup", "stripe"), http.StatusBadRequest, "invalid", "payment_method")
	tampered := checkoutBody("a@example.lu", "pickup", "bank_transfer")
	tampered["expected_total_cents"] = 1
	checkout("a total the server did not compute", tampered, http.StatusConflict, "total_changed", "expected_total_cents")
	tampered = checkoutBody("a@example.lu", "pickup", "bank_transfer")
	tampered["total_cents"] = 1
	checkout("a total in the body", tampered, http.StatusBadRequest, "invalid", "total_cents")
	if s := stockOf(t, db, shop, mug); *s != 3 {
		t.Fatalf("refused checkouts took stock: %d left of 3", *s)
	}

	// A cart cookie of this shop replayed on another shop names nothing
	// there: an empty cart, and its lines are never shown or bought.
	thief := ts.browser(hostOf(other))
	thief.jar[cartCookie] = b.jar[cartCookie]
	var cart order.CartView
	thief.must(t, http.StatusOK, "GET", "/api/v1/shop/cart", nil).decode(t, &cart)
	if len(cart.Lines) != 0 {
		t.Fatalf("shop A's cart cookie showed %d lines on shop B", len(cart.Lines))
	}
	if r := thief.do(t, "POST", "/api/v1/shop/checkout", checkoutBody("t@example.lu", "pickup", "bank_transfer"), nil); r.code() != "cart_empty" {
		t.Fatalf("checkout on B with A's cookie: %d %s, want cart_empty", r.status, r.body)
	}

	// A change from another site's page is refused: the cookies are
	// SameSite=Lax, which a sibling shop's subdomain gets past.
	for name, h := range map[string]map[string]string{
		"Origin of a sibling shop": {"Origin": "http://" + hostOf(other)},
		"Sec-Fetch-Site":           {"Sec-Fetch-Site": "same-site"},
	} {
		if r := b.do(t, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": mug, "quantity": 1}, h); r.status != http.StatusForbidden || r.code() != "cross_site" {
			t.Errorf("%s: %d %s, want 403 cross_site", name, r.status, r.body)
		}
	}
	if r := b.do(t, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": mug, "quantity": 1},
		map[string]string{"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}); r.status != http.StatusOK {
		t.Errorf("the shop's own page: %d %s", r.status, r.body)
	}

	// Price changes are the catalogue's: the cart shows the new price and
	// says so; checkout charges it.
	if err := db.Tx(context.Background(), shop, func(ctx context.Context) error {
		c, _ := tenantdb.Current(ctx)
		return c.Product.UpdateOneID(mug).SetPriceCents(1500).Exec(ctx)
	}); err != nil {
		t.Fatal(err)
	}
	b.must(t, http.StatusOK, "GET", "/api/v1/shop/cart", nil).decode(t, &cart)
	if l := cart.Lines[0]; !cart.Changed || l.Notice != order.NoticePriceChanged || l.PreviousPriceCents == nil || *l.PreviousPriceCents != 1200 || l.UnitPriceCents != 1500 {
		t.Fatalf("after a price change: %+v", cart)
	}
}

// TestLastUnitsGoToExactlyAsManyBuyers: 50 shoppers race for the last 10
// units; exactly 10 orders are made and the stock ends at 0, never below.
func TestLastUnitsGoToExactlyAsManyBuyers(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, db, "race")
	host := hostOf(shop)
	hot := sell(t, db, shop, sale{sku: "HOT", price: 999, stock: ptr(10)})
	const buyers = 50
	browsers := make([]*browser, buyers)
	for i := range browsers {
		browsers[i] = ts.browser(host)
		browsers[i].must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": hot, "quantity": 1})
	}
	var wg sync.WaitGroup
	statuses := make([]int, buyers)
	codes := make([]string, buyers)
	start := make(chan struct{})
	for i, b := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := b.do(t, "POST", "/api/v1/shop/checkout", checkoutBody(fmt.Sprintf("buyer%d@example.lu", i), "pickup", "bank_transfer"), nil)
			statuses[i], codes[i] = r.status, r.code()
		}()
	}
	close(start)
	wg.Wait()
	won, lost := 0, 0
	for i := range statuses {
		switch {
		case statuses[i] == http.StatusCreated:
			won++
		case statuses[i] == http.StatusConflict && (codes[i] == "insufficient_stock" || codes[i] == "cart_unavailable"):
			lost++
		default:
			t.Errorf("buyer %d: %d %s", i, statuses[i], codes[i])
		}
	}
	if won != 10 || lost != 40 {
		t.Errorf("%d orders and %d refusals, want 10 and 40", won, lost)
	}
	if s := stockOf(t, db, shop, hot); s == nil || *s != 0 {
		t.Errorf("stock %v, want 0", s)
	}
	owner, _ := ts.member(t, shop, "owner")
	var pg struct{ Items []order.Summary }
	r := ts.do(t, req{method: "GET", host: host, path: "/api/v1/orders?limit=100", token: owner})
	r.decode(t, &pg)
	numbers := map[int64]bool{}
	for _, o := range pg.Items {
		numbers[o.Number] = true
	}
	for n := int64(1); n <= 10; n++ {
		if !numbers[n] {
			t.Errorf("order numbers %v are not 1 to 10 without a gap", numbers)
			break
		}
	}
	if len(pg.Items) != 10 {
		t.Errorf("%d orders listed, want 10", len(pg.Items))
	}
}

// TestOrderNumbersAreEachShopsOwn: two shops both have an order number 1,
// each host sees only its own, and a team member of one shop reads nothing
// of the other's.
func TestOrderNumbersAreEachShopsOwn(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	a, b := tenanttest.Tenant(t, db, "wall-a"), tenanttest.Tenant(t, db, "wall-b")
	for _, tn := range []struct {
		host, email string
		product     int
	}{
		{hostOf(a), "alice@a.example", sell(t, db, a, sale{sku: "A1", price: 100})},
		{hostOf(b), "bob@b.example", sell(t, db, b, sale{sku: "B1", price: 200})},
	} {
		br := ts.browser(tn.host)
		br.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": tn.product, "quantity": 1})
		var p placedOrder
		br.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody(tn.email, "pickup", "bank_transfer")).decode(t, &p)
		if p.Order.Number != 1 {
			t.Fatalf("%s: first order is number %d, want 1", tn.host, p.Order.Number)
		}
	}
	ownerA, _ := ts.member(t, a, "owner")
	ownerB, _ := ts.member(t, b, "owner")
	for _, c := range []struct{ host, token, want, not string }{
		{hostOf(a), ownerA, "alice@a.example", "bob@b.example"},
		{hostOf(b), ownerB, "bob@b.example", "alice@a.example"},
	} {
		r := ts.do(t, req{method: "GET", host: c.host, path: "/api/v1/orders?q=1", token: c.token})
		if r.status != http.StatusOK || !contains(r.body, c.want) || contains(r.body, c.not) {
			t.Errorf("%s orders: %d %s", c.host, r.status, r.body)
		}
	}
	if r := ts.do(t, req{method: "GET", host: hostOf(b), path: "/api/v1/orders/1", token: ownerA}); r.status != http.StatusForbidden {
		t.Errorf("A's Owner reading B's order 1: %d %s", r.status, r.body)
	}
}

// TestCheckoutIsIdempotent: the same Idempotency-Key makes one order however
// often it is sent; the key with another body is refused; a retry without a
// key after the cart became an order finds no cart, not a second order.
func TestCheckoutIsIdempotent(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, db, "idem")
	host := hostOf(shop)
	p := sell(t, db, shop, sale{sku: "IDEM", price: 700, stock: ptr(5)})
	b := ts.browser(host)
	b.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": p, "quantity": 2})
	key := map[string]string{"Idempotency-Key": "double-click-1"}
	body := checkoutBody("i@example.lu", "pickup", "bank_transfer")
	var wg sync.WaitGroup
	answers := make([]*resp, 4)
	for i := range answers { // a burst of clicks
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = b.do(t, "POST", "/api/v1/shop/checkout", body, key) }()
	}
	wg.Wait()
	created, numbers := 0, map[int64]bool{}
	for _, r := range answers {
		var po placedOrder
		switch r.status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
			r.decode(t, &po)
			if !po.Replayed {
				t.Errorf("a 200 that is not a replay: %s", r.body)
			}
		default:
			t.Fatalf("a click: %d %s", r.status, r.body)
		}
		r.decode(t, &po)
		numbers[po.Order.Number] = true
	}
	if created != 1 || len(numbers) != 1 {
		t.Errorf("%d created, numbers %v: want one order", created, numbers)
	}
	if s := stockOf(t, db, shop, p); *s != 3 {
		t.Errorf("stock %d, want 3 (taken once)", *s)
	}
	other := checkoutBody("someone-else@example.lu", "pickup", "bank_transfer")
	if r := b.do(t, "POST", "/api/v1/shop/checkout", other, key); r.status != http.StatusConflict || r.code() != "idempotency_key_reused" {
		t.Errorf("the key with another body: %d %s", r.status, r.body)
	}
	if r := b.do(t, "POST", "/api/v1/shop/checkout", body, nil); r.code() != "cart_empty" {
		t.Errorf("a retry without the key: %d %s, want cart_empty", r.status, r.body)
	}
}

// TestUnpaidOrdersExpire: the sweep cancels an order unpaid past its
// deadline and returns its stock; a paid one is left alone.
func TestUnpaidOrdersExpire(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions(), orders: func(o *order.Options) { o.BankTransferTTL = time.Millisecond }})
	shop := tenanttest.Tenant(t, db, "expire")
	host := hostOf(shop)
	p := sell(t, db, shop, sale{sku: "EXP", price: 300, stock: ptr(4)})
	place := func(email string) placedOrder {
		b := ts.browser(host)
		b.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": p, "quantity": 2})
		var po placedOrder
		b.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody(email, "pickup", "bank_transfer")).decode(t, &po)
		return po
	}
	unpaid, paid := place("late@example.lu"), place("prompt@example.lu")
	owner, _ := ts.member(t, shop, "owner")
	if r := ts.do(t, req{method: "PUT", host: host, path: fmt.Sprintf("/api/v1/orders/%d", paid.Order.ID), token: owner,
		body: map[string]any{"status": "paid"}}); r.status != http.StatusOK {
		t.Fatalf("mark paid: %d %s", r.status, r.body)
	}
	time.Sleep(5 * time.Millisecond)
	cancelled, _, err := ts.orders.SweepShop(context.Background(), db, shop)
	if err != nil || cancelled != 1 {
		t.Fatalf("sweep: %d cancelled, %v", cancelled, err)
	}
	if s := stockOf(t, db, shop, p); *s != 2 {
		t.Errorf("stock %d after the expiry, want 2 (the unpaid order's 2 back)", *s)
	}
	for id, want := range map[int]string{unpaid.Order.ID: "cancelled", paid.Order.ID: "paid"} {
		r := ts.do(t, req{method: "GET", host: host, path: fmt.Sprintf("/api/v1/orders/%d", id), token: owner})
		if !contains(r.body, `"status":"`+want+`"`) {
			t.Errorf("order %d: %s, want %s", id, r.body, want)
		}
	}
	if n, _, err := ts.orders.SweepShop(context.Background(), db, shop); err != nil || n != 0 {
		t.Errorf("a second sweep cancelled %d (%v), want 0", n, err)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
