package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	entproduct "github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/browsertest"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// officeWithOrder is a shop with a book at €20.00 and one order of qty of
// it by bank transfer, a server, and the shop's origin for the browser.
func officeWithOrder(t *testing.T, slug string, qty int, shipping string) (*testServer, *tenantdb.Tenant, string, placedOrder) {
	t.Helper()
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	tn := tenanttest.Tenant(t, db, slug)
	_, port, _ := net.SplitHostPort(ts.addr)
	book := sell(t, db, tn, sale{sku: "BOOK", price: 2000})
	shopper := ts.browser(hostOf(tn))
	shopper.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": book, "quantity": qty})
	var placed placedOrder
	shopper.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody("ann@example.lu", shipping, "bank_transfer")).decode(t, &placed)
	return ts, tn, "http://" + hostOf(tn) + ":" + port, placed
}

// officeSignIn opens url (a back office page) in p, signs in as email
// with the tests' password and waits for ready, a selector of the page the
// user lands on.
func officeSignIn(t *testing.T, p *browsertest.Page, url, email, ready string) {
	t.Helper()
	p.Open(t, url)
	p.Run(t,
		chromedp.SetValue(chromedp.CSS("#si-email"), email),
		chromedp.SetValue(chromedp.CSS("#si-password"), testPassword),
		chromedp.Click(chromedp.CSS("[data-signin-form] button")),
		chromedp.WaitVisible(chromedp.CSS(ready)),
	)
}

// TestBackOfficeSignInAndRoles: a team member signs in at /admin/ on the
// shop's host and sees the sections their role opens — an Owner every one,
// a Viewer no team, settings or audit — with the dashboard's figures read
// from the API; a reload keeps them signed in (the refresh cookie), signing
// out ends it.
func TestBackOfficeSignInAndRoles(t *testing.T) {
	ts, tn, origin, _ := officeWithOrder(t, "office", 2, "pickup")

	for _, tt := range []struct {
		role, nav string
	}{
		{"owner", "Dashboard Products Orders Customers Imports Team Settings Audit trail"},
		{"viewer", "Dashboard Products Orders Customers Imports"},
	} {
		t.Run(tt.role, func(t *testing.T) {
			email := fmt.Sprintf("%s@office.test", tt.role)
			u := ts.user(t, email)
			ts.join(t, tn, u.ID, tt.role)
			p := browsertest.New(t).Page(t, 1440)
			p.Open(t, origin+"/admin/")
			p.WaitVisible(t, "[data-signin-form]")
			p.NoSeriousViolations(t)
			p.Screenshot(t, "admin-signin")
			p.Run(t,
				chromedp.SetValue(chromedp.CSS("#si-email"), email),
				chromedp.SetValue(chromedp.CSS("#si-password"), testPassword),
				chromedp.Click(chromedp.CSS("[data-signin-form] button")),
				chromedp.WaitVisible(chromedp.CSS(`[data-latest-orders]`)),
			)
			nav := strings.Join(strings.Fields(p.Text(t, "[data-nav]")), " ")
			if nav != tt.nav {
				t.Errorf("%s sees %q, want %q", tt.role, nav, tt.nav)
			}
			// The sales figures are analytics.view's: the Owner's, not the Viewer's.
			figures := browsertest.Get(t, p, chromedp.Evaluate[string](`(document.querySelector('[data-figure="orders"]') || {}).textContent || "none"`))
			if want := map[string]string{"owner": "1", "viewer": "none"}[tt.role]; figures != want {
				t.Errorf("dashboard's order figure %q, want %q", figures, want)
			}
			if s := p.Text(t, "main"); !strings.Contains(s, "#1") || !strings.Contains(s, "€40.00") {
				t.Errorf("dashboard: %q", s)
			}
			p.NoSeriousViolations(t)
			p.Screenshot(t, "admin-dashboard-"+tt.role)

			// A reload keeps the session: the page refreshes its token.
			p.Open(t, origin+"/admin/#orders")
			p.WaitVisible(t, `[data-section="orders"][aria-current="page"]`)
			p.Click(t, "[data-sign-out]")
			p.WaitVisible(t, "[data-signin-form]")
			p.Open(t, origin+"/admin/")
			p.WaitVisible(t, "[data-signin-form]")
			p.NoProblems(t)
		})
	}
}

// TestBackOfficeEditorFulfilsAnOrder: an Editor finds a paid order in the
// list, opens it, marks it fulfilled with a tracking number and refunds a
// part of it — the order API says so — while a Viewer sees the same order
// with no control to change it.
func TestBackOfficeEditorFulfilsAnOrder(t *testing.T) {
	ts, tn, origin, placed := officeWithOrder(t, "fulfil", 1, "standard")
	host := hostOf(tn)
	owner, _ := ts.member(t, tn, "owner")
	sc := ts.scenarios(host, map[string]string{"owner": owner})
	path := fmt.Sprintf("/api/v1/orders/%d", placed.Order.ID)
	sc.send(t, scenario{as: "owner", method: "PUT", path: path, body: map[string]any{"status": "paid"}, wantStatus: http.StatusOK})

	signIn := func(role string) *browsertest.Page {
		email := role + "@fulfil.test"
		u := ts.user(t, email)
		ts.join(t, tn, u.ID, role)
		p := browsertest.New(t).Page(t, 1440)
		p.Open(t, origin+"/admin/#orders/status=paid")
		p.Run(t,
			chromedp.SetValue(chromedp.CSS("#si-email"), email),
			chromedp.SetValue(chromedp.CSS("#si-password"), testPassword),
			chromedp.Click(chromedp.CSS("[data-signin-form] button")),
			chromedp.WaitVisible(chromedp.CSS("[data-orders]")),
		)
		p.NoSeriousViolations(t)
		p.Click(t, `[data-orders] a[href="#order/`+fmt.Sprint(placed.Order.ID)+`"]`)
		p.WaitVisible(t, "[data-order-status]")
		return p
	}

	viewer := signIn("viewer")
	if n := browsertest.Get(t, viewer, chromedp.Evaluate[int](`document.querySelectorAll("[data-transition], #o-tracking").length`)); n != 0 {
		t.Errorf("a Viewer sees %d controls to change the order", n)
	}
	viewer.NoProblems(t)

	editor := signIn("editor")
	editor.Screenshot(t, "admin-order")
	editor.Run(t, chromedp.SetValue(chromedp.CSS("#o-tracking"), "LU123456789"),
		chromedp.Click(chromedp.CSS("#o-tracking + button")))
	// The notice shows once the order is drawn again with its change.
	editor.WaitVisible(t, "[data-notice]")
	if v := browsertest.Get(t, editor, chromedp.Evaluate[string](`document.getElementById("o-tracking").value`)); v != "LU123456789" {
		t.Errorf("tracking number on the page after saving: %q", v)
	}
	editor.Click(t, `[data-transition="fulfilled"]`)
	// The page is drawn anew after the change: read it in one step, by
	// script, rather than by node (a node may be replaced between steps).
	status := `(document.querySelector("[data-order-status]") || {}).textContent || ""`
	deadline := time.Now().Add(15 * time.Second)
	for browsertest.Get(t, editor, chromedp.Evaluate[string](status)) != "fulfilled" {
		if time.Now().After(deadline) {
			t.Fatalf("status still %q", browsertest.Get(t, editor, chromedp.Evaluate[string](status)))
		}
		time.Sleep(50 * time.Millisecond)
	}
	sc.send(t, scenario{as: "owner", method: "GET", path: path, wantStatus: http.StatusOK,
		want: []string{`"status":"fulfilled"`, `"tracking_number":"LU123456789"`}})

	// A part refunded: the order says how much, its status stays.
	editor.Run(t, chromedp.SetValue(chromedp.CSS("#refund_cents"), "5,00"), chromedp.Click(chromedp.CSS("[data-refund] button[type=submit]")))
	waitText(t, editor, "[data-order-refunded]", "€5.00")
	editor.NoProblems(t)
	sc.send(t, scenario{as: "owner", method: "GET", path: path, wantStatus: http.StatusOK,
		want: []string{`"status":"fulfilled"`, `"refunded_cents":500`}})
}

// TestBackOfficeProducts: the products table searches every language's
// titles and filters by what no longer follows the feed, showing a badge
// per overridden field — keeping the filters in the address, so a reload
// shows the same page.
func TestBackOfficeProducts(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	tn := tenanttest.Tenant(t, db, "catalog")
	_, port, _ := net.SplitHostPort(ts.addr)
	origin := "http://" + hostOf(tn) + ":" + port
	sell(t, db, tn, sale{sku: "SCARF", title: map[string]string{"en": "Wool scarf", "fr": "Écharpe & bonnet"}, price: 2490})
	sell(t, db, tn, sale{sku: "BOOK", title: map[string]string{"en": "Cook book"}, price: 1999})
	if err := db.Tx(context.Background(), tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.Product.Update().Where(entproduct.Sku("SCARF")).SetOverridden([]string{"price"}).Exec(ctx)
	}); err != nil {
		t.Fatal(err)
	}
	u := ts.user(t, "viewer@catalog.test")
	ts.join(t, tn, u.ID, "viewer")
	p := browsertest.New(t).Page(t, 375)
	p.Open(t, origin+"/admin/#products")
	p.Run(t,
		chromedp.SetValue(chromedp.CSS("#si-email"), "viewer@catalog.test"),
		chromedp.SetValue(chromedp.CSS("#si-password"), testPassword),
		chromedp.Click(chromedp.CSS("[data-signin-form] button")),
		chromedp.WaitVisible(chromedp.CSS("[data-products]")),
	)
	// The table is drawn anew after each change of filters: wait for the
	// rows wanted, read in one step by script.
	rows := func(want string) {
		t.Helper()
		js := `[...document.querySelectorAll("[data-product]")].map(r => r.dataset.product).sort().join(" ")`
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			got := browsertest.Get(t, p, chromedp.Evaluate[string](js))
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("products %q, want %q", got, want)
			}
		}
	}
	rows("BOOK SCARF")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#p-q"), "bonnet"), chromedp.Click(chromedp.CSS("[data-products-filter] button")))
	waitURL(t, p, "q=bonnet")
	rows("SCARF") // a French title found
	if b := browsertest.Get(t, p, chromedp.Evaluate[string](`document.querySelector('[data-product="SCARF"] .badge').textContent`)); b != "price overridden" {
		t.Errorf("badge %q", b)
	}
	p.Open(t, origin+"/admin/#products/overridden=false")
	rows("BOOK")
	// Ordered by price, highest first: the order the table shows.
	p.Open(t, origin+"/admin/#products/sort=-price")
	waitEval(t, p, `[...document.querySelectorAll("[data-product]")].map(r => r.dataset.product).join(" ") + " " + document.getElementById("p-sort").value`, "SCARF BOOK -price")
	if w := browsertest.Get(t, p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w != 375 {
		t.Errorf("the page is %d px wide in a 375 px window", w)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-products")
	p.NoProblems(t)
}

// TestBackOfficeByKeyboard: an Owner signs in, opens the orders from the
// menu and marks an order paid with the keyboard alone; every stop of the
// focus is outlined (the body, between two rounds of Tab, aside), and a
// page opened from the menu takes the focus to its content.
func TestBackOfficeByKeyboard(t *testing.T) {
	ts, tn, origin, placed := officeWithOrder(t, "keys", 1, "pickup")
	u := ts.user(t, "owner@keys.test")
	ts.join(t, tn, u.ID, "owner")
	p := browsertest.New(t).Page(t, 1440)
	p.Open(t, origin+"/admin/")
	p.WaitVisible(t, "[data-signin-form]")
	focused := func() string {
		return evalString(t, p, `(() => { const e = document.activeElement, s = getComputedStyle(e);
			return [e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.getAttribute("href") ? "@" + e.getAttribute("href") : "") + (e.dataset.transition ? "=" + e.dataset.transition : ""),
				e === document.body || e.id === "main" || (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) ? "outlined" : "no-outline"].join(" "); })()`)
	}
	// tabTo presses Tab until the focus is on want (each stop outlined).
	tabTo := func(want string) {
		t.Helper()
		var stops []string
		for range 60 {
			p.Run(t, chromedp.KeyEvent(kb.Tab))
			got := focused()
			stops = append(stops, got)
			if !strings.HasSuffix(got, " outlined") {
				t.Errorf("focus on %q shows no outline", got)
			}
			if got == want+" outlined" {
				return
			}
		}
		t.Fatalf("Tab never reached %s: %v", want, stops)
	}
	tabTo("input#si-email")
	p.Run(t, chromedp.KeyEvent("owner@keys.test"))
	tabTo("input#si-password")
	p.Run(t, chromedp.KeyEvent(testPassword), chromedp.KeyEvent(kb.Enter))
	p.WaitVisible(t, "[data-page][data-ready]")
	tabTo("a@#orders")
	p.Run(t, chromedp.KeyEvent(kb.Enter))
	waitEval(t, p, `String(!!document.querySelector('[data-page="orders"][data-ready]') && document.activeElement.id)`, "main")
	tabTo(fmt.Sprintf("a@#order/%d", placed.Order.ID))
	p.Run(t, chromedp.KeyEvent(kb.Enter))
	waitEval(t, p, `String(!!document.querySelector('[data-page="order"][data-ready]'))`, "true")
	tabTo("button=paid")
	p.Run(t, chromedp.KeyEvent(kb.Enter))
	waitText(t, p, "[data-order-status]", "paid")
	p.NoProblems(t)
}

// TestBackOfficeShopSwitcher: a user in two shops' teams finds the other
// shop in the switcher, which opens that shop's back office on its own
// host — where they sign in again (a session's cookies belong to one host:
// one shop's are never sent to another's) and see their role there.
func TestBackOfficeShopSwitcher(t *testing.T) {
	ts, a, origin, _ := officeWithOrder(t, "switch-a", 1, "pickup")
	b := tenanttest.Tenant(t, ts.db, "switch-b")
	u := ts.user(t, "both@switch.test")
	ts.join(t, a, u.ID, "owner")
	ts.join(t, b, u.ID, "viewer")
	p := browsertest.New(t).Page(t, 1440)
	officeSignIn(t, p, origin+"/admin/", "both@switch.test", "[data-page][data-ready]")
	if names := evalString(t, p, `[...document.querySelectorAll("[data-shop-switch] option")].map(o => o.textContent + (o.selected ? "*" : "")).sort().join(" | ")`); names != a.Name+"* | "+b.Name {
		t.Errorf("the switcher offers %q", names)
	}
	p.NoSeriousViolations(t)
	_, port, _ := net.SplitHostPort(ts.addr)
	other := fmt.Sprintf("http://%s:%s/admin/", hostOf(b), port)
	p.Run(t, chromedp.SetValue(chromedp.CSS("[data-shop-switch]"), other)) // its change event opens the shop
	waitURL(t, p, hostOf(b))
	p.WaitVisible(t, "[data-signin-form]")
	officeSignIn(t, p, other, "both@switch.test", "[data-page][data-ready]")
	if who := p.Text(t, "[data-who-name]"); who != "both@switch.test · Viewer" {
		t.Errorf("in the other shop: %q", who)
	}
	p.NoProblems(t)
}

// TestBackOfficeOrdersSearch: the orders list searches by e-mail and
// filters by dates, the filters kept in the address (a reload keeps them)
// and the next page following them.
func TestBackOfficeOrdersSearch(t *testing.T) {
	ts, tn, origin, _ := officeWithOrder(t, "ordersearch", 1, "pickup")
	book := sell(t, ts.db, tn, sale{sku: "BOOK2", price: 1500})
	for _, email := range []string{"ben@example.lu", "bea@example.lu", "bob@example.lu"} {
		shopper := ts.browser(hostOf(tn))
		shopper.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": book, "quantity": 1})
		shopper.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody(email, "pickup", "bank_transfer"))
	}
	u := ts.user(t, "viewer@ordersearch.test")
	ts.join(t, tn, u.ID, "viewer")
	p := browsertest.New(t).Page(t, 375)
	officeSignIn(t, p, origin+"/admin/#orders", "viewer@ordersearch.test", "[data-orders]")
	rows := `[...document.querySelectorAll("[data-orders] tbody tr")].map(r => r.cells[2].textContent).sort().join(" ")`
	waitEval(t, p, rows, "Anna Muller Anna Muller Anna Muller Anna Muller") // the billing name of every order
	p.Run(t, chromedp.SetValue(chromedp.CSS("#o-q"), "bea@"), chromedp.Click(chromedp.CSS("[data-orders-filter] button")))
	waitURL(t, p, "q=bea%40")
	waitEval(t, p, `[...document.querySelectorAll("[data-orders] tbody tr a")].map(a => a.textContent).join(" ")`, "#3")
	// Orders placed today, asked for up to yesterday: none.
	yesterday := time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	p.Open(t, origin+"/admin/#orders/to="+yesterday)
	waitEval(t, p, `String(!!document.querySelector('[data-page="orders"][data-ready]') && document.querySelector('[data-page="orders"]').textContent.includes("No orders match."))`, "true")
	if v := evalString(t, p, `document.getElementById("o-to").value`); v != yesterday {
		t.Errorf("the date filter drawn as %q, want %q", v, yesterday)
	}
	p.NoSeriousViolations(t)
	p.NoProblems(t)
}
