package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// The shop's customer accounts over HTTP: their journey, their input, and
// the throttles on guessing their passwords. Resets, the realms and the
// team's side are in shopreset_test.go and customers_test.go.

const (
	accountPath  = "/api/v1/shop/account"
	customerPass = "shopper's own passphrase"
)

// registerCustomer opens a customer account in the shop of host and
// returns its session cookie.
func registerCustomer(t testing.TB, ts *testServer, host, email string) *http.Cookie {
	t.Helper()
	r := ts.do(t, req{method: "POST", host: host, path: accountPath + "/register",
		body: map[string]any{"email": email, "password": customerPass, "first_name": "Shop", "last_name": "Per"}})
	if r.status != http.StatusCreated || r.cookie(customerCookie) == nil {
		t.Fatalf("register %s on %s: %d %s", email, host, r.status, r.body)
	}
	return r.cookie(customerCookie)
}

// signInCustomer signs a customer in to the shop of host and returns the
// new session's cookie.
func signInCustomer(t testing.TB, ts *testServer, host, email string) *http.Cookie {
	t.Helper()
	r := ts.do(t, req{method: "POST", host: host, path: accountPath + "/login", body: map[string]any{"email": email, "password": customerPass}})
	if r.status != http.StatusOK || r.cookie(customerCookie) == nil {
		t.Fatalf("sign in %s on %s: %d %s", email, host, r.status, r.body)
	}
	return r.cookie(customerCookie)
}

func cookies(c ...*http.Cookie) []*http.Cookie { return c }

// TestCustomerAccount: register, see and change one's profile, sign out and
// in, a wrong password, a taken e-mail, and a password change that keeps
// this session and ends the others.
func TestCustomerAccount(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "account")
	ts := startServer(t, db, defaultOptions(), nil)
	sc := ts.scenarios(hostOf(shop), nil)
	email := "ann@" + shop.Slug + ".test"

	r := sc.send(t, scenario{name: "Register", method: "POST", path: accountPath + "/register",
		body:       map[string]any{"email": "  ANN@" + strings.ToUpper(shop.Slug) + ".test ", "password": customerPass, "first_name": " Ann ", "last_name": "Lee", "language": "de"},
		wantStatus: http.StatusCreated, want: []string{`"email":"` + email + `"`, `"first_name":"Ann"`, `"language":"de"`, `"addresses":[]`},
		wantNot: []string{"password", "hash"}})
	first := r.cookie(customerCookie)
	if first == nil || !first.HttpOnly || first.SameSite != http.SameSiteLaxMode || first.Path != "/" || first.MaxAge != int((48*3600)) {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, Max-Age of the session TTL", first)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
	}
	sc.run(t, true, []scenario{
		{name: "Me", method: "GET", path: accountPath + "/me", cookies: cookies(first), wantStatus: http.StatusOK, want: []string{email}},
		{name: "UpdateMe", method: "PUT", path: accountPath + "/me", cookies: cookies(first),
			body: map[string]any{"phone": "+352 621 123 456", "addresses": []map[string]any{
				{"name": "Ann Lee", "line1": "1 rue de la Gare", "postal_code": "L-1234", "city": "Luxembourg", "country": "LU"}}},
			wantStatus: http.StatusOK, want: []string{`"phone":"+352 621 123 456"`, `"postal_code":"L-1234"`, `"first_name":"Ann"`}},
		{name: "TheChangeStays", method: "GET", path: accountPath + "/me", cookies: cookies(first), wantStatus: http.StatusOK,
			want: []string{`"city":"Luxembourg"`, `"language":"de"`}},
		{name: "TheEmailIsTaken", method: "POST", path: accountPath + "/register",
			body:       map[string]any{"email": email, "password": "another passphrase", "first_name": "Eve", "last_name": "X"},
			wantStatus: http.StatusConflict, wantCode: "email_taken"},
		{name: "WrongPassword", method: "POST", path: accountPath + "/login", body: map[string]any{"email": email, "password": "not the passphrase"},
			wantStatus: http.StatusUnauthorized, wantCode: "invalid_credentials"},
		{name: "UnknownEmailLooksTheSame", method: "POST", path: accountPath + "/login",
			body: map[string]any{"email": "nobody@" + shop.Slug + ".test", "password": "not the passphrase"}, wantStatus: http.StatusUnauthorized,
			wantCode: "invalid_credentials", want: []string{"invalid email or password"}},
	})
	second := signInCustomer(t, ts, hostOf(shop), strings.ToUpper(email))
	third := signInCustomer(t, ts, hostOf(shop), email)

	r = sc.send(t, scenario{name: "Logout", method: "POST", path: accountPath + "/logout", cookies: cookies(third), wantStatus: http.StatusNoContent})
	if c := r.cookie(customerCookie); c == nil || c.Value != "" || (c.MaxAge >= 0 && !(c.RawExpires != "" && c.Expires.Before(time.Now()))) {
		t.Errorf("logout left the cookie %+v, want it cleared", c)
	}
	sc.run(t, true, []scenario{
		{name: "SignedOutSessionIsAnonymous", method: "GET", path: accountPath + "/me", cookies: cookies(third),
			wantStatus: http.StatusUnauthorized, wantCode: "customer_unauthenticated"},
		{name: "AnonymousMe", method: "GET", path: accountPath + "/me", wantStatus: http.StatusUnauthorized, wantCode: "customer_unauthenticated"},
		{name: "LogoutAgainIsHarmless", method: "POST", path: accountPath + "/logout", cookies: cookies(third), wantStatus: http.StatusNoContent},
		{name: "WrongCurrentPassword", method: "POST", path: accountPath + "/password", cookies: cookies(second),
			body:       map[string]any{"current_password": "not the passphrase", "new_password": "a new passphrase 2"},
			wantStatus: http.StatusBadRequest, check: wantField("current_password", "not your password")},
		{name: "NewPasswordTooShort", method: "POST", path: accountPath + "/password", cookies: cookies(second),
			body:       map[string]any{"current_password": customerPass, "new_password": "short"},
			wantStatus: http.StatusBadRequest, check: wantField("new_password", "at least 10")},
		{name: "ChangePassword", method: "POST", path: accountPath + "/password", cookies: cookies(second),
			body: map[string]any{"current_password": customerPass, "new_password": "a new passphrase 2"}, wantStatus: http.StatusOK},
		{name: "ThisSessionStays", method: "GET", path: accountPath + "/me", cookies: cookies(second), wantStatus: http.StatusOK},
		{name: "OtherSessionsEnded", method: "GET", path: accountPath + "/me", cookies: cookies(first),
			wantStatus: http.StatusUnauthorized, wantCode: "customer_unauthenticated"},
		{name: "OldPasswordRefused", method: "POST", path: accountPath + "/login", body: map[string]any{"email": email, "password": customerPass},
			wantStatus: http.StatusUnauthorized, wantCode: "invalid_credentials"},
		{name: "NewPasswordSignsIn", method: "POST", path: accountPath + "/login", body: map[string]any{"email": email, "password": "a new passphrase 2"},
			wantStatus: http.StatusOK, want: []string{email}},
	})
}

// TestCustomerInputNamesEveryBadField: registration and profile changes
// name every bad field at once, by its JSON path.
func TestCustomerInputNamesEveryBadField(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "input")
	ts := startServer(t, db, defaultOptions(), nil)
	sc := ts.scenarios(hostOf(shop), nil)
	me := registerCustomer(t, ts, hostOf(shop), "in@"+shop.Slug+".test")
	every := func(fields ...string) func(t testing.TB, r *resp) {
		return func(t testing.TB, r *resp) {
			t.Helper()
			var e errorBody
			r.decode(t, &e)
			for _, f := range fields {
				if e.Error.Fields[f] == "" {
					t.Errorf("field %s is not named: %s", f, r.body)
				}
			}
			if len(e.Error.Fields) != len(fields) {
				t.Errorf("%d fields named, want %d: %s", len(e.Error.Fields), len(fields), r.body)
			}
		}
	}
	tooMany := make([]map[string]any, 11)
	for i := range tooMany {
		tooMany[i] = map[string]any{"name": "N", "line1": "L", "postal_code": "1", "city": "C", "country": "LU"}
	}
	sc.run(t, false, []scenario{
		{name: "Registration", method: "POST", path: accountPath + "/register",
			body:       map[string]any{"email": "not an email", "password": "short", "first_name": "", "last_name": strings.Repeat("x", 101), "language": "xx"},
			wantStatus: http.StatusBadRequest, check: every("email", "password", "first_name", "last_name", "language")},
		{name: "PasswordIsTheEmail", method: "POST", path: accountPath + "/register",
			body:       map[string]any{"email": "same@" + shop.Slug + ".test", "password": "SAME@" + shop.Slug + ".test", "first_name": "A", "last_name": "B"},
			wantStatus: http.StatusBadRequest, check: wantField("password", "email")},
		{name: "Profile", method: "PUT", path: accountPath + "/me", cookies: cookies(me),
			body: map[string]any{"first_name": "Ann\nLee", "last_name": " ", "phone": "call me", "language": "EN", "addresses": []map[string]any{
				{"name": "Ann", "line1": "1 rue", "postal_code": "L@1234", "city": "Luxembourg", "country": "LUX"},
				{"name": "", "line1": "", "postal_code": "", "city": strings.Repeat("c", 101), "country": "XK", "phone": "12"},
			}},
			wantStatus: http.StatusBadRequest, check: every("first_name", "last_name", "phone", "language",
				"addresses[0].postal_code", "addresses[0].country", "addresses[1].name", "addresses[1].line1",
				"addresses[1].postal_code", "addresses[1].city", "addresses[1].country", "addresses[1].phone")},
		{name: "TooManyAddresses", method: "PUT", path: accountPath + "/me", cookies: cookies(me), body: map[string]any{"addresses": tooMany},
			wantStatus: http.StatusBadRequest, check: wantField("addresses", "at most 10")},
		{name: "UnknownField", method: "PUT", path: accountPath + "/me", cookies: cookies(me), body: map[string]any{"email": "x@y.z"},
			wantStatus: http.StatusBadRequest, check: wantField("email", "not a known field")},
		{name: "NothingChanged", method: "GET", path: accountPath + "/me", cookies: cookies(me), wantStatus: http.StatusOK,
			want: []string{`"first_name":"Shop"`, `"addresses":[]`}},
	})
}

// TestCustomerSignInThrottles: wrong passwords lock an account (and the
// count survives the refused requests' transactions), and one address is
// held to its attempts a minute.
func TestCustomerSignInThrottles(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "throttle")
	t.Run("AccountLockout", func(t *testing.T) {
		ts := start(t, db, setup{opts: defaultOptions()})
		email := "locked@" + shop.Slug + ".test"
		registerCustomer(t, ts, hostOf(shop), email)
		sc := ts.scenarios(hostOf(shop), nil)
		wrong := scenario{method: "POST", path: accountPath + "/login", body: map[string]any{"email": email, "password": "a wrong guess"},
			wantStatus: http.StatusUnauthorized, wantCode: "invalid_credentials"}
		for range testCustomerOptions().LoginFailures {
			sc.send(t, wrong)
		}
		r := sc.send(t, scenario{name: "RightPasswordWhileLocked", method: "POST", path: accountPath + "/login",
			body: map[string]any{"email": email, "password": customerPass}, wantStatus: http.StatusTooManyRequests, wantCode: "too_many_attempts"})
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 800 || s > 900 {
			t.Errorf("Retry-After %q, want the 15 minutes' lockout", r.header.Get("Retry-After"))
		}
		if _, err := tenanttest.SQL(t, tenanttest.PackageDatabase(t)).Exec(
			`UPDATE "`+shop.Schema+`".customers SET locked_until = now() - interval '1 second' WHERE email = $1`, email); err != nil {
			t.Fatal(err)
		}
		signInCustomer(t, ts, hostOf(shop), email)
	})
	t.Run("AddressLimit", func(t *testing.T) {
		ts := start(t, db, setup{opts: defaultOptions(), customer: func(o *customer.Options) { o.LoginIPLimit = 3 }})
		sc := ts.scenarios(hostOf(shop), nil)
		who := "who@" + shop.Slug + ".test"
		sc.run(t, true, []scenario{ // sign-ins, registrations and reset requests count alike
			{name: "SignIn", method: "POST", path: accountPath + "/login", body: map[string]any{"email": who, "password": "a wrong guess"},
				wantStatus: http.StatusUnauthorized},
			{name: "Register", method: "POST", path: accountPath + "/register",
				body: map[string]any{"email": who, "password": customerPass, "first_name": "A", "last_name": "B"}, wantStatus: http.StatusCreated},
			{name: "Reset", method: "POST", path: accountPath + "/password-reset", body: map[string]any{"email": who}, wantStatus: http.StatusAccepted},
		})
		r := sc.send(t, scenario{name: "OneTooMany", method: "POST", path: accountPath + "/login",
			body: map[string]any{"email": "who@" + shop.Slug + ".test", "password": "a wrong guess"}, wantStatus: http.StatusTooManyRequests, wantCode: "too_many_attempts"})
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Errorf("Retry-After %q, want the rest of the minute", r.header.Get("Retry-After"))
		}
	})
}
