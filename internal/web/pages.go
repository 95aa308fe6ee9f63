package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/mail"
)

// pageHandlers are the platform's own pages: its landing page and, in
// development, the outgoing mail.
type pageHandlers struct {
	outbox   *mail.Outbox
	devPages bool // serve /dev/mails
}

func (h *pageHandlers) routes() []route {
	r := []route{{"GET", "/", Public, noTx, h.landing}}
	if h.devPages {
		r = append(r, route{"GET", "/dev/mails", Public, noTx, h.devMails})
	}
	return r
}

// landing is the platform's home page.
func (h *pageHandlers) landing(c *fiber.Ctx) error {
	return render(c, "landing.html", map[string]any{"Title": "Bazaar"})
}

// devMails lists the outbox (development only: it shows one-time links).
func (h *pageHandlers) devMails(c *fiber.Ctx) error {
	mails, err := h.outbox.Recent(c.UserContext(), 50)
	if err != nil {
		return err
	}
	return render(c, "dev_mails.html", map[string]any{"Title": "Outgoing mail", "Mails": mails})
}
