package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/team"
)

// inviteRoutes are a shop's: where an invitation mail leads, and joining the
// shop's team from it.
func (h *authHandlers) inviteRoutes() []route {
	return []route{
		{"GET", "/accept-invite", Public, noTx, h.acceptInvitePage},
		{"POST", "/api/v1/auth/register", Public, writeTx, h.register},
	}
}

// acceptInvitePage is where an invitation mail leads: a form that posts to
// /api/v1/auth/register with the token from the link.
func (h *authHandlers) acceptInvitePage(c *fiber.Ctx) error {
	site := siteOf(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	// The back office's policy: the page runs forms.js and its style, nothing inline.
	c.Set("Content-Security-Policy", adminCSP)
	return render(c, "accept_invite.html", map[string]any{
		"Title": "Join " + site.Tenant.Name, "ShopName": site.Tenant.Name,
		"Token": strings.Clone(c.Query("token")), "Base": site.BasePath,
	})
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
func (h *authHandlers) register(c *fiber.Ctx) error {
	var in registerRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	acc := team.AcceptInput{Token: in.Token, Password: in.Password, FirstName: in.FirstName, LastName: in.LastName, IP: h.clientIP(c), RequestID: requestID(c)}
	if p := principalOf(c); p != nil {
		acc.AsUser = p.UserID
	}
	res, err := h.team.Accept(c.UserContext(), acc, identity.ValidatePassword)
	if err != nil {
		return err
	}
	t, err := h.identity.StartSession(c.UserContext(), res.UserID, h.meta(c))
	if err != nil {
		return err
	}
	u, err := h.identity.User(c.UserContext(), res.UserID)
	if err != nil {
		return err
	}
	return h.respondSession(c, fiber.StatusCreated, u, t, in.RefreshInBody)
}
