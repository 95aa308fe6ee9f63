package web

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/identity"
)

// Access is what a route demands of its caller. Every vendor route declares
// one in the route table; there is no way to add a vendor route without it,
// and anything that is not Public needs a signed-in user.
type Access struct {
	kind access
	req  authz.Requirement
}

type access int

const (
	accessPublic        access = iota + 1 // anyone, signed in or not
	accessAuthenticated                   // any signed-in user (their own account)
	accessPermission                      // a member holding the requirement in this vendor
	accessSuperAdmin                      // a platform super admin (admin site)
	accessShopper                         // anyone on a shop: its cart, signed in as its customer or not
	accessCustomer                        // a customer signed in to this shop (its own account)
)

// The kinds of access.
var (
	Public        = Access{kind: accessPublic}
	Authenticated = Access{kind: accessAuthenticated}
	SuperAdmin    = Access{kind: accessSuperAdmin}
	// Shopper and Customer are the shop's callers, a realm apart from the
	// team's: they are known by the shop's cookies (shopper.go), never by a
	// team token, and a customer session grants nothing on a team route.
	Shopper  = Access{kind: accessShopper}
	Customer = Access{kind: accessCustomer}
)

// Permission demands any one of perms in the request's vendor.
func Permission(perms ...string) Access {
	return Access{kind: accessPermission, req: authz.Require(perms...)}
}

func (a Access) String() string {
	switch a.kind {
	case accessPublic:
		return "public"
	case accessAuthenticated:
		return "authenticated"
	case accessSuperAdmin:
		return "super admin"
	case accessShopper:
		return "shopper"
	case accessCustomer:
		return "customer"
	case accessPermission:
		return a.req.String()
	}
	return "deny"
}

const (
	principalKey = "bazaar.principal"
	accessKey    = "bazaar.access"
)

// principalOf is the signed-in user of the request (nil when anonymous).
func principalOf(c *fiber.Ctx) *identity.Principal {
	p, _ := c.Locals(principalKey).(*identity.Principal)
	return p
}

// memberAccess is the caller's access in the request's vendor, set by guard
// for permission routes.
func memberAccess(c *fiber.Ctx) *authz.Access {
	a, _ := c.Locals(accessKey).(*authz.Access)
	return a
}

var errSignIn = &fault.Error{Kind: fault.Unauthenticated, Code: "unauthenticated", Message: "sign in first"}

// authenticate reads a bearer token, if any, into the request's principal.
// A missing token leaves the request anonymous; a bad one is refused, so a
// client with an expired token learns to refresh instead of silently
// browsing as a stranger.
func (s *server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" {
		return c.Next()
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return &fault.Error{Kind: fault.Unauthenticated, Code: "invalid_token", Message: "the Authorization header must be `Bearer <access token>`"}
	}
	vendorID := 0
	if site := siteOf(c); site != nil && site.Tenant != nil {
		vendorID = site.Tenant.ID
	}
	p, err := s.identity.Authenticate(c.UserContext(), strings.Clone(token), vendorID)
	if err != nil {
		return err
	}
	c.Locals(principalKey, p)
	return c.Next()
}

// guard enforces a route's Access. For permission routes it asks the
// vendor's policy on every request — a removed member is refused on the very
// next one — and keeps the caller's access for the handler.
func (s *server) guard(a Access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if a.kind == accessPublic || a.kind == accessShopper || a.kind == accessCustomer {
			return c.Next() // shoppers are known once the shop's transaction is open (shopper.go)
		}
		p := principalOf(c)
		if p == nil {
			return errSignIn
		}
		switch a.kind {
		case accessAuthenticated:
			return c.Next()
		case accessSuperAdmin:
			if !p.SuperAdmin {
				return fault.New(fault.Forbidden, "this needs a platform administrator")
			}
			return c.Next()
		case accessPermission:
			site := siteOf(c)
			if site == nil || site.Tenant == nil {
				return fiber.ErrNotFound
			}
			acc, err := s.authz.Access(c.UserContext(), p.UserID, site.Tenant, p.PolicyVersion)
			if err != nil {
				return err
			}
			if !acc.Member {
				return &fault.Error{Kind: fault.Forbidden, Code: "not_a_member", Message: "you are not a member of this shop's team"}
			}
			if !slices.ContainsFunc(a.req, acc.Has) { // any one of the route's permissions
				return &fault.Error{Kind: fault.Forbidden, Code: "permission_denied", Message: "your role does not allow this (needs " + a.req.String() + ")"}
			}
			c.Locals(accessKey, acc)
			return c.Next()
		}
		return fault.New(fault.Forbidden, "denied")
	}
}

// ownAccountRoutes answer a user who must choose a new password: who they
// are, the password change itself, and signing out.
var ownAccountRoutes = map[string]bool{
	"/api/v1/auth/login": true, "/api/v1/auth/refresh": true, "/api/v1/auth/logout": true,
	"/api/v1/auth/me": true, "/api/v1/auth/password": true,
}

// passwordChosen refuses a user whose password was set by someone else (an
// initial password from onboarding, a mass reset) anything but their own
// account's routes until they choose one.
func passwordChosen(c *fiber.Ctx) error {
	if p := principalOf(c); p != nil && p.MustChangePassword {
		return &fault.Error{Kind: fault.Forbidden, Code: "password_change_required",
			Message: "choose a new password first (POST /api/v1/auth/password)"}
	}
	return c.Next()
}
