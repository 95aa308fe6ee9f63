package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// authErrorShape is an error body without its request id, as canonical JSON,
// so two answers can be compared for everything a client could tell apart.
func authErrorShape(t testing.TB, r *resp) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("error body is not JSON: %s", r.body)
	}
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	delete(e, "request_id")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// authFields are the fields an error answer names.
func authFields(t testing.TB, r *resp) map[string]string {
	t.Helper()
	var e errorBody
	r.decode(t, &e)
	return e.Error.Fields
}

func TestLogin(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	tn := tenanttest.Tenant(t, db, "login")
	owner := ts.user(t, authEmail("owner"))
	ts.join(t, tn, owner.ID, "owner")
	stranger := ts.user(t, authEmail("stranger"))
	sc := ts.scenarios(base, nil) // each login adds its user, by email

	type loginAnswer struct {
		User struct {
			ID    int    `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		RefreshToken string `json:"refresh_token"`
		Vendor       *struct {
			ID     int    `json:"id"`
			Slug   string `json:"slug"`
			Member bool   `json:"member"`
			Role   *struct {
				Name string `json:"name"`
			} `json:"role"`
			Permissions []string `json:"permissions"`
		} `json:"vendor"`
	}
	loginOK := func(t *testing.T, host, path, email string) loginAnswer {
		t.Helper()
		r := sc.send(t, scenario{method: "POST", host: host, path: path, body: authLoginBody(email, testPassword, true), wantStatus: http.StatusOK})
		var a loginAnswer
		r.decode(t, &a)
		if a.AccessToken == "" || a.RefreshToken == "" || a.TokenType != "Bearer" {
			t.Fatalf("login answer lacks tokens: %s", r.body)
		}
		sc.as[email] = a.AccessToken
		sc.send(t, scenario{as: email, method: "GET", host: host, path: authMe, wantStatus: http.StatusOK}) // the login's access token works
		return a
	}
	// The Owner's seed permissions plus team.view (implied by team.manage),
	// in the catalogue's order.
	ownerPerms := []string{
		"team.manage", "team.invite", "team.remove", "team.view",
		"products.create", "products.edit", "products.delete", "products.view",
		"orders.create", "orders.edit", "orders.view",
		"imports.trigger", "imports.view", "imports.configure",
		"settings.edit", "analytics.view",
	}

	t.Run("PlatformHostSignsInWithoutVendor", func(t *testing.T) {
		a := loginOK(t, base, authLogin, owner.Email)
		if a.User.ID != owner.ID || a.User.Email != owner.Email {
			t.Fatalf("user = %+v, want %d %s", a.User, owner.ID, owner.Email)
		}
		if a.Vendor != nil {
			t.Fatalf("platform login carries a vendor: %+v", a.Vendor)
		}
	})
	t.Run("AdminHostSignsIn", func(t *testing.T) {
		if a := loginOK(t, "admin."+base, authLogin, owner.Email); a.Vendor != nil {
			t.Fatalf("admin login carries a vendor: %+v", a.Vendor)
		}
	})
	for _, site := range []struct{ name, host, path string }{
		{"VendorHostCarriesOwnerRoleAndPermissions", hostOf(tn), authLogin},
		{"VendorPathFormCarriesOwnerRoleAndPermissions", base, "/vendor/" + tn.Slug + authLogin},
	} {
		t.Run(site.name, func(t *testing.T) {
			a := loginOK(t, site.host, site.path, owner.Email)
			if a.Vendor == nil {
				t.Fatal("vendor login carries no vendor")
			}
			v := a.Vendor
			if v.ID != tn.ID || v.Slug != tn.Slug || !v.Member {
				t.Errorf("vendor = id %d slug %q member %v, want %d %q true", v.ID, v.Slug, v.Member, tn.ID, tn.Slug)
			}
			if v.Role == nil || v.Role.Name != "Owner" {
				t.Errorf("role = %+v, want Owner", v.Role)
			}
			if !reflect.DeepEqual(v.Permissions, ownerPerms) {
				t.Errorf("permissions = %v\nwant          %v", v.Permissions, ownerPerms)
			}
		})
	}
	t.Run("VendorHostNonMemberHasNoRoleNorPermissions", func(t *testing.T) {
		a := loginOK(t, hostOf(tn), authLogin, stranger.Email)
		if a.Vendor == nil || a.Vendor.Member || a.Vendor.Role != nil || len(a.Vendor.Permissions) != 0 {
			t.Fatalf("vendor of a non-member = %+v, want member false, no role, no permissions", a.Vendor)
		}
	})
	t.Run("EmailIsCaseInsensitive", func(t *testing.T) {
		a := loginOK(t, base, authLogin, "  "+strings.ToUpper(owner.Email)+" ")
		if a.User.ID != owner.ID {
			t.Fatalf("signed in as %d, want %d", a.User.ID, owner.ID)
		}
	})

	t.Run("WrongPasswordAndUnknownEmailLookTheSame", func(t *testing.T) {
		victim := ts.user(t, authEmail("victim"))
		noCookies := func(t testing.TB, r *resp) {
			if r.cookie(refreshCookie) != nil || r.cookie(csrfCookie) != nil {
				t.Errorf("a failed login set session cookies")
			}
		}
		wrong := sc.send(t, scenario{name: "WrongPassword", method: "POST", path: authLogin, body: authLoginBody(victim.Email, "not the password at all", true),
			wantStatus: http.StatusUnauthorized, wantCode: "invalid_credentials", want: []string{"invalid email or password"}, check: noCookies})
		unknown := sc.send(t, scenario{name: "UnknownEmail", method: "POST", path: authLogin, body: authLoginBody(authEmail("nobody"), testPassword, true),
			wantStatus: http.StatusUnauthorized, wantCode: "invalid_credentials", check: noCookies})
		if a, b := authErrorShape(t, wrong), authErrorShape(t, unknown); a != b {
			t.Errorf("the answers differ:\nwrong password: %s\nunknown email:  %s", a, b)
		}
	})

	// namesExactly checks that a refusal names each of fields, and no other.
	namesExactly := func(fields ...string) func(t testing.TB, r *resp) {
		return func(t testing.TB, r *resp) {
			t.Helper()
			f := authFields(t, r)
			for _, name := range fields {
				if f[name] == "" {
					t.Errorf("fields %v do not name %q", f, name)
				}
			}
			if len(f) != len(fields) {
				t.Errorf("fields %v, want exactly %v", f, fields)
			}
		}
	}
	missing := func(name string, body any, fields ...string) scenario {
		return scenario{name: name, method: "POST", path: authLogin, body: body, wantStatus: http.StatusBadRequest, check: namesExactly(fields...)}
	}
	t.Run("MissingFieldsAreNamed", func(t *testing.T) {
		sc.run(t, false, []scenario{
			missing("NoEmail", map[string]any{"password": testPassword}, "email"),
			missing("NoPassword", map[string]any{"email": owner.Email}, "password"),
			missing("BlankEmail", map[string]any{"email": "   ", "password": testPassword}, "email"),
			missing("Neither", map[string]any{}, "email", "password"),
			missing("UnknownField", map[string]any{"email": owner.Email, "password": testPassword, "remember": true}, "remember"),
			missing("PasswordNotAString", map[string]any{"email": owner.Email, "password": 12345}, "password"),
		})
	})
	sc.run(t, false, []scenario{{name: "NoBodyIs400", method: "POST", path: authLogin, wantStatus: http.StatusBadRequest}})
}
