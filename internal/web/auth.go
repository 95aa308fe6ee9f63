package web

import (
	"crypto/subtle"
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

func (s *server) authPath(c *fiber.Ctx) string {
	base := ""
	if site := siteOf(c); site != nil {
		base = site.BasePath
	}
	return base + "/api/v1/auth"
}

func (s *server) setSessionCookies(c *fiber.Ctx, t *identity.Tokens) string {
	csrf, _ := randomToken()
	c.Cookie(&fiber.Cookie{
		Name: refreshCookie, Value: t.RefreshToken, Path: s.authPath(c), Expires: t.RefreshExpiresAt,
		HTTPOnly: true, Secure: s.opts.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
	c.Cookie(&fiber.Cookie{
		Name: csrfCookie, Value: csrf, Path: "/", Expires: t.RefreshExpiresAt,
		Secure: s.opts.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
	return csrf
}

func (s *server) clearSessionCookies(c *fiber.Ctx) {
	for _, ck := range []*fiber.Cookie{
		{Name: refreshCookie, Path: s.authPath(c), HTTPOnly: true},
		{Name: csrfCookie, Path: "/"},
	} {
		ck.Expires = time.Unix(0, 0)
		ck.MaxAge = -1
		ck.Secure = s.opts.SecureCookies
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

func (s *server) respondSession(c *fiber.Ctx, status int, u *identity.User, t *identity.Tokens, inBody bool) error {
	out := sessionResponse{User: u, AccessToken: t.AccessToken, AccessExpiresAt: t.AccessExpiresAt, TokenType: "Bearer"}
	if inBody {
		out.RefreshToken, out.RefreshExpiresAt = t.RefreshToken, &t.RefreshExpiresAt
	} else {
		out.CSRFToken = s.setSessionCookies(c, t)
	}
	if u != nil {
		// A fresh sign-in or registration has read no policy version (and a
		// registration has just changed it): ask for the latest.
		va, err := s.vendorAccessOf(c, u.ID, authz.Latest)
		if err != nil {
			return err
		}
		out.Vendor = va
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(out)
}

// vendorAccessOf is nil off vendor hosts.
func (s *server) vendorAccessOf(c *fiber.Ctx, userID int, version int64) (*vendorAccess, error) {
	site := siteOf(c)
	if site == nil || site.Tenant == nil {
		return nil, nil
	}
	acc, err := s.authz.Access(c.UserContext(), userID, site.Tenant, version)
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
func (s *server) login(c *fiber.Ctx) error {
	var in loginRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	u, t, err := s.identity.Login(c.UserContext(), in.Email, in.Password, s.meta(c))
	if err != nil {
		return err
	}
	return s.respondSession(c, fiber.StatusOK, u, t, in.RefreshInBody)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refresh: POST /api/v1/auth/refresh rotates the refresh token.
func (s *server) refresh(c *fiber.Ctx) error {
	token, inBody, err := refreshTokenOf(c)
	if err != nil {
		return err
	}
	t, err := s.identity.Refresh(c.UserContext(), token, s.meta(c))
	if err != nil {
		if !inBody {
			s.clearSessionCookies(c)
		}
		return err
	}
	return s.respondSession(c, fiber.StatusOK, nil, t, inBody)
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
func (s *server) logout(c *fiber.Ctx) error {
	token, _, err := refreshTokenOf(c)
	switch {
	case err == nil:
		err = s.identity.Logout(c.UserContext(), token, s.meta(c))
	case principalOf(c) != nil:
		err = s.identity.LogoutSession(c.UserContext(), principalOf(c))
	}
	if err != nil {
		return err
	}
	s.clearSessionCookies(c)
	return c.SendStatus(fiber.StatusNoContent)
}

type meResponse struct {
	User    *identity.User   `json:"user"`
	Vendors []team.VendorRef `json:"vendors"`
	Vendor  *vendorAccess    `json:"vendor"`
}

// me: GET /api/v1/auth/me — the user, the shops they belong to (with a URL
// each, to switch), and their permissions in this shop.
func (s *server) me(c *fiber.Ctx) error {
	p := principalOf(c)
	u, err := s.identity.Me(c.UserContext(), p)
	if err != nil {
		return err
	}
	vendors, err := s.team.VendorsOf(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	for i := range vendors {
		vendors[i].URL = s.vendorURL(c, vendors[i].Slug)
	}
	va, err := s.vendorAccessOf(c, p.UserID, p.PolicyVersion)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(meResponse{User: u, Vendors: vendors, Vendor: va})
}

// vendorURL is where a vendor's admin lives, in this deployment's scheme.
func (s *server) vendorURL(c *fiber.Ctx, slug string) string {
	port := ""
	if h := requestHost(c); strings.LastIndexByte(h, ':') > strings.LastIndexByte(h, ']') {
		port = h[strings.LastIndexByte(h, ':'):]
	}
	if site := siteOf(c); s.opts.PathRouting && (site.Kind != SiteVendor || site.BasePath != "") {
		return c.Protocol() + "://" + s.opts.BaseDomain + port + "/vendor/" + slug + "/admin/"
	}
	return c.Protocol() + "://" + slug + "." + s.opts.BaseDomain + port + "/admin/"
}

// siteURL is the absolute URL of path on the request's own site.
func siteURL(c *fiber.Ctx, path string) string {
	base := ""
	if site := siteOf(c); site != nil {
		base = site.BasePath
	}
	return c.Protocol() + "://" + requestHost(c) + base + path
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword: POST /api/v1/auth/password — the signed-in user's own
// password; their other sessions end.
func (s *server) changePassword(c *fiber.Ctx) error {
	var in changePasswordRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.identity.ChangePassword(c.UserContext(), principalOf(c), in.CurrentPassword, in.NewPassword, s.meta(c)); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "password changed; your other sessions were signed out"})
}

type resetRequest struct {
	Email string `json:"email"`
}

// requestReset: POST /api/v1/auth/password-reset answers 202 whether or not
// the account exists.
func (s *server) requestReset(c *fiber.Ctx) error {
	var in resetRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	link := func(token string) string { return siteURL(c, "/reset-password?token="+url.QueryEscape(token)) }
	if err := s.identity.RequestPasswordReset(c.UserContext(), in.Email, s.meta(c), link); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "if the address has an account, a reset link is on its way"})
}

type confirmResetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// confirmReset: POST /api/v1/auth/password-reset/confirm.
func (s *server) confirmReset(c *fiber.Ctx) error {
	var in confirmResetRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.identity.ConfirmPasswordReset(c.UserContext(), in.Token, in.Password, s.meta(c)); err != nil {
		return err
	}
	s.clearSessionCookies(c)
	return c.JSON(fiber.Map{"status": "password changed; every session was signed out"})
}

type registerRequest struct {
	Token         string `json:"token"`
	Password      string `json:"password"`
	FirstName     string `json:"first_name"`
	LastName      string `json:"last_name"`
	RefreshInBody bool   `json:"refresh_in_body"`
}

// register: POST /api/v1/auth/register accepts an invitation to this shop
// and signs the new member in.
func (s *server) register(c *fiber.Ctx) error {
	var in registerRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	acc := team.AcceptInput{Token: in.Token, Password: in.Password, FirstName: in.FirstName, LastName: in.LastName, IP: s.clientIP(c), RequestID: requestID(c)}
	if p := principalOf(c); p != nil {
		acc.AsUser = p.UserID
	}
	res, err := s.team.Accept(c.UserContext(), acc, identity.ValidatePassword)
	if err != nil {
		return err
	}
	t, err := s.identity.StartSession(c.UserContext(), res.UserID, s.meta(c))
	if err != nil {
		return err
	}
	u, err := s.identity.User(c.UserContext(), res.UserID)
	if err != nil {
		return err
	}
	return s.respondSession(c, fiber.StatusCreated, u, t, in.RefreshInBody)
}
