package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/vendor"
)

// customerHandlers are a shop's customer accounts on the shop's own host:
// registering, signing in and out, one's own profile and password, and
// password resets. The session is the shop's HttpOnly customer cookie
// (shopper.go), never a team credential.
type customerHandlers struct {
	caller
	customers     *customer.Service
	vendors       *vendor.Service // the shop's name and language, for reset mails
	secureCookies bool
}

func (h *customerHandlers) routes() []route {
	return []route{
		{"POST", "/api/v1/shop/account/register", Shopper, writeTx, h.register},
		{"POST", "/api/v1/shop/account/login", Shopper, writeTx, h.login},
		{"POST", "/api/v1/shop/account/logout", Shopper, writeTx, h.logout},
		{"GET", "/api/v1/shop/account/me", Customer, readTx, h.me},
		{"PUT", "/api/v1/shop/account/me", Customer, writeTx, h.updateMe},
		{"POST", "/api/v1/shop/account/password", Customer, writeTx, h.changePassword},
		{"POST", "/api/v1/shop/account/password-reset", Shopper, writeTx, h.requestReset},
		{"POST", "/api/v1/shop/account/password-reset/confirm", Shopper, writeTx, h.confirmReset},
		{"GET", "/account/reset-password", Public, noTx, h.resetPage},
	}
}

// signIn answers a new session: the customer cookie, living as long as the
// session, and the profile.
func (h *customerHandlers) signIn(c *fiber.Ctx, status int, in *customer.SignedIn) error {
	setShopCookie(c, h.secureCookies, customerCookie, in.Token, int(h.customers.SessionTTL().Seconds()))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(in.Profile)
}

func (h *customerHandlers) register(c *fiber.Ctx) error {
	var in customer.Registration
	if err := bind(c, &in); err != nil {
		return err
	}
	s, err := h.customers.Register(c.UserContext(), in, h.clientIP(c))
	if err != nil {
		return err
	}
	return h.signIn(c, fiber.StatusCreated, s)
}

type customerLogin struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login: a wrong password is refused and counted; the count commits with
// the refusal (keepRefusal).
func (h *customerHandlers) login(c *fiber.Ctx) error {
	var in customerLogin
	if err := bind(c, &in); err != nil {
		return err
	}
	keepRefusal(c)
	s, err := h.customers.Login(c.UserContext(), in.Email, in.Password, h.clientIP(c))
	if err != nil {
		return err
	}
	return h.signIn(c, fiber.StatusOK, s)
}

// logout ends the session of the cookie, if any, and clears the cookie.
func (h *customerHandlers) logout(c *fiber.Ctx) error {
	if err := h.customers.Logout(c.UserContext(), strings.Clone(c.Cookies(customerCookie))); err != nil {
		return err
	}
	setShopCookie(c, h.secureCookies, customerCookie, "", 0)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *customerHandlers) me(c *fiber.Ctx) error {
	p, err := h.customers.Me(c.UserContext(), shopperOf(c).customerID())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(p)
}

func (h *customerHandlers) updateMe(c *fiber.Ctx) error {
	var in customer.ProfileInput
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := h.customers.UpdateMe(c.UserContext(), shopperOf(c).customerID(), in)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

type customerPassword struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword: a wrong current password counts like a failed sign-in
// (keepRefusal).
func (h *customerHandlers) changePassword(c *fiber.Ctx) error {
	var in customerPassword
	if err := bind(c, &in); err != nil {
		return err
	}
	keepRefusal(c)
	if err := h.customers.ChangePassword(c.UserContext(), shopperOf(c).Customer, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "password changed; your other sessions were signed out"})
}

type customerResetRequest struct {
	Email string `json:"email"`
}

// requestReset always answers 202 for a well-formed address: whether it
// has an account in this shop is not the caller's to learn.
func (h *customerHandlers) requestReset(c *fiber.Ctx) error {
	var in customerResetRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	m, err := h.resetMail(c)
	if err != nil {
		return err
	}
	if err := h.customers.RequestReset(c.UserContext(), in.Email, h.clientIP(c), m); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "if the address has an account in this shop, a reset link is on its way"})
}

// resetMail is what a reset mail needs of the shop: its name and language,
// and the link to the shop's reset page on the request's own host.
//
// The settings are read from the vendor's registry row, a platform query
// beside the request's transaction (a second connection while it holds
// one). Where the resolved tenant carries the shop's settings, read them
// from there instead.
func (h *customerHandlers) resetMail(c *fiber.Ctx) (customer.ResetMail, error) {
	st, err := h.vendors.Settings(c.UserContext())
	if err != nil {
		return customer.ResetMail{}, err
	}
	return customer.ResetMail{ShopName: st.Name, Language: st.DefaultLanguage, Link: func(token string) string {
		return siteURL(c, "/account/reset-password?token="+url.QueryEscape(token))
	}}, nil
}

type customerResetConfirm struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// confirmReset sets the new password and signs the customer in afresh
// (every other session has ended).
func (h *customerHandlers) confirmReset(c *fiber.Ctx) error {
	var in customerResetConfirm
	if err := bind(c, &in); err != nil {
		return err
	}
	s, err := h.customers.ConfirmReset(c.UserContext(), in.Token, in.Password)
	if err != nil {
		return err
	}
	return h.signIn(c, fiber.StatusOK, s)
}

// resetPage is where a customer's reset mail leads: a form that sends the
// token and the new password to confirmReset.
func (h *customerHandlers) resetPage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer") // the token is in this page's URL
	return render(c, "shop_reset_password.html", map[string]any{
		"Title": "Reset your password", "Token": strings.Clone(c.Query("token")), "Base": siteOf(c).BasePath,
	})
}
