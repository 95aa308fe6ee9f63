package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bazaar/bazaar/internal/browsertest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestBackOfficeSignInAndRoles: a team member signs in at /admin/ on the
// shop's host and sees the sections their role opens — an Owner every one,
// a Viewer no team, settings or audit — with the dashboard's figures read
// from the API; a reload keeps them signed in (the refresh cookie), signing
// out ends it.
func TestBackOfficeSignInAndRoles(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	tn := tenanttest.Tenant(t, db, "office")
	if err := db.Platform().Vendor.UpdateOneID(tn.ID).SetName("Office Shop").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	host := hostOf(tn)
	_, port, _ := net.SplitHostPort(ts.addr)
	origin := "http://" + host + ":" + port
	book := sell(t, db, tn, sale{sku: "BOOK", price: 2000})
	shopper := ts.browser(host)
	shopper.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": book, "quantity": 2})
	shopper.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody("ann@example.lu", "pickup", "bank_transfer"))

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
