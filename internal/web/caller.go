package web

import (
	"net"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/account"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/team"
	"github.com/bazaar/bazaar/internal/vendor"
)

// caller describes who sends a request, in the terms the services and the
// audit trail take: the signed-in user and their access, the request id, and
// the client's address (clientip.go), which only the configured proxies may
// name. The server and the handlers hold one.
type caller struct {
	trustedProxies []*net.IPNet
}

// actor describes the caller to the team service.
func (cl caller) actor(c *fiber.Ctx) team.Actor {
	a := team.Actor{IP: cl.clientIP(c), RequestID: requestID(c)}
	if p := principalOf(c); p != nil {
		a.UserID, a.Email = p.UserID, p.Email
	}
	if acc := memberAccess(c); acc != nil {
		a.Permissions = acc.Permissions
	}
	return a
}

// vendorActor describes the caller to the vendor service.
func (cl caller) vendorActor(c *fiber.Ctx) vendor.Actor {
	a := vendor.Actor{IP: cl.clientIP(c), RequestID: requestID(c)}
	if p := principalOf(c); p != nil {
		a.UserID, a.Email = p.UserID, p.Email
	}
	return a
}

// accountActor describes the caller to the account oversight.
func (cl caller) accountActor(c *fiber.Ctx) account.Actor {
	a := account.Actor{IP: cl.clientIP(c), RequestID: requestID(c)}
	if p := principalOf(c); p != nil {
		a.UserID, a.Email = p.UserID, p.Email
	}
	return a
}

// meta describes the request to the identity service.
func (cl caller) meta(c *fiber.Ctx) identity.Meta {
	m := identity.Meta{IP: cl.clientIP(c), UserAgent: recordedHeader(c.Get(fiber.HeaderUserAgent), limitsOf(c).maxUserAgent()), RequestID: requestID(c)}
	if site := siteOf(c); site != nil && site.Tenant != nil {
		m.VendorID = site.Tenant.ID
	}
	return m
}
