package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestCheckoutByBankTransfer is a shopper's whole purchase paid by bank
// transfer: cart, checkout (stock taken, totals and VAT computed by the
// server), the confirmation in the shop's language and the shop's notice,
// then the team marking it paid and the Editor fulfilling it, the history
// saying who did what.
func TestCheckoutByBankTransfer(t *testing.T) {
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr})
	shop := tenanttest.Tenant(t, db, "buy")
	host := hostOf(shop)
	if err := db.Platform().Vendor.UpdateOneID(shop.ID).SetBusinessEmail("orders@" + shop.Slug + ".test").
		SetEnabledLanguages([]string{"en", "fr"}).SetDefaultLanguage("en").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	scarf := sell(t, db, shop, sale{sku: "SCARF", title: map[string]string{"en": "Wool scarf", "fr": "Écharpe en laine"}, price: 2490, vat: ptr(1700), stock: ptr(5)})
	book := sell(t, db, shop, sale{sku: "BOOK", title: map[string]string{"en": "Cook book"}, price: 1999, vat: ptr(300)})

	b := ts.browser(host)
	r := b.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": scarf, "quantity": 2})
	if b.jar[cartCookie] == nil {
		t.Fatalf("no cart cookie after the first line: %v", r.cookies)
	}
	if ck := r.cookie(cartCookie); !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("cart cookie HttpOnly=%v SameSite=%v, want HttpOnly and Lax", ck.HttpOnly, ck.SameSite)
	}
	b.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": book, "quantity": 1})
	var cart order.CartView
	b.must(t, http.StatusOK, "GET", "/api/v1/shop/cart?lang=fr", nil).decode(t, &cart)
	if len(cart.Lines) != 2 || cart.SubtotalCents != 2*2490+1999 || cart.Units != 3 || cart.Lines[0].Title != "Écharpe en laine" {
		t.Fatalf("cart: %+v", cart)
	}

	var placed placedOrder
	body := checkoutBody("Anna@Example.LU", "standard", "bank_transfer")
	body["language"] = "fr"
	b.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", body).decode(t, &placed)
	o := placed.Order
	// 2 × 24.90 at 17% and 19.99 at 3%; 69.79 is under 75.00, so standard
	// delivery costs 4.90, at the standard rate.
	wantTotal := int64(2*2490 + 1999 + 490)
	if o.Number != 1 || o.Status != "pending_payment" || o.TotalCents != wantTotal || o.Shipping != 490 || o.Units != 3 || o.Email != "anna@example.lu" {
		t.Fatalf("order: %+v", o)
	}
	// VAT per rate, rounded once per rate: 17% of 54.70 gross is 7.95; 3% of 19.99 is 0.58.
	if len(o.VATBreakdown) != 2 || o.VATBreakdown[0].RateBP != 300 || o.VATBreakdown[0].VAT != 58 ||
		o.VATBreakdown[1].RateBP != 1700 || o.VATBreakdown[1].Gross != 4980+490 || o.VATBreakdown[1].VAT != 795 || o.VATCents != 853 {
		t.Errorf("VAT: %+v total %d", o.VATBreakdown, o.VATCents)
	}
	if placed.Payment.Method != "bank_transfer" || placed.Payment.Reference != "1" || o.PaymentRef != "" {
		t.Errorf("payment: %+v (ref %q)", placed.Payment, o.PaymentRef)
	}
	if s := stockOf(t, db, shop, scarf); s == nil || *s != 3 {
		t.Errorf("scarf stock %v after buying 2 of 5, want 3", s)
	}
	// The cart became the order: it is gone for the shopper.
	b.must(t, http.StatusOK, "GET", "/api/v1/shop/cart", nil).decode(t, &cart)
	if len(cart.Lines) != 0 {
		t.Errorf("cart still holds %d lines after checkout", len(cart.Lines))
	}
	ts.flushMail(t)
	conf := smtp.To("anna@example.lu")
	if len(conf) != 1 || !strings.Contains(conf[0].Subject, "Votre commande 1") || !strings.Contains(conf[0].Body, "Écharpe en laine") ||
		!strings.Contains(conf[0].Body, "référence 1") || !strings.Contains(conf[0].Body, "coordonnées bancaires") {
		t.Errorf("confirmation: %+v", conf)
	}
	// The shop gave no bank account: its notice says to send one.
	if n := smtp.To("orders@" + shop.Slug + ".test"); len(n) != 1 || !strings.Contains(n[0].Subject, "New order 1") ||
		!strings.Contains(n[0].Body, "no bank account yet: send anna@example.lu your bank details") {
		t.Errorf("shop's notice: %+v", n)
	}

	// The team: the Owner marks the transfer received, the Editor fulfils.
	owner, ownerID := ts.member(t, shop, "owner")
	editor, _ := ts.member(t, shop, "editor")
	viewer, _ := ts.member(t, shop, "viewer")
	sc := ts.scenarios(host, map[string]string{"owner": owner, "editor": editor, "viewer": viewer})
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
	sc.send(t, scenario{name: "a Viewer cannot change an order", as: "viewer", method: "PUT", path: path,
		body: map[string]any{"status": "paid"}, wantStatus: http.StatusForbidden, wantCode: "permission_denied"})
	sc.send(t, scenario{name: "not yet fulfilled: it is unpaid", as: "editor", method: "PUT", path: path,
		body: map[string]any{"status": "fulfilled"}, wantStatus: http.StatusConflict, wantCode: "transition_not_allowed",
		want: []string{"paid or cancelled"}})
	sc.send(t, scenario{name: "the transfer arrived", as: "owner", method: "PUT", path: path,
		body: map[string]any{"status": "paid", "note": "seen on the bank statement"}, wantStatus: http.StatusOK})
	sc.send(t, scenario{name: "the Editor fulfils it", as: "editor", method: "PUT", path: path,
		body: map[string]any{"status": "fulfilled", "tracking_number": "LU123456789"}, wantStatus: http.StatusOK,
		want: []string{`"status":"fulfilled"`, `"tracking_number":"LU123456789"`}})
	got := sc.send(t, scenario{name: "its history", as: "viewer", method: "GET", path: path, wantStatus: http.StatusOK})
	var v order.View
	got.decode(t, &v)
	var kinds []string
	for _, e := range v.History {
		kinds = append(kinds, e.Kind+":"+e.ToStatus+":"+strings.Fields(e.Actor + " x")[0])
	}
	if want := "placed:pending_payment:shopper status:paid:user:" + fmt.Sprint(ownerID); !strings.HasPrefix(strings.Join(kinds, " "), want) {
		t.Errorf("history %v, want it to start %q", kinds, want)
	}
	if len(v.History) != 5 { // placed, paid, the note, fulfilled, the tracking number
		t.Errorf("%d history entries, want 5: %v", len(v.History), kinds)
	}
	sc.send(t, scenario{name: "a fulfilled order cannot go back to paid", as: "owner", method: "PUT", path: path,
		body: map[string]any{"status": "paid"}, wantStatus: http.StatusConflict, wantCode: "transition_not_allowed",
		want: []string{"completed or refunded"}})
	sc.send(t, scenario{name: "the audit trail has it", as: "owner", method: "GET", path: "/api/v1/teams/audit?action=order.update",
		wantStatus: http.StatusOK, want: []string{`"target_id":"1"`, `"fulfilled"`}})
	ts.flushMail(t)
	if st := smtp.To("anna@example.lu"); len(st) != 3 || !strings.Contains(st[2].Subject, "expédiée") || !strings.Contains(st[2].Body, "LU123456789") {
		t.Errorf("status mails: %d, last %+v", len(st), st[len(st)-1])
	}
}

// member signs in a new member of tn holding role: their access token and
// user id.
func (ts *testServer) member(t testing.TB, tn *tenantdb.Tenant, role string) (string, int) {
	t.Helper()
	email := fmt.Sprintf("%s-%d@%s.test", role, time.Now().UnixNano(), tn.Slug)
	u := ts.user(t, email)
	ts.join(t, tn, u.ID, role)
	return ts.login(t, hostOf(tn), email).access, u.ID
}

// TestBankTransferNamesTheShopsAccount: an Owner gives the shop's bank
// account in its settings — a mistyped IBAN refused beside its field,
// nothing changed —; a shopper who then pays by bank transfer reads the
// holder, the IBAN in groups of four, the BIC and the reference in the
// confirmation mail and on the order's page.
func TestBankTransferNamesTheShopsAccount(t *testing.T) {
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr})
	shop := tenanttest.Tenant(t, db, "iban")
	host := hostOf(shop)
	owner, _ := ts.member(t, shop, "owner")
	sc := ts.scenarios(host, map[string]string{"owner": owner})
	sc.send(t, scenario{name: "a mistyped IBAN", as: "owner", method: "PUT", path: "/api/v1/settings",
		body:       map[string]any{"bank_account_holder": "Atelier Iban SARL", "bank_iban": "LU28 0019 4006 4475 0001"},
		wantStatus: http.StatusBadRequest, check: wantFieldsOnly(map[string]string{"bank_iban": "check digits do not match"})})
	sc.send(t, scenario{name: "nothing changed", as: "owner", method: "GET", path: "/api/v1/settings", wantStatus: http.StatusOK,
		want: []string{`"bank_iban":""`, `"bank_account_holder":""`}})
	// The phone shows in the shop's footer: once it does, the shop's
	// cached settings hold the account too.
	sc.send(t, scenario{name: "the account", as: "owner", method: "PUT", path: "/api/v1/settings",
		body: map[string]any{"bank_account_holder": "Atelier Iban SARL", "bank_iban": "lu28 0019 4006 4475 0000", "bank_bic": "bceelull",
			"business_phone": "26 00 00 01"},
		wantStatus: http.StatusOK, want: []string{`"bank_iban":"LU280019400644750000"`, `"bank_bic":"BCEELULL"`}})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(string(ts.do(t, req{method: "GET", host: host, path: "/"}).body), "26 00 00 01"); {
		if time.Now().After(deadline) {
			t.Fatal("the shop's settings never changed on the shop front")
		}
		time.Sleep(20 * time.Millisecond)
	}

	book := sell(t, db, shop, sale{sku: "BOOK", price: 1999})
	b := ts.browser(host)
	b.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": book, "quantity": 1})
	var placed placedOrder
	b.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody("ben@example.lu", "pickup", "bank_transfer")).decode(t, &placed)
	ts.flushMail(t)
	conf := smtp.To("ben@example.lu")
	if len(conf) != 1 {
		t.Fatalf("%d confirmations", len(conf))
	}
	for _, want := range []string{"Atelier Iban SARL", "IBAN: LU28 0019 4006 4475 0000", "BIC: BCEELULL", fmt.Sprintf("référence %d", placed.Order.Number)} {
		if !strings.Contains(conf[0].Body, want) {
			t.Errorf("the confirmation lacks %q:\n%s", want, conf[0].Body)
		}
	}
	page := string(b.must(t, http.StatusOK, "GET", fmt.Sprintf("/orders/%d", placed.Order.Number), nil).body)
	for _, want := range []string{"Atelier Iban SARL", `<dd data-iban>LU28 0019 4006 4475 0000</dd>`, "BCEELULL"} {
		if !strings.Contains(page, want) {
			t.Errorf("the order's page lacks %q", want)
		}
	}
}
