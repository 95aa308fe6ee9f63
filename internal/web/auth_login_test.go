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
func authErrorShape(t *testing.T, r *resp) string {
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

func TestLogin(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	tn := tenanttest.Tenant(t, db, "login")
	owner := ts.user(t, authEmail("owner"))
	ts.join(t, tn, owner.ID, "owner")
	stranger := ts.user(t, authEmail("stranger"))

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
		r := ts.do(t, req{method: "POST", host: host, path: path, body: authLoginBody(email, testPassword, true)})
		if r.status != http.StatusOK {
			t.Fatalf("login = %d %s, want 200", r.status, r.body)
		}
		var a loginAnswer
		r.decode(t, &a)
		if a.AccessToken == "" || a.RefreshToken == "" || a.TokenType != "Bearer" {
			t.Fatalf("login answer lacks tokens: %s", r.body)
		}
		if me := ts.do(t, req{method: "GET", host: host, path: authMe, token: a.AccessToken}); me.status != http.StatusOK {
			t.Fatalf("the access token of the login is refused: %d %s", me.status, me.body)
		}
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
		wrong := ts.do(t, req{method: "POST", host: base, path: authLogin, body: authLoginBody(victim.Email, "not the password at all", true)})
		unknown := ts.do(t, req{method: "POST", host: base, path: authLogin, body: authLoginBody(authEmail("nobody"), testPassword, true)})
		for name, r := range map[string]*resp{"wrong password": wrong, "unknown email": unknown} {
			if r.status != http.StatusUnauthorized || r.code() != "invalid_credentials" {
				t.Errorf("%s: %d %s, want 401 invalid_credentials", name, r.status, r.body)
			}
			if r.cookie(refreshCookie) != nil || r.cookie(csrfCookie) != nil {
				t.Errorf("%s: a failed login set session cookies", name)
			}
		}
		if a, b := authErrorShape(t, wrong), authErrorShape(t, unknown); a != b {
			t.Errorf("the answers differ:\nwrong password: %s\nunknown email:  %s", a, b)
		}
		if !strings.Contains(string(wrong.body), "invalid email or password") {
			t.Errorf("message of %s is not the generic one", wrong.body)
		}
	})

	t.Run("MissingFieldsAreNamed", func(t *testing.T) {
		tests := []struct {
			name       string
			body       any
			wantFields []string
		}{
			{"NoEmail", map[string]any{"password": testPassword}, []string{"email"}},
			{"NoPassword", map[string]any{"email": owner.Email}, []string{"password"}},
			{"BlankEmail", map[string]any{"email": "   ", "password": testPassword}, []string{"email"}},
			{"Neither", map[string]any{}, []string{"email", "password"}},
			{"UnknownField", map[string]any{"email": owner.Email, "password": testPassword, "remember": true}, []string{"remember"}},
			{"PasswordNotAString", map[string]any{"email": owner.Email, "password": 12345}, []string{"password"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.do(t, req{method: "POST", host: base, path: authLogin, body: tt.body})
				if r.status != http.StatusBadRequest {
					t.Fatalf("status %d %s, want 400", r.status, r.body)
				}
				f := authFields(t, r)
				for _, name := range tt.wantFields {
					if f[name] == "" {
						t.Errorf("fields %v do not name %q", f, name)
					}
				}
				if len(f) != len(tt.wantFields) {
					t.Errorf("fields %v, want exactly %v", f, tt.wantFields)
				}
			})
		}
	})
	t.Run("NoBodyIs400", func(t *testing.T) {
		if r := ts.do(t, req{method: "POST", host: base, path: authLogin}); r.status != http.StatusBadRequest {
			t.Fatalf("login without a body = %d %s, want 400", r.status, r.body)
		}
	})
}
