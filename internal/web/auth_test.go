package web

import "github.com/bazaar/bazaar/tenantdb/tenanttest"

// The identity routes' tests, a file per group of endpoints:
// auth_login_test.go (signing in), auth_throttle_test.go (brute force),
// auth_token_test.go (access tokens), auth_refresh_test.go (refresh rotation,
// logout), auth_cookie_test.go (browser sessions, CSRF), auth_reset_test.go
// (password reset by mail) and password_test.go (one's own password). Here is
// what they share.

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

func authLoginBody(email, password string, inBody bool) map[string]any {
	return map[string]any{"email": email, "password": password, "refresh_in_body": inBody}
}

// authRefreshed is the answer to a refresh or login.
type authRefreshed struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	CSRFToken    string `json:"csrf_token"`
}
