package web

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/fault"
)

// Shoppers are a realm apart from the team. A shop knows them by two
// cookies of its own host, both HttpOnly and SameSite=Lax: the cart's
// (an opaque token naming a cart in this shop's schema — another shop's
// cookie names nothing here) and, once they sign in to the shop, the
// customer session's. Neither is read on a team route, and a team's bearer
// token is not read on a shopper route: each side's credentials grant
// nothing on the other.
const (
	cartCookie     = "bazaar_cart"
	customerCookie = "bazaar_customer"
	shopperKey     = "bazaar.shopper"
)

// shopper is who sends a shop request: the cart cookie's token (empty when
// it has none) and the signed-in customer (nil when anonymous).
type shopper struct {
	CartToken string
	Customer  *customer.Shopper
}

// shopperOf is the request's shopper, set by the shopper middleware.
func shopperOf(c *fiber.Ctx) *shopper {
	sh, _ := c.Locals(shopperKey).(*shopper)
	if sh == nil {
		return &shopper{}
	}
	return sh
}

// customerID is the signed-in customer's id, 0 when anonymous.
func (sh *shopper) customerID() int {
	if sh.Customer == nil {
		return 0
	}
	return sh.Customer.CustomerID
}

var (
	errCustomerSignIn = &fault.Error{Kind: fault.Unauthenticated, Code: "customer_unauthenticated", Message: "sign in to your customer account in this shop first"}
	errCrossSite      = &fault.Error{Kind: fault.Forbidden, Code: "cross_site", Message: "a shop's cart, checkout and account take changes only from the shop's own pages"}
)

// shopper runs inside the shop's transaction (routes.go): it refuses a
// cross-site change, reads the cart cookie, and finds the signed-in customer
// from the session cookie; a Customer route refuses an anonymous caller.
//
// Cookies are SameSite=Lax, and Lax does not stop a page on a sibling shop
// (another vendor's subdomain is the same site) from posting here with this
// shop's cookies. So a change must come from this origin: browsers say where
// a request comes from (Sec-Fetch-Site, Origin), and one that says it comes
// from elsewhere is refused. Clients that are not browsers send neither and
// hold their cookies themselves.
func (s *server) shopper(a Access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !isSafeMethod(c.Method()) && !sameOrigin(c) {
			return errCrossSite
		}
		sh := &shopper{CartToken: strings.Clone(c.Cookies(cartCookie))}
		if token := c.Cookies(customerCookie); token != "" {
			cu, err := s.customers.Session(c.UserContext(), strings.Clone(token))
			if err != nil {
				return err
			}
			sh.Customer = cu
		}
		if a.kind == accessCustomer && sh.Customer == nil {
			return errCustomerSignIn
		}
		c.Locals(shopperKey, sh)
		return c.Next()
	}
}

func isSafeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// sameOrigin reports whether a browser says the request comes from this
// host's own pages; a client that says nothing (not a browser) passes.
func sameOrigin(c *fiber.Ctx) bool {
	if site := c.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, requestHost(c)) {
			return false
		}
	}
	return true
}

// setShopCookie sets one of the shop's HttpOnly cookies on this host (no
// Domain: a sibling shop never receives it) and, with path routing, on the
// shop's /vendor/<slug> path, so two shops on one development host keep
// their own. maxAge 0 clears it.
func setShopCookie(c *fiber.Ctx, secure bool, name, value string, maxAge int) {
	path := "/"
	if site := siteOf(c); site != nil && site.BasePath != "" {
		path = site.BasePath + "/"
	}
	ck := &fiber.Cookie{Name: name, Value: value, Path: path, HTTPOnly: true, Secure: secure,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: maxAge}
	if maxAge <= 0 {
		// fasthttp writes no Max-Age of 0 or less: an expiry in the past is
		// what deletes the cookie.
		ck.Value, ck.MaxAge, ck.Expires = "", -1, time.Unix(0, 0)
	}
	c.Cookie(ck)
}
