package web

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestShopAnalytics: the figures follow the orders — a cancellation takes
// its order out, a refund its amount, abandoned carts count against the
// conversion — and only a holder of analytics.view reads them.
func TestShopAnalytics(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, db, "figures")
	host := hostOf(shop)
	tea := sell(t, db, shop, sale{sku: "TEA", price: 450})
	pot := sell(t, db, shop, sale{sku: "POT", price: 3000})
	owner, _ := ts.member(t, shop, "owner")
	editor, _ := ts.member(t, shop, "editor")
	buy := func(lines map[int]int) placedOrder {
		b := ts.browser(host)
		for id, q := range lines {
			b.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": id, "quantity": q})
		}
		var po placedOrder
		b.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody("f@example.lu", "pickup", "bank_transfer")).decode(t, &po)
		return po
	}
	o1 := buy(map[int]int{tea: 4})                                                                                               // 18.00
	o2 := buy(map[int]int{tea: 1, pot: 1})                                                                                       // 34.50
	o3 := buy(map[int]int{pot: 2})                                                                                               // 60.00, cancelled below
	ts.browser(host).must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": tea, "quantity": 1}) // abandoned
	put := func(id int, body map[string]any) {
		if r := ts.do(t, req{method: "PUT", host: host, path: fmt.Sprintf("/api/v1/orders/%d", id), token: owner, body: body}); r.status != http.StatusOK {
			t.Fatalf("PUT order %d %v: %d %s", id, body, r.status, r.body)
		}
	}
	put(o3.Order.ID, map[string]any{"status": "cancelled"})
	put(o2.Order.ID, map[string]any{"status": "paid"})
	put(o2.Order.ID, map[string]any{"refund_cents": 500})
	_ = o1

	today := time.Now().In(mustLux(t)).Format(time.DateOnly)
	var a order.Analytics
	r := ts.do(t, req{method: "GET", host: host, path: "/api/v1/analytics?from=" + today + "&to=" + today, token: owner})
	if r.status != http.StatusOK {
		t.Fatalf("analytics: %d %s", r.status, r.body)
	}
	r.decode(t, &a)
	want := order.Figures{RevenueCents: 1800 + 3450 - 500, Orders: 2, Units: 6, Carts: 4}
	want.AverageOrderValueCents = want.RevenueCents / 2
	want.Conversion = 0.5
	if a.Totals != want {
		t.Errorf("totals %+v, want %+v", a.Totals, want)
	}
	if len(a.Series) != 1 || a.Series[0].Figures != want {
		t.Errorf("series %+v", a.Series)
	}
	if len(a.TopProducts) != 2 || a.TopProducts[0].SKU != "POT" || a.TopProducts[0].Units != 1 || a.TopProducts[1].SKU != "TEA" || a.TopProducts[1].Units != 5 {
		t.Errorf("top products %+v", a.TopProducts)
	}
	r = ts.do(t, req{method: "GET", host: host, path: "/api/v1/analytics?interval=month&from=2026-01-01&to=" + today, token: owner})
	r.decode(t, &a)
	if r.status != http.StatusOK || a.Series[0].Start != "2026-01-01" || a.Totals.Orders != 2 {
		t.Errorf("by month: %d %+v", r.status, a)
	}
	sc := ts.scenarios(host, map[string]string{"owner": owner, "editor": editor})
	for _, s := range []scenario{
		{name: "an Editor has no analytics.view", as: "editor", method: "GET", path: "/api/v1/analytics", wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "a bad interval and date named", as: "owner", method: "GET", path: "/api/v1/analytics?interval=year&from=yesterday",
			wantStatus: http.StatusBadRequest, want: []string{`"interval"`, `"from"`}},
		{name: "to before from", as: "owner", method: "GET", path: "/api/v1/analytics?from=2026-02-01&to=2026-01-01", wantStatus: http.StatusBadRequest, want: []string{`"to"`}},
		{name: "over three years", as: "owner", method: "GET", path: "/api/v1/analytics?from=2020-01-01&to=2026-01-01", wantStatus: http.StatusBadRequest, want: []string{`"from"`}},
	} {
		t.Run(s.name, func(t *testing.T) { sc.send(t, s) })
	}
}

func mustLux(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Europe/Luxembourg")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
