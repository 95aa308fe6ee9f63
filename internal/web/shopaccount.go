package web

import (
	"context"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/customer"
)

// customerHandlers are a shop's customer accounts on the shop's own host:
// registering, signing in and out, one's own profile and password, and
// password resets. The session is the shop's HttpOnly customer cookie
// (shopper.go), never a team credential.
type customerHandlers struct {
	caller
	customers     *customer.Service
	carts         cartOwner // the browser's cart becomes the signed-in customer's
	secureCookies bool
	cartMaxAge    int // seconds the cart cookie lives
}

// cartOwner gives a cart to a customer who signs in (order.Service).
type cartOwner interface {
	AttachCart(ctx context.Context, token string, customerID int) (string, error)
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
	}
}

// signIn sets the customer's session cookie and gives them the browser's
// cart, merged with the one they left elsewhere (order.AttachCart); the cart
// cookie then names the merged cart.
func (h *customerHandlers) signIn(c *fiber.Ctx, status int, in *customer.SignedIn) error {
	token, err := h.carts.AttachCart(c.UserContext(), shopperOf(c).CartToken, in.Profile.ID)
	if err != nil {
		return err
	}
	if token != "" {
		setShopCookie(c, h.secureCookies, cartCookie, token, h.cartMaxAge)
	}
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
	// The cart was theirs: it stays with the account, not with the browser
	// the next person uses.
	setShopCookie(c, h.secureCookies, customerCookie, "", 0)
	setShopCookie(c, h.secureCookies, cartCookie, "", 0)
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

// resetMail is what a reset mail needs of the shop: its name and language
// (from the resolved tenant, so no second connection is taken beside the
// request's transaction), and the link to the shop's reset page on the
// request's own host.
func (h *customerHandlers) resetMail(c *fiber.Ctx) (customer.ResetMail, error) {
	shop, err := shopOf(c) // the cached tenant's: no second connection
	if err != nil {
		return customer.ResetMail{}, err
	}
	return customer.ResetMail{ShopName: shop.Name, Language: shop.DefaultLanguage, Link: func(token string) string {
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
