package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// SiteKind is which part of the platform a request is for.
type SiteKind int

// The sites a host can name.
const (
	SitePlatform SiteKind = iota + 1 // <base_domain>: landing, login
	SiteAdmin                        // admin.<base_domain>: super admins
	SiteVendor                       // a vendor's subdomain, custom domain or /vendor/<slug> prefix
)

func (k SiteKind) String() string {
	switch k {
	case SitePlatform:
		return "platform"
	case SiteAdmin:
		return "admin"
	case SiteVendor:
		return "vendor"
	}
	return "unknown"
}

// Site is the resolved target of a request. It comes from the Host header
// alone (or X-Forwarded-Host from a trusted proxy), or from the /vendor/<slug>
// path prefix when path routing is on: never from a body, query or token.
type Site struct {
	Kind     SiteKind
	Host     string           // normalised: lower case, no port, no trailing dot
	Tenant   *tenantdb.Tenant // for SiteVendor
	BasePath string           // "/vendor/<slug>" under path routing, else ""
	// Lang is the shop language a path prefix named ("/fr/products"): one
	// of the shop's enabled languages. "" is the shop's default language,
	// whose pages have no prefix.
	Lang string
}

const siteKey = "bazaar.site"

// siteOf returns the request's site; resolveSite has set it on every request
// that reaches a handler.
func siteOf(c *fiber.Ctx) *Site {
	s, _ := c.Locals(siteKey).(*Site)
	return s
}

func invalidHost(why string) error {
	return &fault.Error{Kind: fault.Invalid, Code: "invalid_host", Message: "invalid host: " + why}
}

// normalizeHost turns the request's host (as checkTarget accepted it) into
// the canonical form used for lookups, or explains why it is not a host name
// we could serve. The result is a fresh string, safe to keep after the
// request.
func normalizeHost(authority string) (string, error) {
	if authority == "" {
		return "", invalidHost("the Host header is missing")
	}
	if why := authorityProblem(authority); why != "" {
		return "", invalidHost(why)
	}
	if strings.HasPrefix(authority, "[") {
		return "", invalidHost("an IP address does not name a shop")
	}
	h, _, _ := strings.Cut(authority, ":")
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if len(h) > 253 {
		return "", invalidHost("longer than 253 characters")
	}
	if !tenantdb.ValidHostName(h) {
		return "", invalidHost("only letters, digits, hyphens and dots are allowed, in labels of at most 63 characters")
	}
	return strings.Clone(h), nil
}

// resolveSite maps the request to a Site: the tenant middleware of
// PRODUCT.md. Unknown hosts are 404, suspended vendors 403, vendors whose
// schema is behind this binary's migrations 503.
func (s *server) resolveSite(c *fiber.Ctx) error {
	host, err := normalizeHost(requestHost(c))
	if err != nil {
		return err
	}
	site := &Site{Host: host}
	base := s.opts.BaseDomain
	path := c.Path()
	ctx := c.UserContext()
	switch {
	case host == base:
		site.Kind = SitePlatform
		if s.opts.PathRouting {
			if slug, rest, ok := vendorPrefix(path); ok {
				t, err := s.resolver.BySlug(ctx, slug)
				if err != nil {
					return notFoundShop(slug, err)
				}
				site.Kind, site.Tenant, site.BasePath = SiteVendor, t, "/vendor/"+slug
				path = rest
			}
		}
	case host == "admin."+base:
		site.Kind = SiteAdmin
	case strings.HasSuffix(host, "."+base):
		label := strings.TrimSuffix(host, "."+base)
		if strings.Contains(label, ".") {
			return fault.New(fault.NotFound, "no shop at %s", host)
		}
		t, err := s.resolver.BySlug(ctx, label)
		if err != nil {
			return notFoundShop(label, err)
		}
		site.Kind, site.Tenant = SiteVendor, t
	default:
		t, err := s.resolver.ByDomain(ctx, host)
		if err != nil {
			return err
		}
		site.Kind, site.Tenant = SiteVendor, t
	}
	if t := site.Tenant; t != nil {
		if !t.Active() {
			c.Locals(siteKey, site) // the error page names the shop, in its language
			return errSuspended
		}
		if t.SchemaVersion < s.db.TenantLatest() {
			return &fault.Error{Kind: fault.Unavailable, Code: "vendor_upgrading", Message: "this shop is being upgraded; try again in a minute"}
		}
	}
	if site.Tenant != nil {
		if lang, rest, ok := langPrefix(path, site.Tenant.Shop.EnabledLanguages); ok {
			site.Lang, path = lang, rest
		}
	}
	c.Locals(siteKey, site)
	if site.BasePath != "" || site.Lang != "" {
		c.Request().URI().SetPath(path)
	}
	return c.Next()
}

// langPrefix splits "/fr/rest" (or "/fr") into "fr" and "/rest" when fr is
// one of the shop's languages. Only the shop's own languages are prefixes,
// so no other path ("/api/…", "/products") is ever taken for one.
func langPrefix(path string, langs []string) (lang, rest string, ok bool) {
	if len(path) < 3 || path[0] != '/' || (len(path) > 3 && path[3] != '/') {
		return "", "", false
	}
	for _, l := range langs {
		if path[1:3] == l {
			rest = path[3:]
			if rest == "" {
				rest = "/"
			}
			return l, rest, true
		}
	}
	return "", "", false
}

// errSuspended answers every request to a suspended shop; browsers get the
// shop's closed page (closedPage).
var errSuspended = &fault.Error{Kind: fault.Forbidden, Code: "vendor_suspended", Message: "this shop is suspended"}

// notFoundShop keeps "no such vendor" a 404 even when the label is a reserved
// word (www, api…), while malformed labels stay a 400 that says what is wrong.
func notFoundShop(slug string, err error) error {
	if tenantdb.IsReservedSlug(slug) {
		return fault.New(fault.NotFound, "no shop here")
	}
	return err
}

// vendorPrefix splits "/vendor/<slug>/rest" into slug and "/rest".
func vendorPrefix(path string) (slug, rest string, ok bool) {
	const p = "/vendor/"
	if !strings.HasPrefix(path, p) {
		return "", "", false
	}
	slug, rest, _ = strings.Cut(path[len(p):], "/")
	if slug == "" {
		return "", "", false
	}
	return strings.Clone(slug), "/" + rest, true
}

// dispatch hands the request to the route table of its site. Each kind of
// site is its own Fiber app, so a vendor route can never answer on the
// platform host and vice versa; Fiber v2 has no host routing of its own. The
// site apps share the request's fasthttp context, hence its Locals and user
// context, with this one.
func (s *server) dispatch(c *fiber.Ctx) error {
	h, ok := s.sites[siteOf(c).Kind]
	if !ok {
		return fiber.ErrNotFound
	}
	h(c.Context())
	return nil
}
