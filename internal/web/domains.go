package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb"
)

// domainHandlers let a shop's Owner serve the shop on domains of their own:
// add one, publish the DNS TXT record it answers, have it checked, remove
// it. A shop sees only its own domains; a host another shop holds is a
// conflict that does not say whose.
type domainHandlers struct {
	caller
	vendor *vendor.Service
	lookup tenantdb.TXTLookup // DNS TXT lookups (Options.LookupTXT)
}

func (h *domainHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/settings/domains", Permission(authz.SettingsEdit), readTx, h.list},
		{"POST", "/api/v1/settings/domains", Permission(authz.SettingsEdit), writeTx, h.add},
		{"POST", "/api/v1/settings/domains/:host/verify", Permission(authz.SettingsEdit), writeTx, h.verify},
		{"DELETE", "/api/v1/settings/domains/:host", Permission(authz.SettingsEdit), writeTx, h.remove},
	}
}

// list: GET /api/v1/settings/domains.
func (h *domainHandlers) list(c *fiber.Ctx) error {
	ds, err := h.vendor.ShopDomains(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ds})
}

// add: POST /api/v1/settings/domains {host} answers 201 with the TXT record
// to publish.
func (h *domainHandlers) add(c *fiber.Ctx) error {
	var in struct {
		Host string `json:"host"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	d, err := h.vendor.AddShopDomain(c.UserContext(), h.vendorActor(c), in.Host)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

// verify: POST /api/v1/settings/domains/:host/verify looks the TXT record
// up and, when it holds the token, lets the domain serve.
func (h *domainHandlers) verify(c *fiber.Ctx) error {
	host, err := hostParam(c)
	if err != nil {
		return err
	}
	d, err := h.vendor.VerifyShopDomain(c.UserContext(), h.vendorActor(c), host, h.lookup)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// remove: DELETE /api/v1/settings/domains/:host.
func (h *domainHandlers) remove(c *fiber.Ctx) error {
	host, err := hostParam(c)
	if err != nil {
		return err
	}
	if err := h.vendor.RemoveShopDomain(c.UserContext(), h.vendorActor(c), host); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// hostParam is the :host of the path, copied out of Fiber's buffer. Only a
// host name's letters, digits, dots and hyphens can name a domain; anything
// else names none (and never reaches a query the database would refuse).
func hostParam(c *fiber.Ctx) (string, error) {
	host := strings.Clone(c.Params("host"))
	ok := host != "" && len(host) <= 253
	for i := 0; ok && i < len(host); i++ {
		b := host[i]
		ok = b == '.' || b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
	}
	if !ok {
		return "", fault.New(fault.NotFound, "no such domain")
	}
	return host, nil
}
