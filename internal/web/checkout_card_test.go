package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/payment/stripetest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// stripeEvent is a Stripe event about PaymentIntent ref, signed with secret
// as Stripe signs it (stripe-go's test helper).
func stripeEvent(t testing.TB, id, typ, ref string, amount int64, secret string) (string, map[string]string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "created": time.Now().Unix(), "livemode": false,
		"data": map[string]any{"object": map[string]any{"id": ref, "object": "payment_intent", "amount": amount,
			"amount_received": amount, "currency": "eur", "status": "succeeded"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
	return string(body), map[string]string{"Stripe-Signature": sig.Header}
}

// TestCheckoutByCard is a card purchase against stripe-mock: checkout starts
// a PaymentIntent with the shop's own key, Stripe's signed webhook marks the
// order paid exactly once (repeats, replays, bad signatures, another shop's
// secret and other shops' payments change nothing), the shopper is mailed,
// the Editor fulfils it.
func TestCheckoutByCard(t *testing.T) {
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr, stripeURL: stripetest.Start(t)})
	shop := tenanttest.Tenant(t, db, "card")
	other := tenanttest.Tenant(t, db, "card-other")
	host := hostOf(shop)
	const whsec, otherSecret = "whsec_CardShopSigningSecret", "whsec_OtherShopSigningSecret"
	owner, _ := ts.member(t, shop, "owner")
	editor, _ := ts.member(t, shop, "editor")
	otherOwner, _ := ts.member(t, other, "owner")
	for _, s := range []struct{ host, token, secret string }{{host, owner, whsec}, {hostOf(other), otherOwner, otherSecret}} {
		r := ts.do(t, req{method: "PUT", host: s.host, path: "/api/v1/settings/payments", token: s.token, body: map[string]any{
			"enabled": true, "publishable_key": "pk_test_CardShop", "secret_key": "sk_test_CardShopSecretKey123", "webhook_secret": s.secret}})
		if r.status != http.StatusOK {
			t.Fatalf("configure Stripe: %d %s", r.status, r.body)
		}
	}
	lamp := sell(t, db, shop, sale{sku: "LAMP", price: 8900, vat: ptr(1700), stock: ptr(2)})

	b := ts.browser(host)
	var shelf struct {
		Items []struct {
			ID           int    `json:"id"`
			Availability string `json:"availability"`
		} `json:"items"`
	}
	b.must(t, http.StatusOK, "GET", "/api/v1/shop/products", nil).decode(t, &shelf)
	if len(shelf.Items) != 1 || shelf.Items[0].ID != lamp || shelf.Items[0].Availability != "in_stock" {
		t.Fatalf("browsing the shop: %+v", shelf)
	}
	var opts struct {
		Payment []string `json:"payment_methods"`
	}
	b.must(t, http.StatusOK, "GET", "/api/v1/shop/checkout/options", nil).decode(t, &opts)
	if strings.Join(opts.Payment, ",") != "bank_transfer,stripe" {
		t.Fatalf("payment methods %v", opts.Payment)
	}
	b.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": lamp, "quantity": 1})
	// The shopper makes an account on the way: the cart comes along.
	b.must(t, http.StatusCreated, "POST", "/api/v1/shop/account/register",
		map[string]any{"email": "card@example.lu", "password": testPassword, "first_name": "Carla", "last_name": "Card"})
	var placed placedOrder
	body := checkoutBody("card@example.lu", "standard", "stripe")
	body["language"] = "en"
	b.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", body).decode(t, &placed)
	if placed.Payment.Method != "stripe" || !strings.Contains(placed.Payment.ClientSecret, "_secret_") || placed.Order.Status != "pending_payment" {
		t.Fatalf("card checkout: %+v", placed)
	}
	if placed.Order.TotalCents != 8900 { // free delivery above 75.00
		t.Errorf("total %d, want 8900", placed.Order.TotalCents)
	}
	sc := ts.scenarios(host, map[string]string{"owner": owner, "editor": editor})
	path := fmt.Sprintf("/api/v1/orders/%d", placed.Order.ID)
	var v order.View
	sc.send(t, scenario{name: "the team sees the payment", as: "owner", method: "GET", path: path, wantStatus: http.StatusOK}).decode(t, &v)
	if !strings.HasPrefix(v.PaymentRef, "pi_") {
		t.Fatalf("payment_ref %q", v.PaymentRef)
	}
	hook := "/api/v1/shop/payments/stripe/webhook"
	send := func(name string, body string, h map[string]string, onHost string, status int, want string) {
		t.Run(name, func(t *testing.T) {
			r := ts.do(t, req{method: "POST", host: onHost, path: hook, body: body, header: h})
			if r.status != status || !strings.Contains(string(r.body), want) {
				t.Fatalf("%d %s, want %d with %q", r.status, r.body, status, want)
			}
		})
	}
	event, sig := stripeEvent(t, "evt_paid_1", "payment_intent.succeeded", v.PaymentRef, 8900, whsec)
	tampered := strings.Replace(event, "8900", "1", 2)
	send("a tampered body", tampered, sig, host, http.StatusBadRequest, "bad_signature")
	_, otherSig := stripeEvent(t, "evt_paid_1", "payment_intent.succeeded", v.PaymentRef, 8900, otherSecret)
	send("signed with another shop's secret", event, otherSig, host, http.StatusBadRequest, "bad_signature")
	send("this shop's event sent to another shop", event, sig, hostOf(other), http.StatusBadRequest, "bad_signature")
	failed, failedSig := stripeEvent(t, "evt_failed_1", "payment_intent.payment_failed", v.PaymentRef, 8900, whsec)
	send("a failed attempt first", failed, failedSig, host, http.StatusOK, `"outcome":"payment_failed"`)
	send("the payment", event, sig, host, http.StatusOK, `"outcome":"paid"`)
	send("the same event again", event, sig, host, http.StatusOK, `"outcome":"duplicate"`)
	late, lateSig := stripeEvent(t, "evt_failed_2", "payment_intent.payment_failed", v.PaymentRef, 8900, whsec)
	send("a failure arriving after the success", late, lateSig, host, http.StatusOK, `"outcome":"payment_failed"`)
	unknown, unknownSig := stripeEvent(t, "evt_other_1", "payment_intent.succeeded", "pi_NotThisShops123", 8900, whsec)
	send("a payment this shop does not have", unknown, unknownSig, host, http.StatusOK, `"outcome":"unknown_payment"`)
	short, shortSig := stripeEvent(t, "evt_short_1", "payment_intent.succeeded", v.PaymentRef, 100, whsec)
	send("an amount that is not the order's", short, shortSig, host, http.StatusOK, `"outcome":"amount_mismatch"`)

	sc.send(t, scenario{name: "paid once", as: "owner", method: "GET", path: path, wantStatus: http.StatusOK}).decode(t, &v)
	paidEntries := 0
	for _, e := range v.History {
		if e.ToStatus == "paid" {
			paidEntries++
			if e.Actor != "stripe" {
				t.Errorf("paid by %q, want stripe", e.Actor)
			}
		}
	}
	if v.Status != "paid" || paidEntries != 1 || v.PaidAt == nil {
		t.Fatalf("after the webhooks: status %s, %d paid entries", v.Status, paidEntries)
	}
	sc.send(t, scenario{name: "the Editor fulfils it", as: "editor", method: "PUT", path: path,
		body: map[string]any{"status": "fulfilled", "tracking_number": "PX-1"}, wantStatus: http.StatusOK})
	sc.send(t, scenario{name: "a partial refund through Stripe", as: "owner", method: "PUT", path: path,
		body: map[string]any{"refund_cents": 900}, wantStatus: http.StatusOK, want: []string{`"refunded_cents":900`, `"status":"fulfilled"`}})
	sc.send(t, scenario{name: "more than is left", as: "owner", method: "PUT", path: path,
		body: map[string]any{"refund_cents": 8001}, wantStatus: http.StatusConflict, wantCode: "refund_too_large"})

	// The customer follows the order in their account: fulfilled, with the
	// tracking number and the refund, without the team's payment reference.
	var mine order.View
	b.must(t, http.StatusOK, "GET", "/api/v1/shop/account/orders/1", nil).decode(t, &mine)
	if mine.Status != "fulfilled" || mine.TrackingNumber != "PX-1" || mine.RefundedCents != 900 || mine.PaymentRef != "" || len(mine.Allowed) != 0 {
		t.Errorf("the customer's view: %+v", mine)
	}
	for _, e := range mine.History {
		if strings.HasPrefix(e.Actor, "user:") {
			t.Errorf("the customer sees who in the team acted: %+v", e)
		}
	}
	ts.flushMail(t)
	subjects := []string{}
	for _, m := range smtp.To("card@example.lu") {
		subjects = append(subjects, m.Subject)
	}
	if len(subjects) != 3 || !strings.Contains(subjects[0], "Your order 1") || !strings.Contains(subjects[1], "paid") || !strings.Contains(subjects[2], "sent") {
		t.Errorf("the shopper's mails: %q", subjects)
	}
}

// TestCartFollowsTheCustomer: a signed-in customer's cart is theirs in
// another browser; signing in merges the browser's cart into it; signing
// out leaves the cart with the account, not with the browser.
func TestCartFollowsTheCustomer(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, db, "follow")
	host := hostOf(shop)
	tea := sell(t, db, shop, sale{sku: "TEA", price: 450})
	cup := sell(t, db, shop, sale{sku: "CUP", price: 900})
	login := map[string]any{"email": "fern@example.lu", "password": testPassword}

	laptop := ts.browser(host)
	laptop.must(t, http.StatusCreated, "POST", "/api/v1/shop/account/register",
		map[string]any{"email": "fern@example.lu", "password": testPassword, "first_name": "Fern", "last_name": "Follow"})
	laptop.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": tea, "quantity": 2})

	phone := ts.browser(host) // anonymous first, with a cart of its own
	phone.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": tea, "quantity": 1})
	phone.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": cup, "quantity": 1})
	phone.must(t, http.StatusOK, "POST", "/api/v1/shop/account/login", login)
	var cart order.CartView
	phone.must(t, http.StatusOK, "GET", "/api/v1/shop/cart", nil).decode(t, &cart)
	got := map[string]int{}
	for _, l := range cart.Lines {
		got[l.SKU] = l.Quantity
	}
	if got["TEA"] != 3 || got["CUP"] != 1 || len(got) != 2 {
		t.Fatalf("merged cart %v, want TEA 3 and CUP 1", got)
	}
	laptop.must(t, http.StatusOK, "GET", "/api/v1/shop/cart", nil).decode(t, &cart)
	if len(cart.Lines) != 2 {
		t.Errorf("the laptop sees %d lines of the customer's cart, want 2", len(cart.Lines))
	}
	phone.must(t, http.StatusNoContent, "POST", "/api/v1/shop/account/logout", nil)
	if phone.jar[cartCookie] != nil {
		t.Error("signing out left the customer's cart cookie in the browser")
	}
	phone.must(t, http.StatusOK, "GET", "/api/v1/shop/cart", nil).decode(t, &cart)
	if len(cart.Lines) != 0 {
		t.Errorf("after signing out the browser still shows %d lines", len(cart.Lines))
	}
}
