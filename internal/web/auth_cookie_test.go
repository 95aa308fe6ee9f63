package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// authBrowserLogin signs in as a browser does (refresh token in a cookie).
func (ts *testServer) authBrowserLogin(t *testing.T, host, path, email string) (*resp, authRefreshed) {
	t.Helper()
	r := ts.scenarios(host, nil).send(t, scenario{name: "browser login", method: "POST", path: path,
		body: map[string]any{"email": email, "password": testPassword}, wantStatus: http.StatusOK})
	var a authRefreshed
	r.decode(t, &a)
	return r, a
}

// authCookieAlive: a Set-Cookie that does not delete the cookie.
func authCookieAlive(c *http.Cookie) bool {
	return c != nil && c.Value != "" && c.MaxAge >= 0 && (c.Expires.IsZero() || c.Expires.After(time.Now()))
}

// authTampered is v with its first character changed: always different from
// v (prefixing a fixed letter would equal v once in 64 tokens).
func authTampered(v string) string {
	if v[0] == 'x' {
		return "y" + v[1:]
	}
	return "x" + v[1:]
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
	sc := ts.scenarios(base, nil)
	// refresh is a cookie-authenticated refresh with the given headers.
	refresh := func(name string, header map[string]string, cookies []*http.Cookie, wantStatus int, wantCode string) scenario {
		return scenario{name: name, method: "POST", path: authRefresh, header: header, cookies: cookies, wantStatus: wantStatus, wantCode: wantCode}
	}
	t.Run("CSRF", func(t *testing.T) {
		rc, cc := fresh(t)
		sc.run(t, false, []scenario{
			refresh("NoHeader", nil, []*http.Cookie{rc, cc}, 403, "csrf"),
			refresh("WrongHeader", map[string]string{csrfHeader: authTampered(cc.Value)}, []*http.Cookie{rc, cc}, 403, "csrf"),
			refresh("HeaderWithoutCSRFCookie", map[string]string{csrfHeader: cc.Value}, []*http.Cookie{rc}, 403, "csrf"),
			refresh("ForeignOrigin", map[string]string{csrfHeader: cc.Value, "Origin": "http://evil.example"}, []*http.Cookie{rc, cc}, 403, "csrf"),
			refresh("SiblingVendorOrigin", map[string]string{csrfHeader: cc.Value, "Origin": "http://other." + base}, []*http.Cookie{rc, cc}, 403, "csrf"),
			refresh("NullOrigin", map[string]string{csrfHeader: cc.Value, "Origin": "null"}, []*http.Cookie{rc, cc}, 403, "csrf"),
			refresh("CrossSiteFetch", map[string]string{csrfHeader: cc.Value, "Sec-Fetch-Site": "cross-site"}, []*http.Cookie{rc, cc}, 403, "csrf"),
			refresh("NoRefreshCookie", map[string]string{csrfHeader: cc.Value}, []*http.Cookie{cc}, 401, "invalid_refresh_token"),
		})
		// None of the refused attempts spent the token.
		sc.run(t, false, []scenario{{name: "SameOriginWithHeaderRotates", method: "POST", path: authRefresh, cookies: []*http.Cookie{rc, cc},
			header:     map[string]string{csrfHeader: cc.Value, "Origin": "http://" + base, "Sec-Fetch-Site": "same-origin"},
			wantStatus: http.StatusOK, check: func(t testing.TB, r *resp) {
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
			}}})
	})

	t.Run("LogoutClearsCookiesAndEndsTheSession", func(t *testing.T) {
		rc, cc := fresh(t)
		sc.send(t, scenario{name: "logout", method: "POST", path: authLogout, cookies: []*http.Cookie{rc, cc}, header: map[string]string{csrfHeader: cc.Value},
			wantStatus: http.StatusNoContent, check: func(t testing.TB, r *resp) {
				for _, name := range []string{refreshCookie, csrfCookie} {
					c := r.cookie(name)
					if c == nil || authCookieAlive(c) {
						t.Errorf("logout did not clear %s: %+v", name, c)
					}
				}
				if c := r.cookie(refreshCookie); c != nil && c.Path != "/api/v1/auth" {
					t.Errorf("refresh cookie cleared on path %q: the browser keeps the one on /api/v1/auth", c.Path)
				}
			}})
		sc.send(t, refresh("refresh after logout", map[string]string{csrfHeader: cc.Value}, []*http.Cookie{rc, cc}, 401, "invalid_refresh_token"))
	})
	t.Run("LogoutWithoutCSRFIsRefused", func(t *testing.T) {
		rc, cc := fresh(t)
		sc.send(t, scenario{name: "logout without CSRF header", method: "POST", path: authLogout, cookies: []*http.Cookie{rc, cc},
			wantStatus: http.StatusForbidden, wantCode: "csrf"})
		sc.send(t, refresh("the session survives a refused logout", map[string]string{csrfHeader: cc.Value}, []*http.Cookie{rc, cc}, 200, ""))
	})
}
