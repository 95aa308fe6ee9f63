package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword: POST /api/v1/auth/password — the signed-in user's own
// password; their other sessions end.
func (h *authHandlers) changePassword(c *fiber.Ctx) error {
	var in changePasswordRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := h.identity.ChangePassword(c.UserContext(), principalOf(c), in.CurrentPassword, in.NewPassword, h.meta(c)); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "password changed; your other sessions were signed out"})
}

type resetRequest struct {
	Email string `json:"email"`
}

// requestReset: POST /api/v1/auth/password-reset answers 202 whether or not
// the account exists.
func (h *authHandlers) requestReset(c *fiber.Ctx) error {
	var in resetRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	link := func(token string) string { return siteURL(c, "/reset-password?token="+url.QueryEscape(token)) }
	if err := h.identity.RequestPasswordReset(c.UserContext(), in.Email, h.meta(c), link); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "if the address has an account, a reset link is on its way"})
}

type confirmResetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// confirmReset: POST /api/v1/auth/password-reset/confirm.
func (h *authHandlers) confirmReset(c *fiber.Ctx) error {
	var in confirmResetRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := h.identity.ConfirmPasswordReset(c.UserContext(), in.Token, in.Password, h.meta(c)); err != nil {
		return err
	}
	h.clearSessionCookies(c)
	return c.JSON(fiber.Map{"status": "password changed; every session was signed out"})
}

// resetPasswordPage is where a reset mail leads.
func (h *authHandlers) resetPasswordPage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return render(c, "reset_password.html", map[string]any{
		"Title": "Reset your password", "Token": strings.Clone(c.Query("token")), "Base": siteOf(c).BasePath,
	})
}
