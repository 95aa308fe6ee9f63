package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// adminVendor is a vendor as the admin API answers it.
type adminVendor struct {
	ID              int    `json:"id"`
	Slug            string `json:"slug"`
	Name            string `json:"name"`
	URL             string `json:"url"`
	Status          string `json:"status"`
	SuspendedReason string `json:"suspended_reason"`
	BusinessCity    string `json:"business_city"`
	BusinessCountry string `json:"business_country"`
	Figures         struct {
		Members int `json:"members"`
	} `json:"figures"`
}

// superAdmin makes a platform super admin and signs them in on the admin
// site.
func (ts *testServer) superAdmin(t *testing.T, email string) string {
	t.Helper()
	if _, err := ts.ids.CreateUser(context.Background(), identity.NewUser{
		Email: email, FirstName: "Platform", LastName: "Admin", Password: testPassword, SuperAdmin: true,
	}); err != nil {
		t.Fatal(err)
	}
	return ts.login(t, "admin."+base, email).access
}

// TestOnboardingEndToEnd: a super admin creates a vendor with a new Owner;
// the invitation mail arrives; the Owner registers from its link, signs in
// on the new shop and invites a Manager — nobody ran a command.
func TestOnboardingEndToEnd(t *testing.T) {
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr})
	slug := tenanttest.Slug("onboard")
	at := "@" + slug + ".test"
	admin := ts.scenarios("admin."+base, map[string]string{"root": ts.superAdmin(t, "root"+at)})

	r := admin.send(t, scenario{name: "create", as: "root", method: "POST", path: "/api/v1/admin/vendors",
		body: map[string]any{
			"name": "Onboarded Shop", "subdomain": slug, "business_city": "Esch-sur-Alzette", "business_country": "LU",
			"owner": map[string]any{"email": "Olga" + strings.ToUpper(at), "first_name": "Olga", "last_name": "Owner"},
			"feeds": map[string]any{"fr": "https://letzshop.example/" + slug + "/fr.csv"},
		},
		wantStatus: http.StatusCreated, want: []string{`"outcome":"invited"`, `"email":"olga` + at + `"`}})
	var created struct {
		Vendor adminVendor `json:"vendor"`
	}
	r.decode(t, &created)
	v := created.Vendor
	if v.Slug != slug || v.Status != "active" || v.BusinessCity != "Esch-sur-Alzette" || v.URL != "http://"+base+"/vendor/"+slug+"/" {
		t.Fatalf("created %+v", v)
	}
	t.Cleanup(func() {
		_ = db.Delete(context.Background(), slug)
	})
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/admin/vendors/%d", v.ID) {
		t.Errorf("Location %q", loc)
	}

	ts.flushMail(t)
	got := smtp.To("olga" + at)
	if len(got) != 1 || !strings.Contains(got[0].Body, "Hello Olga,") || strings.Contains(strings.ToLower(got[0].Body), "password:") {
		t.Fatalf("owner invitation: %+v", got)
	}
	page, token := ts.follow(t, got[0].Link())
	if page.status != http.StatusOK || token == "" {
		t.Fatalf("invitation page: %d %s", page.status, page.body)
	}
	shopHost := slug + "." + base
	shop := ts.scenarios(shopHost, map[string]string{})
	reg := shop.send(t, scenario{name: "register", method: "POST", path: "/api/v1/auth/register",
		body:       map[string]any{"token": token, "password": "a long owner password", "first_name": "Olga", "last_name": "Owner", "refresh_in_body": true},
		wantStatus: http.StatusCreated, want: []string{`"name":"Owner"`}})
	var acc sessionResponse
	reg.decode(t, &acc)
	sess := ts.loginWith(t, shopHost, "olga"+at, "a long owner password")
	var signedIn sessionResponse
	sess.decode(t, &signedIn)
	shop.as["owner"] = signedIn.AccessToken
	shop.send(t, scenario{name: "owner invites a Manager", as: "owner", method: "POST", path: "/api/v1/teams/invite",
		body: map[string]any{"email": "manager" + at, "role": "manager"}, wantStatus: http.StatusCreated})
	shop.send(t, scenario{name: "the feeds were configured", as: "owner", method: "GET", path: "/api/v1/marketplace/config",
		wantStatus: http.StatusOK, want: []string{`"language":"fr"`, slug + `/fr.csv`, `"schedule":"daily"`, `"active":true`}})

	shop.send(t, scenario{name: "owner adds a product", as: "owner", method: "POST", path: "/api/v1/products",
		body:       map[string]any{"sku": "FIRST", "title": map[string]string{"fr": "Premier"}, "price_cents": 1000},
		wantStatus: http.StatusCreated})
	admin.send(t, scenario{name: "the list shows the vendor with its Owner and product", as: "root", method: "GET",
		path: "/api/v1/admin/vendors?q=" + slug, wantStatus: http.StatusOK,
		want: []string{`"slug":"` + slug + `"`, `"members":1`, `"products":1`, `"last_import":null`}})
	trail := admin.send(t, scenario{name: "audit", as: "root", method: "GET", path: "/api/v1/admin/audit?limit=50", wantStatus: http.StatusOK})
	for _, action := range []string{"vendor.create", "vendor.owner_grant"} {
		if !strings.Contains(string(trail.body), `"action":"`+action+`"`) {
			t.Errorf("no %s in the platform trail: %s", action, trail.body)
		}
	}
}

// TestAdminVendors: the super admin's vendor CRUD — every refusal named,
// an existing account made Owner at once, edits and status changes
// audited with what changed, delete only with the slug typed back.
func TestAdminVendors(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	slug := tenanttest.Slug("admv")
	at := "@" + slug + ".test"
	admin := ts.scenarios("admin."+base, map[string]string{"root": ts.superAdmin(t, "root"+at)})
	existing := ts.user(t, "existing"+at)
	taken := tenanttest.Tenant(t, db, "admv-taken")

	admin.run(t, false, []scenario{
		{name: "EveryProblemNamed", as: "root", method: "POST", path: "/api/v1/admin/vendors",
			body: map[string]any{"name": " ", "subdomain": "Bad_Slug", "business_email": "nope", "business_country": "Luxembourg",
				"owner": map[string]any{"email": "not an address"}, "feeds": map[string]any{"fr": "ftp://x/y.csv", "xx1": "https://a.example/b.csv"}},
			wantStatus: http.StatusBadRequest, check: func(t testing.TB, r *resp) {
				fields := authFields(t, r)
				for _, f := range []string{"name", "subdomain", "business_email", "business_country", "owner.email", "feeds.fr", "feeds.xx1 (language)"} {
					if fields[f] == "" {
						t.Errorf("%s not named: %s", f, r.body)
					}
				}
			}},
		{name: "SlugTaken", as: "root", method: "POST", path: "/api/v1/admin/vendors",
			body: map[string]any{"name": "Again", "subdomain": taken.Slug}, wantStatus: http.StatusConflict},
		{name: "ReservedSlug", as: "root", method: "POST", path: "/api/v1/admin/vendors",
			body: map[string]any{"name": "Admin", "subdomain": "admin"}, wantStatus: http.StatusBadRequest, check: wantField("subdomain")},
	})

	r := admin.send(t, scenario{name: "create for an existing account", as: "root", method: "POST", path: "/api/v1/admin/vendors",
		body:       map[string]any{"name": "Admin Vendor", "subdomain": slug, "owner": map[string]any{"email": "Existing" + at}},
		wantStatus: http.StatusCreated, want: []string{`"outcome":"member"`}})
	var created struct {
		Vendor adminVendor `json:"vendor"`
	}
	r.decode(t, &created)
	id := created.Vendor.ID
	t.Cleanup(func() { _ = db.Delete(context.Background(), slug) })
	path := fmt.Sprintf("/api/v1/admin/vendors/%d", id)
	owner := ts.login(t, slug+"."+base, existing.Email).access
	admin.as["owner"] = owner

	admin.run(t, true, []scenario{
		{name: "OwnerAtOnce", as: "owner", method: "GET", path: "/api/v1/auth/me", host: slug + "." + base,
			wantStatus: http.StatusOK, want: []string{`"name":"Owner"`}},
		{name: "OwnerAgainUnchanged", as: "root", method: "POST", path: path + "/owner", body: map[string]any{"email": existing.Email},
			wantStatus: http.StatusOK, want: []string{`"outcome":"unchanged"`}},
		{name: "OwnerBadEmail", as: "root", method: "POST", path: path + "/owner", body: map[string]any{"email": "x"},
			wantStatus: http.StatusBadRequest, check: wantField("email")},
		{name: "Get", as: "root", method: "GET", path: path, wantStatus: http.StatusOK, want: []string{`"members":1`, `"status":"active"`}},
		{name: "Members", as: "root", method: "GET", path: path + "/members", wantStatus: http.StatusOK,
			want: []string{`"email":"existing` + at + `"`, `"name":"Owner"`}},
		{name: "GetUnknown", as: "root", method: "GET", path: "/api/v1/admin/vendors/999999999", wantStatus: http.StatusNotFound},
		{name: "Edit", as: "root", method: "PUT", path: path, body: map[string]any{"name": "Renamed Vendor", "business_city": "Luxembourg"},
			wantStatus: http.StatusOK, want: []string{`"name":"Renamed Vendor"`, `"business_city":"Luxembourg"`}},
		{name: "EditRefused", as: "root", method: "PUT", path: path, body: map[string]any{"name": "", "business_country": "lu"},
			wantStatus: http.StatusBadRequest, check: wantField("business_country")},
		{name: "EditUnknownCountry", as: "root", method: "PUT", path: path, body: map[string]any{"business_country": "XX"},
			wantStatus: http.StatusBadRequest, check: wantField("business_country", "ISO 3166-1")},
		{name: "SuspendNeedsReason", as: "root", method: "POST", path: path + "/suspend", body: map[string]any{},
			wantStatus: http.StatusBadRequest, check: wantField("reason", "required")},
		{name: "Suspend", as: "root", method: "POST", path: path + "/suspend", body: map[string]any{"reason": "unpaid invoice"},
			wantStatus: http.StatusOK, want: []string{`"status":"suspended"`, `"suspended_reason":"unpaid invoice"`}},
		{name: "SuspendedShopDoesNotServe", method: "GET", path: "/api/v1/shop/products", host: slug + "." + base,
			wantStatus: http.StatusForbidden, wantCode: "vendor_suspended"},
		{name: "ListSuspended", as: "root", method: "GET", path: "/api/v1/admin/vendors?status=suspended&q=" + slug,
			wantStatus: http.StatusOK, want: []string{`"slug":"` + slug + `"`}},
		{name: "Resume", as: "root", method: "POST", path: path + "/resume", wantStatus: http.StatusOK, want: []string{`"status":"active"`}},
		{name: "DeleteNeedsTheSlug", as: "root", method: "DELETE", path: path + "?confirm=" + fmt.Sprint(id),
			wantStatus: http.StatusBadRequest, wantCode: "confirmation_required"},
		{name: "StillThere", as: "root", method: "GET", path: path, wantStatus: http.StatusOK},
		{name: "Delete", as: "root", method: "DELETE", path: path + "?confirm=" + slug, wantStatus: http.StatusNoContent},
		{name: "Gone", as: "root", method: "GET", path: path, wantStatus: http.StatusNotFound},
	})

	trail := admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/audit?limit=100", wantStatus: http.StatusOK})
	var events struct {
		Items []struct {
			Action   string         `json:"action"`
			VendorID int            `json:"vendor_id"`
			Before   map[string]any `json:"before"`
			After    map[string]any `json:"after"`
			IP       string         `json:"ip"`
		} `json:"items"`
	}
	trail.decode(t, &events)
	seen := map[string]bool{}
	for _, e := range events.Items {
		if e.VendorID != id {
			continue
		}
		seen[e.Action] = true
		if e.IP == "" {
			t.Errorf("%s without the address", e.Action)
		}
		if e.Action == "vendor.update" && (fmt.Sprint(e.Before) != "map[business_city: name:Admin Vendor]" ||
			fmt.Sprint(e.After) != "map[business_city:Luxembourg name:Renamed Vendor]") {
			t.Errorf("update recorded %v → %v, want only what changed", e.Before, e.After)
		}
	}
	for _, a := range []string{"vendor.create", "vendor.owner_grant", "vendor.update", "vendor.suspend", "vendor.resume", "vendor.delete"} {
		if !seen[a] {
			t.Errorf("no %s for vendor %d in the trail", a, id)
		}
	}
}

// TestAdminVendorList: the list's search, filter, sorts and pages.
func TestAdminVendorList(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	prefix := tenanttest.Slug("lst")
	admin := ts.scenarios("admin."+base, map[string]string{"root": ts.superAdmin(t, "root@"+prefix+".test")})
	names := []string{"Cherry", "Apple", "Banana", "Date", "Elder"} // one case: the order of names is the database's collation
	for i, n := range names {
		admin.send(t, scenario{as: "root", method: "POST", path: "/api/v1/admin/vendors",
			body:       map[string]any{"name": n + " " + prefix, "subdomain": fmt.Sprintf("%s-%d", prefix, i), "business_email": n + "@" + prefix + ".test"},
			wantStatus: http.StatusCreated})
		slug := fmt.Sprintf("%s-%d", prefix, i)
		t.Cleanup(func() { _ = db.Delete(context.Background(), slug) })
	}
	for _, sort := range []string{"name", "-name", "slug", "-slug", "created", "-created"} {
		t.Run("Sort"+sort, func(t *testing.T) {
			var all []adminVendor
			cursor := ""
			for pages := 0; ; pages++ {
				r := admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/vendors?limit=2&q=" + prefix + "&sort=" + sort + "&cursor=" + cursor, wantStatus: http.StatusOK})
				var pg struct {
					Items      []adminVendor `json:"items"`
					NextCursor string        `json:"next_cursor"`
				}
				r.decode(t, &pg)
				all = append(all, pg.Items...)
				if pg.NextCursor == "" || pages > 5 {
					break
				}
				cursor = pg.NextCursor
			}
			if len(all) != len(names) {
				t.Fatalf("paged %d vendors, want %d", len(all), len(names))
			}
			key := func(v adminVendor) string {
				switch strings.TrimPrefix(sort, "-") {
				case "name":
					return v.Name
				case "slug":
					return v.Slug
				}
				return fmt.Sprintf("%012d", v.ID) // created in id order
			}
			for i := 1; i < len(all); i++ {
				a, b := key(all[i-1]), key(all[i])
				if strings.HasPrefix(sort, "-") {
					a, b = b, a
				}
				if a >= b {
					t.Errorf("%s then %s in sort %s", key(all[i-1]), key(all[i]), sort)
				}
			}
		})
	}
	admin.run(t, false, []scenario{
		{name: "SearchByBusinessEmail", as: "root", method: "GET", path: "/api/v1/admin/vendors?q=banana@" + prefix,
			wantStatus: http.StatusOK, want: []string{`"name":"Banana ` + prefix + `"`}, wantNot: []string{"Cherry"}},
		{name: "BadSort", as: "root", method: "GET", path: "/api/v1/admin/vendors?sort=price", wantStatus: http.StatusBadRequest, check: wantField("sort")},
		{name: "BadStatus", as: "root", method: "GET", path: "/api/v1/admin/vendors?status=gone", wantStatus: http.StatusBadRequest, check: wantField("status")},
		{name: "CursorOfAnotherSort", as: "root", method: "GET", path: "/api/v1/admin/vendors?sort=slug&cursor=" + nextCursorOf(t, admin, "/api/v1/admin/vendors?limit=1&sort=name&q="+prefix),
			wantStatus: http.StatusBadRequest, check: wantField("cursor")},
	})
}

func nextCursorOf(t *testing.T, sr scenarioRunner, path string) string {
	t.Helper()
	r := sr.send(t, scenario{as: "root", method: "GET", path: path, wantStatus: http.StatusOK})
	var pg struct {
		NextCursor string `json:"next_cursor"`
	}
	r.decode(t, &pg)
	if pg.NextCursor == "" {
		t.Fatalf("%s: no next page", path)
	}
	return pg.NextCursor
}
