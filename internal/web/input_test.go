package web

import (
	"context"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// forgedCursor is a listing cursor as a client could forge it.
func forgedCursor(json string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(json))
}

// TestHostileInputIsRefused: text that PostgreSQL cannot store or compare —
// a NUL byte, invalid UTF-8, an over-long value — and forged cursors are a
// 400 naming the field, on every site, before anything reaches a query. Each
// of these was a 500 with an ERROR log line.
func TestHostileInputIsRefused(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "hostile")
	opts := defaultOptions()
	opts.Input = InputLimits{MaxQueryValue: 200, MaxJSONString: 300}
	ts := startServer(t, db, opts, nil)
	host, adminHost := hostOf(shop), "admin."+base
	ou := ts.user(t, "owner@"+shop.Slug+".test")
	ts.join(t, shop, ou.ID, "owner")
	owner := ts.login(t, host, "owner@"+shop.Slug+".test").access
	adminEmail := "root@" + shop.Slug + ".test"
	if _, err := ts.ids.CreateUser(context.Background(), identity.NewUser{
		Email: adminEmail, FirstName: "Platform", LastName: "Admin", Password: testPassword, SuperAdmin: true,
	}); err != nil {
		t.Fatal(err)
	}
	admin := ts.login(t, adminHost, adminEmail).access
	long := strings.Repeat("é", 101) // 202 bytes
	objectCursor := forgedCursor(`{"s":"sku","v":{"a":1},"i":1}`)

	tests := []struct {
		name         string
		host         string
		method, path string
		token        string
		body         string
		field        string // the field the 400 must name
		words        string // what its message must mention
	}{
		// Query strings, on every site.
		{"ShopSearchWithNUL", host, "GET", "/api/v1/shop/products?q=%00", "", "", "q", "NUL"},
		{"ShopSearchNotUTF8", host, "GET", "/api/v1/shop/products?q=%FF%FE", "", "", "q", "UTF-8"},
		{"ShopBrandWithNUL", host, "GET", "/api/v1/shop/products?brand=a%00b", "", "", "brand", "NUL"},
		{"ShopSearchTooLong", host, "GET", "/api/v1/shop/products?q=" + url.QueryEscape(long), "", "", "q", "200 bytes"},
		{"ShopPageWithNUL", host, "GET", "/?q=%00", "", "", "q", "NUL"},
		{"ProductsSearchWithNUL", host, "GET", "/api/v1/products?q=%00", owner, "", "q", "NUL"},
		{"ProductsSearchNotUTF8", host, "GET", "/api/v1/products?q=%FF%FE", owner, "", "q", "UTF-8"},
		{"ProductsGroupWithNUL", host, "GET", "/api/v1/products?group=%00", owner, "", "group", "NUL"},
		{"StagingSearchWithNUL", host, "GET", "/api/v1/marketplace/products?q=%00", owner, "", "q", "NUL"},
		{"StagingBrandNotUTF8", host, "GET", "/api/v1/marketplace/products?brand=%C3", owner, "", "brand", "UTF-8"},
		{"ImportChangesActionWithNUL", host, "GET", "/api/v1/marketplace/imports/1/changes?action=%00", owner, "", "action", "NUL"},
		{"UnknownKeyWithNUL", host, "GET", "/api/v1/products?x%00y=1", owner, "", `x\x00y`, "NUL"},
		{"AdminAuditActionWithNUL", adminHost, "GET", "/api/v1/admin/audit?action=%00", admin, "", "action", "NUL"},
		{"AdminAuditActionNotUTF8", adminHost, "GET", "/api/v1/admin/audit?action=%FF", admin, "", "action", "UTF-8"},
		{"AdminAuditLimitNotANumber", adminHost, "GET", "/api/v1/admin/audit?limit=x", admin, "", "limit", "whole number"},
		{"PlatformWithNUL", base, "GET", "/?x=%00", "", "", "x", "NUL"},
		{"ResetPageTokenWithNUL", base, "GET", "/reset-password?token=%00", "", "", "token", "NUL"},
		{"TeamAuditLimitNotANumber", host, "GET", "/api/v1/teams/audit?limit=x", owner, "", "limit", "whole number"},

		// Cursors: only what a listing returned.
		{"CursorWithAnObjectValue", host, "GET", "/api/v1/shop/products?sort=sku&cursor=" + objectCursor, "", "", "cursor", "cursor"},
		{"CursorWithAnObjectValueBackOffice", host, "GET", "/api/v1/products?sort=sku&cursor=" + objectCursor, owner, "", "cursor", "cursor"},
		{"CursorWithNULInSKU", host, "GET", "/api/v1/products?sort=sku&cursor=" + forgedCursor(`{"s":"sku","v":"a\u0000","i":1}`), owner, "", "cursor", "cursor"},
		{"CursorWithTextPrice", host, "GET", "/api/v1/products?sort=price&cursor=" + forgedCursor(`{"s":"price","v":"cheap","i":1}`), owner, "", "cursor", "cursor"},
		{"CursorWithFractionalPrice", host, "GET", "/api/v1/products?sort=price&cursor=" + forgedCursor(`{"s":"price","v":1.5,"i":1}`), owner, "", "cursor", "cursor"},
		{"CursorWithHugePrice", host, "GET", "/api/v1/products?sort=price&cursor=" + forgedCursor(`{"s":"price","v":1e300,"i":1}`), owner, "", "cursor", "cursor"},
		{"CursorWithBadTime", host, "GET", "/api/v1/products?sort=updated&cursor=" + forgedCursor(`{"s":"updated","v":"yesterday","i":1}`), owner, "", "cursor", "cursor"},
		{"CursorWithNegativeID", host, "GET", "/api/v1/products?cursor=" + forgedCursor(`{"s":"created","v":1,"i":-1}`), owner, "", "cursor", "cursor"},
		{"CursorWithArrayID", host, "GET", "/api/v1/products?cursor=" + forgedCursor(`{"s":"created","v":[1],"i":1}`), owner, "", "cursor", "cursor"},

		// JSON bodies: every string at any depth, map keys included.
		{"LoginEmailWithNUL", host, "POST", "/api/v1/auth/login", "", `{"email":"a\u0000@b.test","password":"x"}`, "email", "NUL"},
		{"LoginEmailWithNULOnPlatform", base, "POST", "/api/v1/auth/login", "", `{"email":"a\u0000@b.test","password":"x"}`, "email", "NUL"},
		{"LoginEmailNotUTF8", host, "POST", "/api/v1/auth/login", "", "{\"email\":\"a\xff@b.test\",\"password\":\"x\"}", "email", "UTF-8"},
		{"ResetRequestEmailWithNUL", host, "POST", "/api/v1/auth/password-reset", "", `{"email":"\u0000"}`, "email", "NUL"},
		{"ProductTitleWithNUL", host, "POST", "/api/v1/products", owner, `{"sku":"A","title":{"fr":"T\u0000"},"price_cents":1}`, "title.fr", "NUL"},
		{"ProductTitleLanguageWithNUL", host, "POST", "/api/v1/products", owner, `{"sku":"A","title":{"f\u0000":"T"},"price_cents":1}`, `title.f\x00`, "NUL"},
		{"ProductSKUTooLong", host, "POST", "/api/v1/products", owner, `{"sku":"` + strings.Repeat("x", 301) + `","title":{"fr":"T"}}`, "sku", "300 bytes"},
		{"ProductImageWithNUL", host, "PUT", "/api/v1/products/1", owner, `{"images":["https://x.test/a.jpg","\u0000"]}`, "images[1]", "NUL"},
		{"RoleNameWithNUL", host, "POST", "/api/v1/teams/roles", owner, `{"name":"R\u0000","permissions":["products.view"]}`, "name", "NUL"},
		{"RolePermissionNotUTF8", host, "POST", "/api/v1/teams/roles", owner, "{\"name\":\"R\",\"permissions\":[\"\xc3\"]}", "permissions[0]", "UTF-8"},
		{"InviteEmailWithNUL", host, "POST", "/api/v1/teams/invite", owner, `{"email":"x\u0000@y.test","role":"Viewer"}`, "email", "NUL"},
		{"StagingSelectionFilterWithNUL", host, "POST", "/api/v1/marketplace/products/select", owner, `{"filter":{"q":"\u0000"},"selected":true}`, "filter.q", "NUL"},
		{"StagingSelectionFilterBrandWithNUL", host, "POST", "/api/v1/marketplace/products/select", owner, `{"filter":{"brand":"a\u0000b"},"selected":true}`, "filter.brand", "NUL"},
		{"ImportConfigURLWithNUL", host, "PUT", "/api/v1/marketplace/config", owner, `{"feeds":[{"language":"fr","url":"http://x.test/\u0000"}]}`, "feeds[0].url", "NUL"},
		{"RegisterTokenWithNUL", host, "POST", "/api/v1/auth/register", "", `{"token":"\u0000","password":"x"}`, "token", "NUL"},
		{"RefreshTokenWithNUL", host, "POST", "/api/v1/auth/refresh", "", `{"refresh_token":"\u0000"}`, "refresh_token", "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := req{method: tt.method, host: tt.host, path: tt.path, token: tt.token}
			if tt.body != "" {
				q.body = tt.body
			}
			r := ts.do(t, q)
			if r.status != http.StatusBadRequest || r.code() != "invalid" {
				t.Fatalf("%s %s: %d %s, want 400 invalid", tt.method, tt.path, r.status, r.body)
			}
			wantField(tt.field, tt.words)(t, r)
		})
	}
}

// TestJSONTextProblemsNameThePath: every string of a body is checked, values
// and keys at any depth, and named by its JSON path.
func TestJSONTextProblemsNameThePath(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]string // field → a word of its message
	}{
		{"Clean", `{"a":"x","b":[{"c":"y"}],"d":{"e":"z"},"n":1,"t":true,"z":null}`, map[string]string{}},
		{"TopLevelValue", `{"email":"a\u0000b"}`, map[string]string{"email": "NUL"}},
		{"NestedObject", `{"title":{"fr":"ok","de":"\u0000"}}`, map[string]string{"title.de": "NUL"}},
		{"ArrayElement", `{"images":["ok","ok","\u0000"]}`, map[string]string{"images[2]": "NUL"}},
		{"ObjectsInAnArray", `{"feeds":[{"url":"ok"},{"language":"fr","url":"\u0000"}]}`, map[string]string{"feeds[1].url": "NUL"}},
		{"ArraysInArrays", `{"a":[[1,"x"],[true,"\u0000"]]}`, map[string]string{"a[1][1]": "NUL"}},
		{"BadKey", `{"title":{"f\u0000":"T"}}`, map[string]string{`title.f\x00`: "key"}},
		{"BadKeyAndValue", `{"title":{"f\u0000":"\u0000"}}`, map[string]string{`title.f\x00`: "key"}},
		{"InvalidUTF8", "{\"q\":\"a\xffb\",\"ok\":\"\u00e9\"}", map[string]string{"q": "UTF-8"}},
		{"InvalidUTF8InAKey", "{\"k\xc3\":\"v\"}", map[string]string{"k\ufffd": "UTF-8"}},
		{"TooLongAfterUnescaping", `{"a":"\u00e9\u00e9\u00e9\u00e9\u00e9","b":"12345678"}`, map[string]string{"a": "at most 8 bytes"}},
		{"TooLongKey", `{"abcdefghi":1}`, map[string]string{"abcdefghi": "key"}},
		{"EscapesAreText", `{"a":"\"\\\n\t\u00e9"}`, map[string]string{}},
		{"Everything", `{"a":"\u0000","b":{"c":["\u0000"]},"d":"ok"}`, map[string]string{"a": "NUL", "b.c[0]": "NUL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := jsonTextProblems([]byte(tt.body), 8)
			if !maps.EqualFunc(got, tt.want, strings.Contains) {
				t.Errorf("jsonTextProblems(%s) = %q, want fields %q", tt.body, got, tt.want)
			}
		})
	}
	many := "{"
	for i := range 500 {
		many += `"k` + strconv.Itoa(i) + `":"\u0000",`
	}
	if got := jsonTextProblems([]byte(strings.TrimSuffix(many, ",")+"}"), 8); len(got) != maxReported {
		t.Errorf("500 bad fields: %d named, want the first %d", len(got), maxReported)
	}
}

// TestRecordedUserAgent: a User-Agent PostgreSQL cannot store made sign-in
// a 500; it is recorded cleaned instead (a client cannot fix its own).
func TestRecordedUserAgent(t *testing.T) {
	db := tenanttest.Open(t)
	raw := tenanttest.SQL(t, tenanttest.PackageDatabase(t))
	shop := tenanttest.Tenant(t, db, "agent")
	opts := defaultOptions()
	opts.Input.MaxUserAgent = 8
	ts := startServer(t, db, opts, nil)
	email := "owner@" + shop.Slug + ".test"
	u := ts.user(t, email)
	for _, tt := range []struct{ sent, recorded string }{
		{"a\xffb", "a\ufffdb"},
		{"a\x00b", "ab"},
		{"abcdefghijkl", "abcdefgh"},
		{"ééééé", "éééé"},
	} {
		status, body := ts.rawPost(t, hostOf(shop), "/api/v1/auth/login",
			`{"email":"`+email+`","password":"`+testPassword+`","refresh_in_body":true}`, "User-Agent: "+tt.sent)
		if status != http.StatusOK {
			t.Fatalf("sign in with User-Agent %q: %d %s", tt.sent, status, body)
		}
		var ua string
		if err := raw.QueryRowContext(context.Background(),
			`SELECT user_agent FROM platform.sessions WHERE user_id = $1 ORDER BY id DESC LIMIT 1`, u.ID).Scan(&ua); err != nil {
			t.Fatal(err)
		}
		if ua != tt.recorded {
			t.Errorf("User-Agent %q recorded as %q, want %q", tt.sent, ua, tt.recorded)
		}
	}
}

// rawPost sends a POST with exactly the given header lines (Go's client
// refuses to send a NUL in a header) and returns status and body.
func (ts *testServer) rawPost(t testing.TB, host, path, body string, headers ...string) (int, string) {
	t.Helper()
	head := append([]string{"POST " + path + " HTTP/1.1", "Host: " + host, "Content-Type: application/json",
		"Content-Length: " + strconv.Itoa(len(body))}, headers...)
	return ts.rawRequest(t, strings.Join(head, "\n"), body)
}
