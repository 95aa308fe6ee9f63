package web

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
)

// acceptInvitePage is where an invitation mail leads: a form that posts to
// /api/v1/auth/register with the token from the link.
func (s *server) acceptInvitePage(c *fiber.Ctx) error {
	site := siteOf(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	return render(c, "accept_invite.html", map[string]any{
		"Title": "Join " + site.Tenant.Name, "ShopName": site.Tenant.Name,
		"Token": strings.Clone(c.Query("token")), "Base": site.BasePath,
	})
}

// resetPasswordPage is where a reset mail leads.
func (s *server) resetPasswordPage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return render(c, "reset_password.html", map[string]any{
		"Title": "Reset your password", "Token": strings.Clone(c.Query("token")), "Base": siteOf(c).BasePath,
	})
}

// devMails lists the outbox (development only: it shows one-time links).
func (s *server) devMails(c *fiber.Ctx) error {
	mails, err := s.outbox.Recent(c.UserContext(), 50)
	if err != nil {
		return err
	}
	return render(c, "dev_mails.html", map[string]any{"Title": "Outgoing mail", "Mails": mails})
}

// platformAudit answers GET /api/v1/admin/audit: platform audit events,
// newest first; ?action= filters.
func (s *server) platformAudit(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, audit.Limits, bad, "before")
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := s.audit.PlatformEvents(c.UserContext(), audit.Filter{Action: strings.Clone(c.Query("action"))}, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
