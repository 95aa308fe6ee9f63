package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestCustomerRealms: a customer's session and a team member's token each
// grant nothing on the other's routes, a shop's customers and their
// sessions are its own, and the shop's account takes changes only from its
// own pages.
func TestCustomerRealms(t *testing.T) {
	db := tenanttest.Open(t)
	a := tenanttest.Tenant(t, db, "realm-a")
	b := tenanttest.Tenant(t, db, "realm-b")
	ts := startServer(t, db, defaultOptions(), nil)
	ownerEmail := "owner@" + a.Slug + ".test"
	ts.join(t, a, ts.user(t, ownerEmail).ID, "owner")
	sc := ts.scenarios(hostOf(a), map[string]string{"owner": ts.login(t, hostOf(a), ownerEmail).access})

	// One e-mail, two shops, two customers: each shop's password is its own.
	email := "both@" + a.Slug + ".test"
	ofA := registerCustomer(t, ts, hostOf(a), email)
	rb := ts.do(t, req{method: "POST", host: hostOf(b), path: accountPath + "/register",
		body: map[string]any{"email": email, "password": "shop b's own passphrase", "first_name": "Bee", "last_name": "B"}})
	if rb.status != http.StatusCreated {
		t.Fatalf("the same e-mail in shop B: %d %s", rb.status, rb.body)
	}
	ofB := rb.cookie(customerCookie)

	me := accountPath + "/me"
	sc.run(t, false, []scenario{
		{name: "CustomerCookieIsNoTeamMember", method: "GET", path: "/api/v1/teams/members", cookies: cookies(ofA),
			wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
		{name: "CustomerCookieListsNoCustomers", method: "GET", path: "/api/v1/customers", cookies: cookies(ofA),
			wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
		{name: "CustomerCookieIsNoPlatformAccount", method: "GET", path: "/api/v1/auth/me", cookies: cookies(ofA),
			wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
		{name: "OwnerTokenIsNoCustomer", as: "owner", method: "GET", path: me,
			wantStatus: http.StatusUnauthorized, wantCode: "customer_unauthenticated"},
		{name: "OwnerTokenChangesNoCustomer", as: "owner", method: "PUT", path: me, body: map[string]any{"first_name": "Mallory"},
			wantStatus: http.StatusUnauthorized, wantCode: "customer_unauthenticated"},
		{name: "OwnerTokenSeesTheCustomers", as: "owner", method: "GET", path: "/api/v1/customers", wantStatus: http.StatusOK, want: []string{email}},
		{name: "ShopAsCookieOnShopB", host: hostOf(b), method: "GET", path: me, cookies: cookies(ofA),
			wantStatus: http.StatusUnauthorized, wantCode: "customer_unauthenticated"},
		{name: "ShopAsCookieBrowsesShopBAnonymously", host: hostOf(b), method: "GET", path: "/api/v1/shop/products", cookies: cookies(ofA),
			wantStatus: http.StatusOK},
		{name: "ShopBsCookieOnShopB", host: hostOf(b), method: "GET", path: me, cookies: cookies(ofB), wantStatus: http.StatusOK,
			want: []string{`"first_name":"Bee"`}},
		{name: "ShopBsPasswordIsNotShopAs", method: "POST", path: accountPath + "/login",
			body: map[string]any{"email": email, "password": "shop b's own passphrase"}, wantStatus: http.StatusUnauthorized},
		{name: "ShopAsPasswordIsNotShopBs", host: hostOf(b), method: "POST", path: accountPath + "/login",
			body: map[string]any{"email": email, "password": customerPass}, wantStatus: http.StatusUnauthorized},
	})

	// Changes come from the shop's own pages: browsers say where a request
	// comes from, and a sibling shop is another origin.
	login := map[string]any{"email": email, "password": customerPass}
	cross := func(name string, header map[string]string, want int, code string) scenario {
		return scenario{name: name, method: "POST", path: accountPath + "/login", body: login, header: header, wantStatus: want, wantCode: code}
	}
	sc.run(t, false, []scenario{
		cross("OriginOfAnotherSite", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, "cross_site"),
		cross("OriginOfASiblingShop", map[string]string{"Origin": "http://" + hostOf(b)}, http.StatusForbidden, "cross_site"),
		cross("SecFetchSiteCrossSite", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "cross_site"),
		cross("SecFetchSiteSameSite", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden, "cross_site"),
		cross("OwnOrigin", map[string]string{"Origin": "http://" + hostOf(a), "Sec-Fetch-Site": "same-origin"}, http.StatusOK, ""),
		{name: "CrossSiteLogoutRefused", method: "POST", path: accountPath + "/logout", cookies: cookies(ofA),
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, wantStatus: http.StatusForbidden, wantCode: "cross_site"},
		{name: "CrossSiteProfileChangeRefused", method: "PUT", path: me, cookies: cookies(ofA), body: map[string]any{"first_name": "Mallory"},
			header: map[string]string{"Origin": "https://evil.example"}, wantStatus: http.StatusForbidden, wantCode: "cross_site"},
		{name: "ReadsMayComeFromAnywhere", method: "GET", path: me, cookies: cookies(ofA),
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, wantStatus: http.StatusOK, want: []string{`"first_name":"Shop"`}},
	})

	// Under path routing a shop's cookie is scoped to its own path.
	r := ts.do(t, req{method: "POST", host: base, path: "/vendor/" + a.Slug + accountPath + "/login", body: login})
	if c := r.cookie(customerCookie); r.status != http.StatusOK || c == nil || c.Path != "/vendor/"+a.Slug+"/" {
		t.Errorf("sign-in under path routing: %d, cookie %+v, want Path=/vendor/%s/", r.status, c, a.Slug)
	}
}

// TestTeamCustomers: the team lists, reads and corrects the shop's
// customers — accounts and guests — with orders.view and orders.edit, and
// every correction is in the shop's audit trail.
func TestTeamCustomers(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "teamcust")
	ts := startServer(t, db, defaultOptions(), nil)
	host := hostOf(shop)
	as := map[string]string{}
	for _, role := range []string{"owner", "editor", "viewer"} {
		email := role + "@" + shop.Slug + ".test"
		ts.join(t, shop, ts.user(t, email).ID, role)
		as[role] = ts.login(t, host, email).access
	}
	sc := ts.scenarios(host, as)

	// A guest's checkout, then an account of the guest's e-mail: one row.
	guestID := 0
	if err := db.Tx(context.Background(), shop, func(ctx context.Context) error {
		var err error
		if guestID, err = ts.customers.Guest(ctx, "Gail@"+shop.Slug+".test", "Gail", "Guest"); err != nil {
			return err
		}
		_, err = ts.customers.Guest(ctx, "walk-in@"+shop.Slug+".test", "Walter", "Inn")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	registerCustomer(t, ts, host, "gail@"+shop.Slug+".test")
	registerCustomer(t, ts, host, "zed@"+shop.Slug+".test")
	id := fmt.Sprintf("/api/v1/customers/%d", guestID)

	list := func(t testing.TB, query string) page.Page[customer.Summary] {
		r := sc.send(t, scenario{as: "viewer", method: "GET", path: "/api/v1/customers" + query, wantStatus: http.StatusOK})
		var out page.Page[customer.Summary]
		r.decode(t, &out)
		return out
	}
	all := list(t, "")
	if len(all.Items) != 3 || all.Items[0].Email != "zed@"+shop.Slug+".test" || all.Items[1].LastName != "Inn" || all.Items[2].ID != guestID {
		t.Fatalf("the list, newest first: %+v", all.Items)
	}
	if all.Items[1].HasAccount || !all.Items[2].HasAccount || all.Items[2].FirstName != "Shop" {
		t.Errorf("the guest walked in stays a guest, the registered guest took the registration's names: %+v", all.Items)
	}
	if got := list(t, "?q=INN"); len(got.Items) != 1 || got.Items[0].LastName != "Inn" {
		t.Errorf("?q=INN (a last name, any case): %+v", got.Items)
	}
	if got := list(t, "?q=gail%40"); len(got.Items) != 1 || got.Items[0].ID != guestID {
		t.Errorf("?q=gail@ (a part of an e-mail): %+v", got.Items)
	}
	p1 := list(t, "?limit=2")
	p2 := list(t, "?limit=2&cursor="+url.QueryEscape(p1.NextCursor))
	if len(p1.Items) != 2 || len(p2.Items) != 1 || p2.NextCursor != "" || p2.Items[0].ID != guestID {
		t.Errorf("pages of two: %+v then %+v", p1, p2)
	}

	trail := func() []audit.Event {
		r := sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/audit?limit=500", wantStatus: http.StatusOK})
		var out page.Page[audit.Event]
		r.decode(t, &out)
		var events []audit.Event
		for _, e := range out.Items {
			if e.Action == "customer.update" {
				events = append(events, e)
			}
		}
		return events
	}
	address := map[string]any{"name": "Gail Guest", "line1": "2 Grand-Rue", "postal_code": "L-1724", "city": "Luxembourg", "country": "LU"}
	sc.run(t, true, []scenario{
		{name: "ViewerReadsOne", as: "viewer", method: "GET", path: id, wantStatus: http.StatusOK,
			want: []string{`"has_account":true`, `"email":"gail@`}, wantNot: []string{"password", "hash", "token"}},
		{name: "ViewerMayNotCorrect", as: "viewer", method: "PUT", path: id, body: map[string]any{"phone": "+352 123 456"},
			wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "BadCorrectionNamesEveryField", as: "editor", method: "PUT", path: id,
			body:       map[string]any{"first_name": "", "phone": "x", "addresses": []map[string]any{{"name": "G", "country": "Luxembourg"}}},
			wantStatus: http.StatusBadRequest, check: func(t testing.TB, r *resp) {
				for _, f := range []string{"first_name", "phone", "addresses[0].country", "addresses[0].line1", "addresses[0].city", "addresses[0].postal_code"} {
					wantField(f)(t, r)
				}
			}},
		{name: "LanguageIsTheCustomersOwn", as: "editor", method: "PUT", path: id, body: map[string]any{"language": "en"},
			wantStatus: http.StatusBadRequest, check: wantField("language", "not a known field")},
		{name: "EditorCorrects", as: "editor", method: "PUT", path: id,
			body:       map[string]any{"phone": "+352 123 456", "addresses": []map[string]any{address}},
			wantStatus: http.StatusOK, want: []string{`"phone":"+352 123 456"`, `"postal_code":"L-1724"`}},
		{name: "UnknownCustomer", as: "editor", method: "PUT", path: "/api/v1/customers/999999", body: map[string]any{},
			wantStatus: http.StatusNotFound},
	})
	events := trail()
	if len(events) != 1 {
		t.Fatalf("%d customer.update events, want 1: %+v", len(events), events)
	}
	e := events[0]
	if e.ActorEmail != "editor@"+shop.Slug+".test" || e.TargetType != "customer" || e.TargetID != fmt.Sprint(guestID) ||
		e.Before["phone"] != "" || e.After["phone"] != "+352 123 456" || e.After["addresses"] == nil || e.Before["first_name"] != nil ||
		e.IP == "" || e.RequestID == "" {
		t.Errorf("the event: %+v", e)
	}
	sc.send(t, scenario{name: "SameAgainChangesNothing", as: "editor", method: "PUT", path: id,
		body: map[string]any{"phone": " +352 123 456 ", "addresses": []map[string]any{address}}, wantStatus: http.StatusOK})
	if n := len(trail()); n != 1 {
		t.Errorf("a correction that changes nothing was recorded: %d events", n)
	}
	if !strings.Contains(string(sc.send(t, scenario{as: "viewer", method: "GET", path: "/api/v1/customers?q=" + strings.Repeat("q", 255),
		wantStatus: http.StatusBadRequest}).body), `"q"`) {
		t.Error("a q of 255 bytes is not named")
	}
}
