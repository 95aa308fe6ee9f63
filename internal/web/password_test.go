package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// A signed-in user changes their own password: this session goes on, every
// other one ends, and a wrong current password changes nothing.
func TestChangePassword(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	email := "changer@" + tenanttest.Slug("pw") + ".test"
	u := ts.user(t, email)
	if err := db.Platform().User.UpdateOneID(u.ID).SetMustChangePassword(true).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	here := ts.login(t, base, email)
	elsewhere := ts.login(t, base, email)
	change := func(current, next string) *resp {
		return ts.do(t, req{method: "POST", host: base, path: "/api/v1/auth/password", token: here.access,
			body: map[string]any{"current_password": current, "new_password": next}})
	}

	if r := change("not my password", "a brand new password"); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "current_password") {
		t.Fatalf("wrong current password: %d %s", r.status, r.body)
	}
	if r := change(testPassword, "short"); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"password"`) {
		t.Fatalf("too short: %d %s", r.status, r.body)
	}
	if r := change(testPassword, "a brand new password"); r.status != http.StatusOK {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	me := func(s session) int {
		return ts.do(t, req{method: "GET", host: base, path: "/api/v1/auth/me", token: s.access}).status
	}
	if st := me(here); st != http.StatusOK {
		t.Fatalf("this session after the change: %d", st)
	}
	if st := me(elsewhere); st != http.StatusUnauthorized {
		t.Fatalf("another session after the change: %d, want 401", st)
	}
	ts.loginWith(t, base, email, "a brand new password")
	if r := ts.do(t, req{method: "POST", host: base, path: "/api/v1/auth/login",
		body: map[string]any{"email": email, "password": testPassword}}); r.status != http.StatusUnauthorized {
		t.Fatalf("old password still works: %d", r.status)
	}
	if must, _ := db.Platform().User.Query().Where(user.ID(u.ID)).Select(user.FieldMustChangePassword).Bool(context.Background()); must {
		t.Fatal("must_change_password still set")
	}
	if r := ts.do(t, req{method: "POST", host: base, path: "/api/v1/auth/password",
		body: map[string]any{"current_password": "x", "new_password": "y"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", r.status)
	}
}

// A deactivated account's sessions stop: no access token works and no
// refresh token mints a new one.
func TestDeactivatedUserIsSignedOut(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	email := "leaving@" + tenanttest.Slug("off") + ".test"
	u := ts.user(t, email)
	s := ts.login(t, base, email)
	if err := db.Platform().User.UpdateOneID(u.ID).SetActive(false).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := ts.do(t, req{method: "GET", host: base, path: "/api/v1/auth/me", token: s.access}); r.status != http.StatusUnauthorized {
		t.Fatalf("access token of a deactivated user: %d", r.status)
	}
	if r := ts.do(t, req{method: "POST", host: base, path: "/api/v1/auth/refresh", body: map[string]any{"refresh_token": s.refresh}}); r.status != http.StatusUnauthorized {
		t.Fatalf("refresh by a deactivated user: %d %s", r.status, r.body)
	}
	if r := ts.do(t, req{method: "POST", host: base, path: "/api/v1/auth/login",
		body: map[string]any{"email": email, "password": testPassword}}); r.status != http.StatusUnauthorized || r.code() != "invalid_credentials" {
		t.Fatalf("login by a deactivated user: %d %s", r.status, r.body)
	}
}

// Pages and errors alike refuse framing and sniffing; the pages whose URL
// holds a one-time token send no Referer at all.
func TestSecurityHeaders(t *testing.T) {
	ts := start(t, tenanttest.Open(t), setup{opts: defaultOptions()})
	for _, path := range []string{"/", "/reset-password?token=x", "/no-such-page", "/api/v1/auth/me"} {
		r := ts.do(t, req{method: "GET", host: base, path: path})
		if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("X-Content-Type-Options") != "nosniff" ||
			r.header.Get("Content-Security-Policy") != "frame-ancestors 'none'" {
			t.Errorf("%s (%d): headers %v", path, r.status, r.header)
		}
	}
	if r := ts.do(t, req{method: "GET", host: base, path: "/reset-password?token=x"}); r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("reset page Referrer-Policy %q", r.header.Get("Referrer-Policy"))
	}
}

// A user whose password someone else set (an initial password from
// onboarding, a mass reset) may only see and change their own account until
// they choose one; then everything they may do answers again.
func TestPasswordChangeRequired(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, db, "mustchange")
	email := "owner@" + shop.Slug + ".test"
	u := ts.user(t, email)
	ts.join(t, shop, u.ID, "owner")
	if err := db.Platform().User.UpdateOneID(u.ID).SetMustChangePassword(true).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	sc := ts.scenarios(hostOf(shop), map[string]string{"owner": ts.login(t, hostOf(shop), email).access})
	sc.run(t, true, []scenario{
		{name: "Me", as: "owner", method: "GET", path: "/api/v1/auth/me", wantStatus: http.StatusOK, want: []string{`"must_change_password":true`}},
		{name: "TeamRefused", as: "owner", method: "GET", path: "/api/v1/teams/members", wantStatus: http.StatusForbidden, wantCode: "password_change_required"},
		{name: "ProductsRefused", as: "owner", method: "POST", path: "/api/v1/products", body: map[string]any{},
			wantStatus: http.StatusForbidden, wantCode: "password_change_required"},
		{name: "Change", as: "owner", method: "POST", path: "/api/v1/auth/password",
			body: map[string]any{"current_password": testPassword, "new_password": "a password of my own"}, wantStatus: http.StatusOK},
		{name: "TeamAnswers", as: "owner", method: "GET", path: "/api/v1/teams/members", wantStatus: http.StatusOK},
		{name: "MeAfter", as: "owner", method: "GET", path: "/api/v1/auth/me", wantStatus: http.StatusOK, want: []string{`"must_change_password":false`}},
	})
}
