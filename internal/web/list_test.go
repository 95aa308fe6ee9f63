package web

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/tenant/importchange"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// Every list endpoint answers {"items": [...], "next_cursor": "..."}, takes
// limit and cursor, and refuses a bad one of either with a 400 naming it.
// These tests walk every list route of every site; TestListRoutesAreKnown
// fails for a GET route nobody has said is or is not a list.

// notLists are the GET routes that are not listings: one item, a download, a
// page.
var notLists = []string{
	"/", "/reset-password", "/accept-invite", "/dev/mails",
	"/api/v1/auth/me",
	"/api/v1/products/:id",
	"/api/v1/marketplace/config",
	"/api/v1/marketplace/imports/:id",
	"/api/v1/marketplace/imports/:id/errors.csv", // streamed CSV, every refused line
	"/api/v1/marketplace/products/:id",
	"/api/v1/admin/vendors/:id",
	"/api/v1/admin/vendors/bulk-imports/:id",
	"/api/v1/admin/vendors/bulk-imports/:id/report.csv",
	"/api/v1/admin/audit/export", // streamed CSV, the filtered trail
	"/api/v1/admin/users/:id",
	"/api/v1/admin/users/password-resets/:id",
	"/api/v1/settings",
	"/api/v1/settings/payments",
	"/api/v1/settings/domains", // a shop's custom domains, whole: at most tenant.max_custom_domains
	"/api/v1/shop/account/me", "/account/reset-password",
	// The shop front's pages (the product list is a page of the shop, with
	// its own paging links; its API twin /api/v1/shop/products is a list).
	"/products", "/products/:id", "/cart", "/checkout", "/orders/:number", "/account", "/sitemap.xml", "/robots.txt", "/theme/:file",
	"/admin", "/", // the back offices' pages (a shop's team's; the super admins')
	"/api/v1/customers/:id",
	"/api/v1/admin/system/health",    // one report
	"/api/v1/admin/system/analytics", // one report over a range of days
	"/api/v1/shop/cart", "/api/v1/shop/checkout/options", "/api/v1/shop/account/orders/:number",
	"/api/v1/orders/:id", "/api/v1/settings/shipping",
	"/api/v1/analytics", // one report over a range of days
}

// listRoute is a list endpoint of the fixture, with what the tests need of
// it.
type listRoute struct {
	route   string // the route table's path
	family  string // lists sharing one cursor (one listing, filtered differently)
	host    string
	path    string // with the fixture's ids and filters
	token   string
	cookies []*http.Cookie // a shop customer's session, for their own lists
	max     int            // the list's largest limit
	old     string         // the paging parameter it read before cursors, if any
}

// listFixture is a shop, and the platform's trail, in which every list holds
// more rows than a page of two.
type listFixture struct {
	ts           *testServer
	host         string
	jobA, jobB   int // jobA has five rows of each report, jobB one
	slug         string
	shopID       int
	bulkID       int // a bulk vendor import of five (refused) lines
	owner, admin string
	customer     []*http.Cookie // a customer of the shop with five orders of their own
}

func newListFixture(t *testing.T) *listFixture {
	t.Helper()
	ctx := context.Background()
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "lists")
	ts := startServer(t, db, defaultOptions(), nil)
	fx := &listFixture{ts: ts, host: hostOf(shop), slug: shop.Slug, shopID: shop.ID}
	for range 4 { // the admin's vendor list, searched for the shop's slug, holds five
		tenanttest.Tenant(t, db, shop.Slug+"-v")
	}
	email := "owner@" + shop.Slug + ".test"
	ts.join(t, shop, ts.user(t, email).ID, "owner")
	// Four more members, two inactive: members list active ones first.
	for i, role := range []string{"manager", "editor", "viewer", "viewer"} {
		id := ts.join(t, shop, ts.user(t, fmt.Sprintf("member%d@%s.test", i, shop.Slug)).ID, role)
		if i%2 == 0 {
			if err := db.Platform().Membership.UpdateOneID(id).SetActive(false).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	fx.owner = ts.login(t, fx.host, email).access
	api := func(method, path string, body map[string]any, want int) *resp {
		t.Helper()
		r := ts.do(t, req{method: method, host: fx.host, path: path, token: fx.owner, body: body})
		if r.status != want {
			t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
		}
		return r
	}
	var productIDs []int
	for i := range 5 {
		r := api("POST", "/api/v1/products", map[string]any{"sku": fmt.Sprintf("L-%d", i), "title": map[string]string{"en": "Listed"},
			"price_cents": 100 * (5 - i), "status": "active"}, http.StatusCreated)
		var p struct{ ID int }
		r.decode(t, &p)
		productIDs = append(productIDs, p.ID)
	}
	for i := range 5 { // orders entered by the team
		api("POST", "/api/v1/orders", map[string]any{"email": fmt.Sprintf("buyer%d@%s.test", i, shop.Slug),
			"lines":           []map[string]any{{"product_id": productIDs[i], "quantity": 1}},
			"billing_address": map[string]any{"name": "Anna Buyer", "line1": "1 rue du Marché", "postal_code": "L-1234", "city": "Luxembourg", "country": "LU"},
			"shipping_method": "pickup", "payment_method": "paid"}, http.StatusCreated)
	}
	// A customer of the shop with five orders placed while signed in.
	shopper := ts.browser(fx.host)
	shopper.must(t, http.StatusCreated, "POST", "/api/v1/shop/account/register",
		map[string]any{"email": "shopper@" + shop.Slug + ".test", "password": testPassword, "first_name": "Lou", "last_name": "Lister"})
	for i := range 5 {
		shopper.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": productIDs[i], "quantity": 1})
		shopper.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody("shopper@"+shop.Slug+".test", "pickup", "bank_transfer"))
	}
	fx.customer = []*http.Cookie{shopper.jar[customerCookie]}
	for i := range 2 {
		api("POST", "/api/v1/teams/roles", map[string]any{"name": fmt.Sprintf("Lister %d", i), "permissions": []string{"products.view"}}, http.StatusCreated)
	}
	for i := range 5 {
		api("POST", "/api/v1/teams/invite", map[string]any{"email": fmt.Sprintf("invitee%d@%s.test", i, shop.Slug), "role": "Viewer"}, http.StatusCreated)
	}

	// What only an import writes, written directly in the shop's bound
	// transaction: five finished jobs, staged products, reports, drift.
	if err := db.Tx(ctx, shop, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		var jobs []int
		for range 5 {
			j, err := c.ImportJob.Create().SetStatus(importjob.StatusSucceeded).SetLanguages([]schema.LanguageRun{}).Save(ctx)
			if err != nil {
				return err
			}
			jobs = append(jobs, j.ID)
		}
		fx.jobA, fx.jobB = jobs[1], jobs[2]
		for job, n := range map[int]int{fx.jobA: 5, fx.jobB: 1} {
			for i := range n {
				feedID := fmt.Sprintf("F-%d-%d", job, i)
				if err := c.StagedProduct.Create().SetFeedID(feedID).SetTitle("Staged").SetItems(map[string]letzshop.Item{}).
					SetRaw(map[string][][2]string{}).SetSeen(map[string]int{}).SetCreatedJob(job).SetChangedJob(job).Exec(ctx); err != nil {
					return err
				}
				if err := c.ImportChange.Create().SetJobID(job).SetFeedID(feedID).SetLanguage("en").SetLine(i + 2).
					SetAction(importchange.ActionCreate).Exec(ctx); err != nil {
					return err
				}
				if err := c.ImportRowError.Create().SetJobID(job).SetLanguage("en").SetLine(i + 2).SetReason("refused").Exec(ctx); err != nil {
					return err
				}
				if err := c.ImportDisagreement.Create().SetJobID(job).SetFeedID(feedID).SetField("price").
					SetValues(map[string]string{"en": "1 EUR", "fr": "2 EUR"}).Exec(ctx); err != nil {
					return err
				}
			}
		}
		// Five customers: guests of checkouts, as the team lists them.
		for i := range 5 {
			if _, err := ts.customers.Guest(ctx, fmt.Sprintf("guest%d@%s.test", i, shop.Slug), "Guest", strconv.Itoa(i)); err != nil {
				return err
			}
		}
		// Drift lists by detection time, then id: three reports detected at
		// one instant, and ids that do not follow the times.
		at := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
		for i, later := range []time.Duration{2, 0, 0, 1, 0} {
			if err := c.ProductDrift.Create().SetProductID(productIDs[i%2]).SetField(fmt.Sprintf("title.l%d", i)).
				SetJobID(fx.jobA).SetDetectedAt(at.Add(later * time.Second)).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// The platform's trail holds every test's events; its listing is read
	// filtered to three of this test's own.
	for i := range 3 {
		if err := audit.Platform(ctx, db.Platform(), audit.Event{Action: "test.listed", TargetType: "user", TargetID: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	adminEmail := "root@" + shop.Slug + ".test"
	if _, err := ts.ids.CreateUser(ctx, identity.NewUser{Email: adminEmail, FirstName: "Platform", LastName: "Admin",
		Password: testPassword, SuperAdmin: true}); err != nil {
		t.Fatal(err)
	}
	fx.admin = ts.login(t, "admin."+base, adminEmail).access
	var bulk []vendor.BulkRow
	for i := range 5 {
		bulk = append(bulk, vendor.BulkRow{Line: i + 2, VendorName: "Listed", Subdomain: fmt.Sprintf("Not_A_Slug_%d", i)})
	}
	imp, err := ts.vendors.StartBulk(ctx, vendor.Actor{Email: adminEmail}, "lines.csv", [32]byte{}, bulk)
	if err != nil {
		t.Fatal(err)
	}
	fx.bulkID = imp.ID
	return fx
}

// routes are the fixture's list endpoints, one per list route.
func (fx *listFixture) routes() []listRoute {
	job := func(report string) string { return fmt.Sprintf("/api/v1/marketplace/imports/%d/%s", fx.jobA, report) }
	v := func(route, family, path string, max int, old string) listRoute {
		return listRoute{route: route, family: family, host: fx.host, path: path, token: fx.owner, max: max, old: old}
	}
	return []listRoute{
		v("/api/v1/products", "products", "/api/v1/products", 100, ""),
		{route: "/api/v1/shop/products", family: "products", host: fx.host, path: "/api/v1/shop/products", max: 100},
		v("/api/v1/products/drift", "drift", "/api/v1/products/drift", 500, ""),
		v("/api/v1/marketplace/imports", "imports", "/api/v1/marketplace/imports", 100, "before"),
		v("/api/v1/marketplace/imports/:id/products", "staged", job("products"), 200, "after"),
		v("/api/v1/marketplace/imports/:id/changes", "changes", job("changes"), 200, "after"),
		v("/api/v1/marketplace/imports/:id/errors", "errors", job("errors"), 200, "after"),
		v("/api/v1/marketplace/imports/:id/disagreements", "disagreements", job("disagreements"), 200, "after"),
		v("/api/v1/marketplace/products", "staged", "/api/v1/marketplace/products", 200, "after"),
		v("/api/v1/orders", "orders", "/api/v1/orders", 100, ""),
		{route: "/api/v1/shop/account/orders", family: "orders", host: fx.host, path: "/api/v1/shop/account/orders", cookies: fx.customer, max: 100},
		v("/api/v1/teams/members", "members", "/api/v1/teams/members", 500, ""),
		v("/api/v1/teams/invitations", "invitations", "/api/v1/teams/invitations", 500, ""),
		v("/api/v1/teams/roles", "roles", "/api/v1/teams/roles", 500, ""),
		v("/api/v1/teams/audit", "audit", "/api/v1/teams/audit", 500, "before"),
		v("/api/v1/customers", "customers", "/api/v1/customers", 100, ""),
		{route: "/api/v1/admin/audit", family: "admin/audit", host: "admin." + base, path: "/api/v1/admin/audit?action=test.listed",
			token: fx.admin, max: 500, old: "before"},
		{route: "/api/v1/admin/vendors", family: "admin/vendors", host: "admin." + base, path: "/api/v1/admin/vendors?q=" + fx.slug,
			token: fx.admin, max: 200},
		{route: "/api/v1/admin/vendors/:id/members", family: "members", host: "admin." + base,
			path: fmt.Sprintf("/api/v1/admin/vendors/%d/members", fx.shopID), token: fx.admin, max: 500},
		// Every vendor's import jobs, read here for the fixture's shop alone
		// (the package's other tests import too).
		{route: "/api/v1/admin/marketplace/import-jobs", family: "admin/import-jobs", host: "admin." + base,
			path: fmt.Sprintf("/api/v1/admin/marketplace/import-jobs?vendor=%d", fx.shopID), token: fx.admin, max: 200},
		{route: "/api/v1/admin/vendors/bulk-imports/:id/lines", family: "admin/bulk-lines", host: "admin." + base,
			path: fmt.Sprintf("/api/v1/admin/vendors/bulk-imports/%d/lines", fx.bulkID), token: fx.admin, max: 1000},
		// The owner, four members and the super admin: their e-mails hold the slug.
		{route: "/api/v1/admin/users", family: "admin/users", host: "admin." + base, path: "/api/v1/admin/users?q=" + fx.slug,
			token: fx.admin, max: 200},
	}
}

// get asks a list for a page with the query parameters added.
func (fx *listFixture) get(t *testing.T, l listRoute, params string) *resp {
	t.Helper()
	path := l.path
	if params != "" {
		if strings.Contains(path, "?") {
			path += "&" + params
		} else {
			path += "?" + params
		}
	}
	return fx.ts.do(t, req{method: "GET", host: l.host, path: path, token: l.token, cookies: l.cookies})
}

// listPage is any list's answer, its items kept as sent.
type listPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

func (fx *listFixture) page(t *testing.T, l listRoute, params string) listPage {
	t.Helper()
	r := fx.get(t, l, params)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s %s: %d %s", l.path, params, r.status, r.body)
	}
	var fields map[string]json.RawMessage
	r.decode(t, &fields)
	for k := range fields {
		if k != "items" && k != "next_cursor" {
			t.Errorf("GET %s %s answers %q beside items and next_cursor: %s", l.path, params, k, r.body)
		}
	}
	if items := strings.TrimSpace(string(fields["items"])); !strings.HasPrefix(items, "[") {
		t.Fatalf("GET %s %s: items is %s, want a list: %s", l.path, params, items, r.body)
	}
	var p listPage
	r.decode(t, &p)
	return p
}

// TestListRoutesAreKnown: every GET route of every site is either a list
// (and then in the fixture's routes, so every list test covers it) or one
// of notLists.
func TestListRoutesAreKnown(t *testing.T) {
	s := &server{opts: Options{DevPages: true}}
	lists := map[string]bool{}
	for _, l := range (&listFixture{}).routes() {
		lists[l.route] = true
	}
	for _, table := range s.siteTables(Services{}) {
		for _, r := range table {
			if r.Method == "GET" && !lists[r.Path] && !slices.Contains(notLists, r.Path) {
				t.Errorf("GET %s is neither a list of the list tests nor in notLists", r.Path)
			}
		}
	}
}

// TestListsPage: every list answers {items, next_cursor}; paging through it
// two at a time returns every row of the whole list exactly once, in its
// order; and a cursor of another list is refused.
func TestListsPage(t *testing.T) {
	fx := newListFixture(t)
	firstCursor := map[string]string{} // family → a cursor one of its lists returned
	for _, l := range fx.routes() {
		t.Run(strings.TrimPrefix(l.route, "/api/v1/"), func(t *testing.T) {
			whole := fx.page(t, l, "limit="+strconv.Itoa(l.max))
			if whole.NextCursor != "" || len(whole.Items) < 3 {
				t.Fatalf("the whole list in one page: %d items, cursor %q; the fixture should give 3 to %d", len(whole.Items), whole.NextCursor, l.max)
			}
			if d := fx.page(t, l, ""); len(d.Items) != len(whole.Items) || d.NextCursor != "" {
				t.Errorf("the default page: %d items, cursor %q; want the %d of the list (a default above them)", len(d.Items), d.NextCursor, len(whole.Items))
			}
			var paged []string
			pages, cursor := 0, ""
			for {
				params := "limit=2"
				if cursor != "" {
					params += "&cursor=" + url.QueryEscape(cursor)
				}
				p := fx.page(t, l, params)
				if pages++; pages > len(whole.Items) {
					t.Fatalf("%d pages of two for %d items", pages, len(whole.Items))
				}
				if len(p.Items) > 2 || (p.NextCursor != "" && len(p.Items) != 2) {
					t.Errorf("page %d: %d items, cursor %q", pages, len(p.Items), p.NextCursor)
				}
				for _, it := range p.Items {
					paged = append(paged, string(it))
				}
				if p.NextCursor == "" {
					break
				}
				if pages == 1 {
					firstCursor[l.family] = p.NextCursor
				}
				cursor = p.NextCursor
			}
			want := make([]string, len(whole.Items))
			for i, it := range whole.Items {
				want[i] = string(it)
			}
			if !slices.Equal(paged, want) {
				t.Errorf("paged two at a time:\n%s\nthe whole list:\n%s", strings.Join(paged, "\n"), strings.Join(want, "\n"))
			}
		})
	}

	t.Run("AnotherListsCursorIsRefused", func(t *testing.T) {
		families := slices.Sorted(maps.Keys(firstCursor))
		if len(families) < 2 {
			t.Fatalf("cursors of %v only", families)
		}
		for _, l := range fx.routes() {
			for _, f := range families {
				if f == l.family {
					continue
				}
				r := fx.get(t, l, "cursor="+url.QueryEscape(firstCursor[f]))
				if r.status != http.StatusBadRequest {
					t.Errorf("GET %s with a cursor of %s: %d %s, want 400", l.path, f, r.status, r.body)
					continue
				}
				wantField("cursor", "cursor")(t, r)
			}
		}
	})
	t.Run("AnotherImportsCursorIsRefused", func(t *testing.T) {
		for _, report := range []string{"changes", "errors", "disagreements"} {
			first := fx.page(t, listRoute{host: fx.host, token: fx.owner, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/%s", fx.jobA, report)}, "limit=1")
			r := fx.ts.do(t, req{method: "GET", host: fx.host, token: fx.owner,
				path: fmt.Sprintf("/api/v1/marketplace/imports/%d/%s?cursor=%s", fx.jobB, report, url.QueryEscape(first.NextCursor))})
			if r.status != http.StatusBadRequest {
				t.Errorf("import %d's %s with a cursor of import %d's: %d %s, want 400", fx.jobB, report, fx.jobA, r.status, r.body)
				continue
			}
			wantField("cursor", "cursor")(t, r)
		}
	})
}

// TestListPagingRefusals: on every list, a limit outside its bounds or that
// is not a whole number, and a cursor it did not return — not base64, an
// old ?after= id, an empty object, a position of a list that does not
// exist — are a 400 naming limit or cursor; where a list paged with ?before=
// or ?after=, sending one is a 400 naming it, not the first page again.
// (Most lists took any limit and ignored a cursor.)
func TestListPagingRefusals(t *testing.T) {
	fx := newListFixture(t)
	for _, l := range fx.routes() {
		tests := []struct {
			name, params, field, words string
		}{
			{"LimitZero", "limit=0", "limit", "between 1 and " + strconv.Itoa(l.max)},
			{"LimitNegative", "limit=-1", "limit", "between 1 and " + strconv.Itoa(l.max)},
			{"LimitAboveTheMaximum", "limit=" + strconv.Itoa(l.max+1), "limit", "between 1 and " + strconv.Itoa(l.max)},
			{"LimitNotANumber", "limit=ten", "limit", "whole number"},
			{"LimitAFraction", "limit=1.5", "limit", "whole number"},
			{"CursorNotBase64", "cursor=" + url.QueryEscape("not a cursor!"), "cursor", "cursor"},
			{"CursorAnOldAfterID", "cursor=" + forgedCursor(`5`), "cursor", "cursor"},
			{"CursorEmptyObject", "cursor=" + forgedCursor(`{}`), "cursor", "cursor"},
			{"CursorOfNoList", "cursor=" + forgedCursor(`{"l":"nowhere","i":1}`), "cursor", "cursor"},
			{"CursorWithTrailingData", "cursor=" + forgedCursor(`{"l":"nowhere","i":1}{}`), "cursor", "cursor"},
		}
		if l.old != "" {
			tests = append(tests, struct{ name, params, field, words string }{"OldPagingParameter", l.old + "=5", l.old, "cursor"})
		}
		for _, tt := range tests {
			t.Run(strings.TrimPrefix(l.route, "/api/v1/")+"/"+tt.name, func(t *testing.T) {
				r := fx.get(t, l, tt.params)
				if r.status != http.StatusBadRequest || r.code() != "invalid" {
					t.Fatalf("GET %s %s: %d %s, want 400 invalid", l.path, tt.params, r.status, r.body)
				}
				wantField(tt.field, tt.words)(t, r)
			})
		}
	}
}
