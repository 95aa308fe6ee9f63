package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/team"
)

// Browsers keep the refresh token in an HttpOnly cookie scoped to the auth
// path of the host they signed in on, and a readable CSRF cookie whose value
// they echo in X-CSRF-Token (double submit). API clients ask for the refresh
// token in the body instead and send it back in the body: no cookie, no CSRF.
const (
	refreshCookie = "bazaar_refresh"
	csrfCookie    = "bazaar_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// authHandlers are identity's routes: signing in and out, tokens, the
// user's own account and password, resets, and joining a shop from an
// invitation (register.go).
type authHandlers struct {
	caller
	identity *identity.Service
	team     *team.Service     // the user's shops (me), accepting an invitation (register)
	authz    *authz.Authorizer // the user's access in the host's shop
	// secureCookies marks the session cookies Secure; pathRouting and
	// baseDomain make the URLs of the user's shops (me).
	secureCookies bool
	pathRouting   bool
	baseDomain    string
}

// routes answer on every host: signing in works on the platform, on the
// admin site and on each shop (where the answer includes the user's
// permissions there).
func (h *authHandlers) routes() []route {
	return []route{
		{"POST", "/api/v1/auth/login", Public, noTx, h.login},
		{"POST", "/api/v1/auth/refresh", Public, noTx, h.refresh},
		{"POST", "/api/v1/auth/logout", Public, noTx, h.logout},
		{"GET", "/api/v1/auth/me", Authenticated, noTx, h.me},
		{"POST", "/api/v1/auth/password", Authenticated, noTx, h.changePassword},
		{"POST", "/api/v1/auth/password-reset", Public, noTx, h.requestReset},
		{"POST", "/api/v1/auth/password-reset/confirm", Public, noTx, h.confirmReset},
		{"GET", "/reset-password", Public, noTx, h.resetPasswordPage},
	}
}

func (h *authHandlers) authPath(c *fiber.Ctx) string {
	base := ""
	if site := siteOf(c); site != nil {
		base = site.BasePath
	}
	return base + "/api/v1/auth"
}

func (h *authHandlers) setSessionCookies(c *fiber.Ctx, t *identity.Tokens) string {
	csrf, _ := randomToken()
	c.Cookie(&fiber.Cookie{
		Name: refreshCookie, Value: t.RefreshToken, Path: h.authPath(c), Expires: t.RefreshExpiresAt,
		HTTPOnly: true, Secure: h.secureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
	c.Cookie(&fiber.Cookie{
		Name: csrfCookie, Value: csrf, Path: "/", Expires: t.RefreshExpiresAt,
		Secure: h.secureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
	return csrf
}

func (h *authHandlers) clearSessionCookies(c *fiber.Ctx) {
	for _, ck := range []*fiber.Cookie{
		{Name: refreshCookie, Path: h.authPath(c), HTTPOnly: true},
		{Name: csrfCookie, Path: "/"},
	} {
		ck.Expires = time.Unix(0, 0)
		ck.MaxAge = -1
		ck.Secure = h.secureCookies
		ck.SameSite = fiber.CookieSameSiteStrictMode
		c.Cookie(ck)
	}
}

var errCSRF = &fault.Error{Kind: fault.Forbidden, Code: "csrf", Message: "missing or wrong X-CSRF-Token for a cookie-authenticated request"}

// checkCSRF guards requests authenticated by cookie: the CSRF header must
// equal the CSRF cookie, and a browser's Origin, when sent, must be this host.
func checkCSRF(c *fiber.Ctx) error {
	cookie, header := c.Cookies(csrfCookie), c.Get(csrfHeader)
	if cookie == "" || len(cookie) != len(header) || subtle.ConstantTimeCompare([]byte(cookie), []byte(header)) != 1 {
		return errCSRF
	}
	if site := c.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errCSRF
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, requestHost(c)) {
			return errCSRF
		}
	}
	return nil
}

type loginRequest struct {
	Email         string `json:"email"`
	Password      string `json:"password"`
	RefreshInBody bool   `json:"refresh_in_body"` // API clients: return the refresh token in the body, set no cookie
}

type sessionResponse struct {
	User             *identity.User `json:"user,omitempty"`
	AccessToken      string         `json:"access_token"`
	AccessExpiresAt  time.Time      `json:"access_expires_at"`
	TokenType        string         `json:"token_type"`
	RefreshToken     string         `json:"refresh_token,omitempty"`
	RefreshExpiresAt *time.Time     `json:"refresh_expires_at,omitempty"`
	CSRFToken        string         `json:"csrf_token,omitempty"`
	Vendor           *vendorAccess  `json:"vendor,omitempty"`
}

// vendorAccess is the caller's standing in the vendor of the host.
type vendorAccess struct {
	ID          int           `json:"id"`
	Slug        string        `json:"slug"`
	Name        string        `json:"name"`
	Member      bool          `json:"member"`
	Role        *team.RoleRef `json:"role"`
	Permissions []string      `json:"permissions"`
}

func (h *authHandlers) respondSession(c *fiber.Ctx, status int, u *identity.User, t *identity.Tokens, inBody bool) error {
	out := sessionResponse{User: u, AccessToken: t.AccessToken, AccessExpiresAt: t.AccessExpiresAt, TokenType: "Bearer"}
	if inBody {
		out.RefreshToken, out.RefreshExpiresAt = t.RefreshToken, &t.RefreshExpiresAt
	} else {
		out.CSRFToken = h.setSessionCookies(c, t)
	}
	if u != nil {
		// A fresh sign-in or registration has read no policy version (and a
		// registration has just changed it): ask for the latest.
		va, err := h.vendorAccessOf(c, u.ID, authz.Latest)
		if err != nil {
			return err
		}
		out.Vendor = va
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(out)
}

// vendorAccessOf is nil off vendor hosts.
func (h *authHandlers) vendorAccessOf(c *fiber.Ctx, userID int, version int64) (*vendorAccess, error) {
	site := siteOf(c)
	if site == nil || site.Tenant == nil {
		return nil, nil
	}
	acc, err := h.authz.Access(c.UserContext(), userID, site.Tenant, version)
	if err != nil {
		return nil, err
	}
	va := &vendorAccess{ID: site.Tenant.ID, Slug: site.Tenant.Slug, Name: site.Tenant.Name, Member: acc.Member, Permissions: acc.Permissions}
	if acc.Role != nil {
		va.Role = &team.RoleRef{ID: acc.Role.ID, Name: acc.Role.Name}
	}
	return va, nil
}

// login: POST /api/v1/auth/login, on any host.
func (h *authHandlers) login(c *fiber.Ctx) error {
	var in loginRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	u, t, err := h.identity.Login(c.UserContext(), in.Email, in.Password, h.meta(c))
	if err != nil {
		return err
	}
	return h.respondSession(c, fiber.StatusOK, u, t, in.RefreshInBody)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refresh: POST /api/v1/auth/refresh rotates the refresh token.
func (h *authHandlers) refresh(c *fiber.Ctx) error {
	token, inBody, err := refreshTokenOf(c)
	if err != nil {
		return err
	}
	t, err := h.identity.Refresh(c.UserContext(), token, h.meta(c))
	if err != nil {
		if !inBody {
			h.clearSessionCookies(c)
		}
		return err
	}
	return h.respondSession(c, fiber.StatusOK, nil, t, inBody)
}

// refreshTokenOf takes the refresh token from the body (API clients) or from
// the cookie (browsers, CSRF-checked).
func refreshTokenOf(c *fiber.Ctx) (token string, inBody bool, err error) {
	if len(c.Body()) > 0 {
		var in refreshRequest
		if err := bind(c, &in); err != nil {
			return "", false, err
		}
		if in.RefreshToken != "" {
			return in.RefreshToken, true, nil
		}
	}
	token = strings.Clone(c.Cookies(refreshCookie))
	if token == "" {
		return "", false, &fault.Error{Kind: fault.Unauthenticated, Code: "invalid_refresh_token", Message: "no refresh token: sign in"}
	}
	if err := checkCSRF(c); err != nil {
		return "", false, err
	}
	return token, false, nil
}

// logout: POST /api/v1/auth/logout ends the session of the refresh token
// (body or cookie) or, failing that, of the access token.
func (h *authHandlers) logout(c *fiber.Ctx) error {
	token, _, err := refreshTokenOf(c)
	switch {
	case err == nil:
		err = h.identity.Logout(c.UserContext(), token, h.meta(c))
	case principalOf(c) != nil:
		err = h.identity.LogoutSession(c.UserContext(), principalOf(c))
	}
	if err != nil {
		return err
	}
	h.clearSessionCookies(c)
	return c.SendStatus(fiber.StatusNoContent)
}

type meResponse struct {
	User    *identity.User   `json:"user"`
	Vendors []team.VendorRef `json:"vendors"`
	Vendor  *vendorAccess    `json:"vendor"`
}

// me: GET /api/v1/auth/me — the user, the shops they belong to (with a URL
// each, to switch), and their permissions in this shop.
func (h *authHandlers) me(c *fiber.Ctx) error {
	p := principalOf(c)
	u, err := h.identity.Me(c.UserContext(), p)
	if err != nil {
		return err
	}
	vendors, err := h.team.VendorsOf(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	for i := range vendors {
		vendors[i].URL = h.vendorURL(c, vendors[i].Slug)
	}
	va, err := h.vendorAccessOf(c, p.UserID, p.PolicyVersion)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(meResponse{User: u, Vendors: vendors, Vendor: va})
}

// vendorURL is where a vendor's admin lives, in this deployment's scheme.
func (h *authHandlers) vendorURL(c *fiber.Ctx, slug string) string {
	port := ""
	if h := requestHost(c); strings.LastIndexByte(h, ':') > strings.LastIndexByte(h, ']') {
		port = h[strings.LastIndexByte(h, ':'):]
	}
	if site := siteOf(c); h.pathRouting && (site.Kind != SiteVendor || site.BasePath != "") {
		return c.Protocol() + "://" + h.baseDomain + port + "/vendor/" + slug + "/admin/"
	}
	return c.Protocol() + "://" + slug + "." + h.baseDomain + port + "/admin/"
}

// siteURL is the absolute URL of path on the request's own site.
func siteURL(c *fiber.Ctx, path string) string {
	base := ""
	if site := siteOf(c); site != nil {
		base = site.BasePath
	}
	return c.Protocol() + "://" + requestHost(c) + base + path
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
