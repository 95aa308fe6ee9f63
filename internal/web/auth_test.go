package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bazaar/bazaar/ent/platform/auditevent"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

const (
	authLogin   = "/api/v1/auth/login"
	authRefresh = "/api/v1/auth/refresh"
	authLogout  = "/api/v1/auth/logout"
	authMe      = "/api/v1/auth/me"
	authReset   = "/api/v1/auth/password-reset"
	authConfirm = "/api/v1/auth/password-reset/confirm"
)

// authEmail is an address no other test of the package uses.
func authEmail(prefix string) string { return tenanttest.Slug(prefix) + "@example.com" }

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

func authFields(t *testing.T, r *resp) map[string]string {
	t.Helper()
	var e errorBody
	r.decode(t, &e)
	return e.Error.Fields
}

func authLoginBody(email, password string, inBody bool) map[string]any {
	return map[string]any{"email": email, "password": password, "refresh_in_body": inBody}
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

// authToken signs an access token by hand: claims as the server issues them
// for (userID, sid), changed by mod, under key (nil: unsigned with alg none).
func authToken(t *testing.T, method jwt.SigningMethod, key *identity.Key, userID, sid int, mod func(c jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{
		"iss": "bazaar-test", "sub": strconv.Itoa(userID), "aud": []string{"bazaar-api"},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "sid": sid,
	}
	if mod != nil {
		mod(c)
	}
	tok := jwt.NewWithClaims(method, c)
	if key != nil {
		tok.Header["kid"] = key.ID
		s, err := tok.SignedString(key.Secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": testKey.ID})
	p, _ := json.Marshal(c)
	b64 := base64.RawURLEncoding
	return b64.EncodeToString(h) + "." + b64.EncodeToString(p) + "."
}

// authSessionID is the sid claim of an access token.
func authSessionID(t *testing.T, access string) int {
	t.Helper()
	var c identity.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(access, &c); err != nil {
		t.Fatal(err)
	}
	return c.SID
}

func TestTokensOverHTTP(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	u := ts.user(t, authEmail("tokens"))
	s := ts.login(t, base, u.Email)
	sid := authSessionID(t, s.access)
	segs := strings.Split(s.access, ".")
	otherKey := identity.Key{ID: testKey.ID, Secret: []byte("not-the-test-signing-key-0123456789abc")}
	unknownKid := identity.Key{ID: "k9", Secret: testKey.Secret}

	tests := []struct {
		name       string
		header     string // Authorization
		wantStatus int
	}{
		{"ValidToken", "Bearer " + s.access, 200},
		{"HandSignedWithTestKey", "Bearer " + authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, nil), 200},
		{"RetiredKeyStillVerifies", "Bearer " + authToken(t, jwt.SigningMethodHS256, &oldKey, u.ID, sid, nil), 200},
		{"LowerCaseScheme", "bearer " + s.access, 200},
		{"Expired", "Bearer " + authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-time.Hour).Unix(), time.Now().Add(-45*time.Minute).Unix()
		}), 401},
		{"TamperedPayload", "Bearer " + segs[0] + "." + authFlip(segs[1]) + "." + segs[2], 401},
		{"TamperedSignature", "Bearer " + segs[0] + "." + segs[1] + "." + authFlip(segs[2]), 401},
		{"AlgNone", "Bearer " + authToken(t, jwt.SigningMethodNone, nil, u.ID, sid, nil), 401},
		{"HS512WithTheRightSecret", "Bearer " + authToken(t, jwt.SigningMethodHS512, &testKey, u.ID, sid, nil), 401},
		{"WrongKey", "Bearer " + authToken(t, jwt.SigningMethodHS256, &otherKey, u.ID, sid, nil), 401},
		{"UnknownKid", "Bearer " + authToken(t, jwt.SigningMethodHS256, &unknownKid, u.ID, sid, nil), 401},
		{"WrongAudience", "Bearer " + authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, func(c jwt.MapClaims) { c["aud"] = "other" }), 401},
		{"SessionOfNobody", "Bearer " + authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, 0, nil), 401},
		{"Garbage", "Bearer garbage", 401},
		{"BasicScheme", "Basic x", 401},
		{"BearerWithoutToken", "Bearer ", 401},
		{"TokenWithoutScheme", s.access, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, req{method: "GET", host: base, path: authMe, header: map[string]string{"Authorization": tt.header}})
			if r.status != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if tt.wantStatus == 401 && r.code() != "invalid_token" {
				t.Fatalf("code %q, want invalid_token (%s)", r.code(), r.body)
			}
			if tt.wantStatus == 200 {
				var me struct {
					User struct {
						ID int `json:"id"`
					} `json:"user"`
				}
				r.decode(t, &me)
				if me.User.ID != u.ID {
					t.Fatalf("me = user %d, want %d", me.User.ID, u.ID)
				}
			}
		})
	}
	t.Run("NoTokenIsUnauthenticated", func(t *testing.T) {
		r := ts.do(t, req{method: "GET", host: base, path: authMe})
		if r.status != 401 || r.code() != "unauthenticated" {
			t.Fatalf("me without a token = %d %s, want 401 unauthenticated", r.status, r.body)
		}
	})
}

// authFlip changes one character in the middle of a base64url segment.
func authFlip(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// authRefreshed is the answer to a refresh or login.
type authRefreshed struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	CSRFToken    string `json:"csrf_token"`
}

func (ts *testServer) authMeStatus(t *testing.T, host, access string) int {
	t.Helper()
	return ts.do(t, req{method: "GET", host: host, path: authMe, token: access}).status
}

func TestRefreshRotation(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	u := ts.user(t, authEmail("rotate"))
	s := ts.login(t, base, u.Email)
	sid := authSessionID(t, s.access)
	if got := ts.authMeStatus(t, base, s.access); got != 200 {
		t.Fatalf("fresh access token: %d", got)
	}

	r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": s.refresh}})
	if r.status != 200 {
		t.Fatalf("refresh = %d %s, want 200", r.status, r.body)
	}
	var next authRefreshed
	r.decode(t, &next)
	if next.RefreshToken == "" || next.RefreshToken == s.refresh || next.AccessToken == "" {
		t.Fatalf("refresh did not rotate: old %q new %q", s.refresh, next.RefreshToken)
	}
	if r.cookie(refreshCookie) != nil {
		t.Fatal("an API-client refresh set a refresh cookie")
	}
	if got := authSessionID(t, next.AccessToken); got != sid {
		t.Fatalf("the new access token belongs to session %d, want %d", got, sid)
	}
	if got := ts.authMeStatus(t, base, next.AccessToken); got != 200 {
		t.Fatalf("the new access token is refused: %d", got)
	}

	// The spent token comes back: someone else holds it.
	r = ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": s.refresh}})
	if r.status != 401 || r.code() != "invalid_refresh_token" {
		t.Fatalf("reused refresh token = %d %s, want 401 invalid_refresh_token", r.status, r.body)
	}
	t.Run("LastAccessTokenIsRefusedAtOnce", func(t *testing.T) {
		if got := ts.authMeStatus(t, base, next.AccessToken); got != 401 {
			t.Fatalf("access token of the revoked session on the next request: %d, want 401", got)
		}
	})
	t.Run("NewRefreshTokenDiesWithTheFamily", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": next.RefreshToken}})
		if r.status != 401 || r.code() != "invalid_refresh_token" {
			t.Fatalf("refresh with the newest token of a revoked family = %d %s, want 401", r.status, r.body)
		}
	})
	t.Run("FirstAccessTokenIsRefused", func(t *testing.T) {
		if got := ts.authMeStatus(t, base, s.access); got != 401 {
			t.Fatalf("first access token of the revoked session: %d, want 401", got)
		}
	})
	t.Run("ReuseIsAudited", func(t *testing.T) {
		ev, err := ts.db.Platform().AuditEvent.Query().
			Where(auditevent.Action("auth.refresh_token_reused"), auditevent.TargetID(strconv.Itoa(sid))).
			All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ev) != 1 || ev[0].ActorID == nil || *ev[0].ActorID != u.ID || ev[0].TargetType != "session" {
			t.Fatalf("audit events for the reuse: %+v, want one by user %d on session %d", ev, u.ID, sid)
		}
	})
	t.Run("OtherSessionsOfTheUserLive", func(t *testing.T) {
		// The family is the session, not the user.
		other := ts.login(t, base, u.Email)
		if got := ts.authMeStatus(t, base, other.access); got != 200 {
			t.Fatalf("a new session after the revocation: %d", got)
		}
	})
	t.Run("UnknownRefreshTokenIsRefused", func(t *testing.T) {
		for _, tok := range []string{"made-up", strings.Repeat("x", 101)} {
			r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": tok}})
			if r.status != 401 || r.code() != "invalid_refresh_token" {
				t.Errorf("refresh %q = %d %s, want 401 invalid_refresh_token", tok[:8], r.status, r.body)
			}
		}
	})
}

// authBrowserLogin signs in as a browser does (refresh token in a cookie).
func (ts *testServer) authBrowserLogin(t *testing.T, host, path, email string) (*resp, authRefreshed) {
	t.Helper()
	r := ts.do(t, req{method: "POST", host: host, path: path, body: map[string]any{"email": email, "password": testPassword}})
	if r.status != 200 {
		t.Fatalf("browser login = %d %s", r.status, r.body)
	}
	var a authRefreshed
	r.decode(t, &a)
	return r, a
}

// authCookieAlive: a Set-Cookie that does not delete the cookie.
func authCookieAlive(c *http.Cookie) bool {
	return c != nil && c.Value != "" && c.MaxAge >= 0 && (c.Expires.IsZero() || c.Expires.After(time.Now()))
}

func TestAuthCookieSession(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	u := ts.user(t, authEmail("cookie"))

	login, a := ts.authBrowserLogin(t, base, authLogin, u.Email)
	rc, cc := login.cookie(refreshCookie), login.cookie(csrfCookie)
	t.Run("LoginSetsHardenedRefreshCookie", func(t *testing.T) {
		if !authCookieAlive(rc) {
			t.Fatalf("refresh cookie = %+v", rc)
		}
		if !rc.HttpOnly || rc.Path != "/api/v1/auth" || rc.SameSite != http.SameSiteStrictMode {
			t.Fatalf("refresh cookie HttpOnly %v Path %q SameSite %v, want true /api/v1/auth Strict", rc.HttpOnly, rc.Path, rc.SameSite)
		}
		if rc.Secure {
			t.Fatal("refresh cookie Secure without SecureCookies")
		}
	})
	t.Run("LoginSetsReadableCSRFCookieEchoedInBody", func(t *testing.T) {
		if !authCookieAlive(cc) || cc.HttpOnly || cc.SameSite != http.SameSiteStrictMode {
			t.Fatalf("csrf cookie = %+v, want readable by scripts and SameSite Strict", cc)
		}
		if a.CSRFToken == "" || cc.Value != a.CSRFToken {
			t.Fatalf("csrf_token %q, cookie %q: want equal and non-empty", a.CSRFToken, cc.Value)
		}
	})
	t.Run("BodyHasNoRefreshToken", func(t *testing.T) {
		var m map[string]any
		login.decode(t, &m)
		if _, ok := m["refresh_token"]; ok {
			t.Fatalf("browser login body carries refresh_token: %s", login.body)
		}
		if strings.Contains(string(login.body), rc.Value) {
			t.Fatal("browser login body contains the refresh cookie's value")
		}
	})
	t.Run("SecureCookiesOption", func(t *testing.T) {
		opts := defaultOptions()
		opts.SecureCookies = true
		sts := start(t, db, setup{opts: opts})
		r, _ := sts.authBrowserLogin(t, base, authLogin, u.Email)
		if c := r.cookie(refreshCookie); c == nil || !c.Secure {
			t.Fatalf("refresh cookie with SecureCookies: %+v, want Secure", c)
		}
		if c := r.cookie(csrfCookie); c == nil || !c.Secure {
			t.Fatalf("csrf cookie with SecureCookies: %+v, want Secure", c)
		}
	})
	t.Run("PathFormVendorScopesTheCookieToItsBase", func(t *testing.T) {
		tn := tenanttest.Tenant(t, db, "cookiepath")
		r, _ := ts.authBrowserLogin(t, base, "/vendor/"+tn.Slug+authLogin, u.Email)
		if c := r.cookie(refreshCookie); c == nil || c.Path != "/vendor/"+tn.Slug+"/api/v1/auth" {
			t.Fatalf("refresh cookie on the path-form vendor: %+v, want Path /vendor/%s/api/v1/auth", c, tn.Slug)
		}
	})

	// CSRF: a cookie-authenticated refresh needs the double submit.
	fresh := func(t *testing.T) (*http.Cookie, *http.Cookie) {
		t.Helper()
		r, _ := ts.authBrowserLogin(t, base, authLogin, u.Email)
		return r.cookie(refreshCookie), r.cookie(csrfCookie)
	}
	t.Run("CSRF", func(t *testing.T) {
		rc, cc := fresh(t)
		tests := []struct {
			name       string
			header     map[string]string
			cookies    []*http.Cookie
			wantStatus int
			wantCode   string
		}{
			{"NoHeader", nil, []*http.Cookie{rc, cc}, 403, "csrf"},
			{"WrongHeader", map[string]string{csrfHeader: "x" + cc.Value[1:]}, []*http.Cookie{rc, cc}, 403, "csrf"},
			{"HeaderWithoutCSRFCookie", map[string]string{csrfHeader: cc.Value}, []*http.Cookie{rc}, 403, "csrf"},
			{"ForeignOrigin", map[string]string{csrfHeader: cc.Value, "Origin": "http://evil.example"}, []*http.Cookie{rc, cc}, 403, "csrf"},
			{"SiblingVendorOrigin", map[string]string{csrfHeader: cc.Value, "Origin": "http://other." + base}, []*http.Cookie{rc, cc}, 403, "csrf"},
			{"NullOrigin", map[string]string{csrfHeader: cc.Value, "Origin": "null"}, []*http.Cookie{rc, cc}, 403, "csrf"},
			{"CrossSiteFetch", map[string]string{csrfHeader: cc.Value, "Sec-Fetch-Site": "cross-site"}, []*http.Cookie{rc, cc}, 403, "csrf"},
			{"NoRefreshCookie", map[string]string{csrfHeader: cc.Value}, []*http.Cookie{cc}, 401, "invalid_refresh_token"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.do(t, req{method: "POST", host: base, path: authRefresh, header: tt.header, cookies: tt.cookies})
				if r.status != tt.wantStatus || r.code() != tt.wantCode {
					t.Fatalf("refresh = %d %s, want %d %s", r.status, r.body, tt.wantStatus, tt.wantCode)
				}
			})
		}
		// None of the refused attempts spent the token.
		t.Run("SameOriginWithHeaderRotates", func(t *testing.T) {
			r := ts.do(t, req{method: "POST", host: base, path: authRefresh, cookies: []*http.Cookie{rc, cc},
				header: map[string]string{csrfHeader: cc.Value, "Origin": "http://" + base, "Sec-Fetch-Site": "same-origin"}})
			if r.status != 200 {
				t.Fatalf("refresh = %d %s, want 200", r.status, r.body)
			}
			nrc := r.cookie(refreshCookie)
			if !authCookieAlive(nrc) || nrc.Value == rc.Value || !nrc.HttpOnly || nrc.Path != "/api/v1/auth" {
				t.Fatalf("new refresh cookie %+v, want a fresh HttpOnly one on /api/v1/auth", nrc)
			}
			var out authRefreshed
			r.decode(t, &out)
			if out.RefreshToken != "" || out.AccessToken == "" || out.CSRFToken == "" {
				t.Fatalf("refresh body %s: want an access token and a csrf token, no refresh token", r.body)
			}
			if ncc := r.cookie(csrfCookie); ncc == nil || ncc.Value != out.CSRFToken {
				t.Fatalf("csrf cookie %+v does not match csrf_token %q", ncc, out.CSRFToken)
			}
		})
	})

	t.Run("LogoutClearsCookiesAndEndsTheSession", func(t *testing.T) {
		rc, cc := fresh(t)
		r := ts.do(t, req{method: "POST", host: base, path: authLogout, cookies: []*http.Cookie{rc, cc}, header: map[string]string{csrfHeader: cc.Value}})
		if r.status != 204 {
			t.Fatalf("logout = %d %s, want 204", r.status, r.body)
		}
		for _, name := range []string{refreshCookie, csrfCookie} {
			c := r.cookie(name)
			if c == nil || authCookieAlive(c) {
				t.Errorf("logout did not clear %s: %+v", name, c)
			}
		}
		if c := r.cookie(refreshCookie); c != nil && c.Path != "/api/v1/auth" {
			t.Errorf("refresh cookie cleared on path %q: the browser keeps the one on /api/v1/auth", c.Path)
		}
		again := ts.do(t, req{method: "POST", host: base, path: authRefresh, cookies: []*http.Cookie{rc, cc}, header: map[string]string{csrfHeader: cc.Value}})
		if again.status != 401 || again.code() != "invalid_refresh_token" {
			t.Fatalf("refresh after logout = %d %s, want 401 invalid_refresh_token", again.status, again.body)
		}
	})
	t.Run("LogoutWithoutCSRFIsRefused", func(t *testing.T) {
		rc, cc := fresh(t)
		r := ts.do(t, req{method: "POST", host: base, path: authLogout, cookies: []*http.Cookie{rc, cc}})
		if r.status != 403 || r.code() != "csrf" {
			t.Fatalf("logout without CSRF header = %d %s, want 403 csrf", r.status, r.body)
		}
		ok := ts.do(t, req{method: "POST", host: base, path: authRefresh, cookies: []*http.Cookie{rc, cc}, header: map[string]string{csrfHeader: cc.Value}})
		if ok.status != 200 {
			t.Fatalf("the session did not survive a refused logout: %d %s", ok.status, ok.body)
		}
	})
}

func TestAuthLogout(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	u := ts.user(t, authEmail("logout"))

	// Each case signs in, uses the access token once (so the server holds
	// the user's state), signs out, and expects the access token to be
	// refused on the very next request.
	tests := []struct {
		name   string
		logout func(s session) req
	}{
		{"RefreshTokenInBody", func(s session) req {
			return req{method: "POST", host: base, path: authLogout, body: map[string]string{"refresh_token": s.refresh}}
		}},
		{"AccessTokenOnly", func(s session) req {
			return req{method: "POST", host: base, path: authLogout, token: s.access}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 10 {
				s := ts.login(t, base, u.Email)
				if got := ts.authMeStatus(t, base, s.access); got != 200 {
					t.Fatalf("round %d: fresh access token: %d", i, got)
				}
				if r := ts.do(t, tt.logout(s)); r.status != 204 {
					t.Fatalf("round %d: logout = %d %s, want 204", i, r.status, r.body)
				}
				if got := ts.authMeStatus(t, base, s.access); got != 401 {
					t.Fatalf("round %d: access token right after logout: %d, want 401", i, got)
				}
				r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": s.refresh}})
				if r.status != 401 {
					t.Fatalf("round %d: refresh after logout = %d %s, want 401", i, r.status, r.body)
				}
			}
		})
	}
	t.Run("OtherSessionSurvives", func(t *testing.T) {
		keep := ts.login(t, base, u.Email)
		gone := ts.login(t, base, u.Email)
		if r := ts.do(t, req{method: "POST", host: base, path: authLogout, body: map[string]string{"refresh_token": gone.refresh}}); r.status != 204 {
			t.Fatalf("logout = %d", r.status)
		}
		if got := ts.authMeStatus(t, base, keep.access); got != 200 {
			t.Fatalf("the other session's access token: %d, want 200", got)
		}
	})
	t.Run("UnknownRefreshTokenIsNoError", func(t *testing.T) {
		if r := ts.do(t, req{method: "POST", host: base, path: authLogout, body: map[string]string{"refresh_token": "made-up"}}); r.status != 204 {
			t.Fatalf("logout with an unknown token = %d %s, want 204", r.status, r.body)
		}
	})
}

// authForwarded is a login from client address ip (the test client is a
// trusted proxy).
func authForwarded(ip, email, password string) req {
	return req{method: "POST", host: base, path: authLogin, body: authLoginBody(email, password, true),
		header: map[string]string{"X-Forwarded-For": ip}}
}

func authRetryAfter(t *testing.T, r *resp) int {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q, want a positive number of seconds", r.header.Get("Retry-After"))
	}
	return n
}

func TestBruteForce(t *testing.T) {
	db := tenanttest.Open(t)
	opts := defaultOptions()
	opts.TrustedProxies = []string{"127.0.0.1"}

	t.Run("AccountIsThrottledAcrossAddresses", func(t *testing.T) {
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.AccountFailures, o.Throttle.BackoffBase = 5, time.Minute
		}})
		x := ts.user(t, authEmail("target"))
		y := ts.user(t, authEmail("bystander"))
		// Every answer is checked, and the subtests below still run when one
		// is wrong, so a report shows the whole picture.
		var got []string
		for i := range 100 {
			r := ts.do(t, authForwarded(fmt.Sprintf("10.%d.%d.1", i/250, i%250), x.Email, "wrong password number "+strconv.Itoa(i)))
			got = append(got, fmt.Sprintf("%d %s", r.status, r.code()))
			if r.status == 429 {
				if n := authRetryAfter(t, r); n > 3600 {
					t.Errorf("attempt %d: Retry-After %d beyond backoff_max", i+1, n)
				}
			}
		}
		for i, g := range got {
			want := "429 too_many_attempts"
			if i < 5 {
				want = "401 invalid_credentials"
			}
			if g != want {
				t.Errorf("wrong password, attempt %d from a fresh address = %s, want %s", i+1, g, want)
			}
		}
		t.Run("RightPasswordIsStillThrottled", func(t *testing.T) {
			r := ts.do(t, authForwarded("192.0.2.1", x.Email, testPassword))
			if r.status != 429 || r.code() != "too_many_attempts" {
				t.Fatalf("right password while blocked = %d %s, want 429", r.status, r.body)
			}
			authRetryAfter(t, r)
		})
		t.Run("OtherAccountSignsIn", func(t *testing.T) {
			if r := ts.do(t, authForwarded("10.0.0.1", y.Email, testPassword)); r.status != 200 {
				t.Fatalf("bystander login = %d %s, want 200", r.status, r.body)
			}
		})
		t.Run("FailuresAreAudited", func(t *testing.T) {
			n, err := ts.db.Platform().AuditEvent.Query().
				Where(auditevent.Action("auth.login_failed"), auditevent.TargetID(x.Email)).
				Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n < 5 {
				t.Fatalf("%d auth.login_failed events for the target, want at least 5", n)
			}
		})
	})

	t.Run("UnknownEmailIsThrottledTheSame", func(t *testing.T) {
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.AccountFailures, o.Throttle.BackoffBase = 5, time.Minute
		}})
		ghost := authEmail("ghost")
		for i := range 7 {
			r := ts.do(t, authForwarded(fmt.Sprintf("10.9.%d.1", i), ghost, "whatever password"))
			want := "401 invalid_credentials"
			if i >= 5 {
				want = "429 too_many_attempts"
			}
			if got := fmt.Sprintf("%d %s", r.status, r.code()); got != want {
				t.Errorf("attempt %d on an unknown email = %s, want %s", i+1, got, want)
			}
		}
	})

	t.Run("PerAddressLimit", func(t *testing.T) {
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.IPAttempts, o.Throttle.IPWindow = 3, time.Hour
		}})
		u := ts.user(t, authEmail("perip"))
		const a, b = "198.51.100.7", "198.51.100.8"
		for i := range 3 {
			if r := ts.do(t, authForwarded(a, u.Email, testPassword)); r.status != 200 {
				t.Fatalf("attempt %d from %s = %d %s, want 200", i+1, a, r.status, r.body)
			}
		}
		r := ts.do(t, authForwarded(a, u.Email, testPassword))
		if r.status != 429 || r.code() != "too_many_attempts" {
			t.Fatalf("4th attempt from one address = %d %s, want 429", r.status, r.body)
		}
		authRetryAfter(t, r)
		if r := ts.do(t, authForwarded(b, u.Email, "a wrong password")); r.status != 401 || r.code() != "invalid_credentials" {
			t.Fatalf("other address, wrong password = %d %s, want 401", r.status, r.body)
		}
		if r := ts.do(t, authForwarded(b, u.Email, testPassword)); r.status != 200 {
			t.Fatalf("other address, right password = %d %s, want 200", r.status, r.body)
		}
		// The first address stays limited however requests from others
		// interleave with its own.
		if r := ts.do(t, authForwarded(a, u.Email, testPassword)); r.status != 429 {
			t.Fatalf("5th attempt from %s after others' requests = %d %s, want 429", a, r.status, r.body)
		}
	})

	t.Run("PerAddressLimitHoldsAcrossConnections", func(t *testing.T) {
		// A proxy sends many clients' requests over each of its connections.
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.IPAttempts, o.Throttle.IPWindow = 3, time.Hour
		}})
		second := *ts // the same server through a connection of its own
		second.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
		t.Cleanup(second.client.CloseIdleConnections)
		u := ts.user(t, authEmail("conns"))
		const a, c = "198.51.100.17", "198.51.100.19" // same length
		for i := range 3 {
			if r := ts.do(t, authForwarded(a, u.Email, testPassword)); r.status != 200 {
				t.Fatalf("attempt %d from %s = %d %s, want 200", i+1, a, r.status, r.body)
			}
		}
		if r := ts.do(t, authForwarded(c, u.Email, testPassword)); r.status != 200 {
			t.Fatalf("first attempt from %s = %d %s, want 200", c, r.status, r.body)
		}
		if r := second.do(t, authForwarded(a, u.Email, testPassword)); r.status != 429 {
			t.Fatalf("4th attempt from %s, over another connection = %d %s, want 429", a, r.status, r.body)
		}
	})

	t.Run("PerAddressLimitIsNotResetByRotatingSpoofedForwardedFor", func(t *testing.T) {
		// Behind a proxy that appends the peer's address, the client
		// controls everything left of the last entry; the address to count
		// is the one the trusted proxy appended.
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.IPAttempts, o.Throttle.IPWindow = 3, time.Hour
		}})
		u := ts.user(t, authEmail("spoof"))
		const client = "203.0.113.50"
		for i := range 3 {
			r := ts.do(t, authForwarded("10.66.0."+strconv.Itoa(i+1)+", "+client, u.Email, testPassword))
			if r.status != 200 {
				t.Fatalf("attempt %d = %d %s, want 200", i+1, r.status, r.body)
			}
		}
		r := ts.do(t, authForwarded("10.66.0.99, "+client, u.Email, testPassword))
		if r.status != 429 {
			t.Fatalf("4th attempt by %s with a new spoofed prefix = %d %s, want 429", client, r.status, r.body)
		}
	})
}

func TestPasswordReset(t *testing.T) {
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr})
	u := ts.user(t, authEmail("reset"))
	const newPassword = "a brand new passphrase 42"

	// requestLink asks for a reset of u and returns the one link mailed.
	seen := 0
	requestLink := func(t *testing.T) string {
		t.Helper()
		r := ts.do(t, req{method: "POST", host: base, path: authReset, body: map[string]string{"email": strings.ToUpper(u.Email)}})
		if r.status != 202 {
			t.Fatalf("reset request = %d %s, want 202", r.status, r.body)
		}
		ts.flushMail(t)
		msgs := smtp.To(u.Email)
		if len(msgs) != seen+1 {
			t.Fatalf("%d mails to %s after a request, want %d", len(msgs), u.Email, seen+1)
		}
		seen++
		return msgs[len(msgs)-1].Link()
	}
	tokenOf := func(t *testing.T, link string) string {
		t.Helper()
		l, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		if l.Host != base || l.Path != "/reset-password" || l.Query().Get("token") == "" {
			t.Fatalf("link %q, want http://%s/reset-password?token=...", link, base)
		}
		return l.Query().Get("token")
	}

	t.Run("UnknownEmailAnswers202AndSendsNothing", func(t *testing.T) {
		ghost := authEmail("ghost")
		r := ts.do(t, req{method: "POST", host: base, path: authReset, body: map[string]string{"email": ghost}})
		if r.status != 202 {
			t.Fatalf("reset for an unknown email = %d %s, want 202", r.status, r.body)
		}
		if n := ts.flushMail(t); n != 0 {
			t.Fatalf("%d mails went out for an unknown email", n)
		}
		if len(smtp.To(ghost)) != 0 {
			t.Fatal("a mail reached the unknown address")
		}
		known := ts.do(t, req{method: "POST", host: base, path: authReset, body: map[string]string{"email": u.Email}})
		if known.status != r.status || string(known.body) != string(r.body) {
			t.Fatalf("answers for an unknown and a known email differ: %d %s vs %d %s", r.status, r.body, known.status, known.body)
		}
		ts.flushMail(t)
		seen = len(smtp.To(u.Email))
	})
	t.Run("InvalidEmailIs400", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authReset, body: map[string]string{"email": "not an email"}})
		if r.status != 400 || authFields(t, r)["email"] == "" {
			t.Fatalf("reset with a malformed email = %d %s, want 400 naming email", r.status, r.body)
		}
	})

	old := ts.login(t, base, u.Email)
	if got := ts.authMeStatus(t, base, old.access); got != 200 {
		t.Fatalf("access token before the reset: %d", got)
	}
	link := requestLink(t)
	token := tokenOf(t, link)

	t.Run("LinkOpensTheForm", func(t *testing.T) {
		l, _ := url.Parse(link)
		r := ts.do(t, req{method: "GET", host: l.Host, path: l.RequestURI(), header: map[string]string{"Accept": "text/html"}})
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("reset page = %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		body := string(r.body)
		for _, want := range []string{"<form", "/api/v1/auth/password-reset/confirm", `name="password"`, `value="` + token + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("reset page lacks %q", want)
			}
		}
		if r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("Referrer-Policy %q: the token could leak to other sites", r.header.Get("Referrer-Policy"))
		}
	})

	t.Run("TooShortPasswordIsRefusedWithoutSpendingTheToken", func(t *testing.T) {
		for _, pw := range []string{"short", strings.ToUpper(u.Email)} {
			r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": token, "password": pw}})
			if r.status != 400 || authFields(t, r)["password"] == "" {
				t.Fatalf("confirm with password %q = %d %s, want 400 naming password", pw, r.status, r.body)
			}
		}
	})

	r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": token, "password": newPassword}})
	if r.status != 200 {
		t.Fatalf("confirm = %d %s, want 200", r.status, r.body)
	}

	t.Run("OldAccessTokenIsRefused", func(t *testing.T) {
		if got := ts.authMeStatus(t, base, old.access); got != 401 {
			t.Fatalf("access token issued before the reset: %d, want 401", got)
		}
	})
	t.Run("OldRefreshTokenIsRefused", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": old.refresh}})
		if r.status != 401 {
			t.Fatalf("refresh token issued before the reset = %d %s, want 401", r.status, r.body)
		}
	})
	t.Run("NewPasswordSignsInOldDoesNot", func(t *testing.T) {
		if r := ts.do(t, req{method: "POST", host: base, path: authLogin, body: authLoginBody(u.Email, testPassword, true)}); r.status != 401 {
			t.Fatalf("old password = %d %s, want 401", r.status, r.body)
		}
		r := ts.do(t, req{method: "POST", host: base, path: authLogin, body: authLoginBody(u.Email, newPassword, true)})
		if r.status != 200 {
			t.Fatalf("new password = %d %s, want 200", r.status, r.body)
		}
		var a authRefreshed
		r.decode(t, &a)
		if got := ts.authMeStatus(t, base, a.AccessToken); got != 200 {
			t.Fatalf("access token of a sign-in after the reset: %d, want 200", got)
		}
	})
	t.Run("TokenIsSingleUse", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": token, "password": "yet another passphrase"}})
		if r.status != 400 || r.code() != "invalid_reset_token" {
			t.Fatalf("second confirm = %d %s, want 400 invalid_reset_token", r.status, r.body)
		}
	})
	t.Run("MadeUpTokenIsRefused", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": "made-up", "password": "yet another passphrase"}})
		if r.status != 400 || r.code() != "invalid_reset_token" {
			t.Fatalf("confirm with a made-up token = %d %s, want 400 invalid_reset_token", r.status, r.body)
		}
	})
	t.Run("ConfirmingOneLinkSpendsTheOthers", func(t *testing.T) {
		first, second := tokenOf(t, requestLink(t)), tokenOf(t, requestLink(t))
		if r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": second, "password": "the third passphrase"}}); r.status != 200 {
			t.Fatalf("confirm = %d %s", r.status, r.body)
		}
		r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": first, "password": "the fourth passphrase"}})
		if r.status != 400 || r.code() != "invalid_reset_token" {
			t.Fatalf("older link after a reset = %d %s, want 400 invalid_reset_token", r.status, r.body)
		}
	})
	t.Run("ForeignHostGetsNoLink", func(t *testing.T) {
		before := len(smtp.To(u.Email))
		r := ts.do(t, req{method: "POST", host: "evil.example", path: authReset, body: map[string]string{"email": u.Email}})
		if r.status != 404 {
			t.Fatalf("reset request on a foreign host = %d %s, want 404", r.status, r.body)
		}
		ts.flushMail(t)
		if n := len(smtp.To(u.Email)); n != before {
			t.Fatalf("a reset requested on a foreign host sent %d mails", n-before)
		}
	})
}
