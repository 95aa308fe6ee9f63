package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/vendor"
)

// The shop's files for crawlers and its theme stylesheet.

// robots answers /robots.txt: everything but the shopper's own pages and
// the API, and where the sitemap is.
func (h *storefront) robots(c *fiber.Ctx) error {
	base := siteOf(c).BasePath
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	for _, p := range []string{"/api/", "/cart", "/checkout", "/account", "/orders/"} {
		b.WriteString("Disallow: " + base + p + "\n")
	}
	b.WriteString("\nSitemap: " + c.Protocol() + "://" + requestHost(c) + base + "/sitemap.xml\n")
	c.Type("txt", "utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.SendString(b.String())
}

// sitemap answers /sitemap.xml: the home page, the product list and every
// active product (catalog.MaxSitemap at most), each with its pages in the
// shop's other languages (xhtml:link alternates, as search engines read
// them).
func (h *storefront) sitemap(c *fiber.Ctx) error {
	items, err := h.catalog.Sitemap(c.UserContext())
	if err != nil {
		return err
	}
	ls := shopLangs(c)
	origin := c.Protocol() + "://" + requestHost(c)
	type link struct {
		Rel      string `xml:"rel,attr"`
		Hreflang string `xml:"hreflang,attr"`
		Href     string `xml:"href,attr"`
	}
	type entry struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
		Links   []link `xml:"xhtml:link"`
	}
	entryOf := func(path, lastmod string) entry {
		e := entry{Loc: origin + ls.prefix(ls.def) + path, LastMod: lastmod}
		if path == "/" && ls.prefix(ls.def) != "" {
			e.Loc = origin + ls.prefix(ls.def) + "/"
		}
		if len(ls.enabled) > 1 {
			for _, l := range ls.enabled {
				e.Links = append(e.Links, link{Rel: "alternate", Hreflang: l, Href: origin + ls.prefix(l) + path})
			}
		}
		return e
	}
	doc := struct {
		XMLName xml.Name `xml:"urlset"`
		NS      string   `xml:"xmlns,attr"`
		XHTML   string   `xml:"xmlns:xhtml,attr"`
		URLs    []entry  `xml:"url"`
	}{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", XHTML: "http://www.w3.org/1999/xhtml"}
	doc.URLs = append(doc.URLs, entryOf("/", ""), entryOf("/products", ""))
	for _, it := range items {
		doc.URLs = append(doc.URLs, entryOf("/products/"+strconv.Itoa(it.ID), it.UpdatedAt.UTC().Format("2006-01-02")))
	}
	out, err := xml.Marshal(doc)
	if err != nil {
		return err
	}
	c.Type("xml", "utf-8")
	return sendCompressed(c, append([]byte(xml.Header), out...))
}

// themes memoises each stored theme's stylesheet (a page names it on
// every render). Themes are few and small; the memo is dropped whole past maxThemes, so a
// long-lived process that sees many theme changes stays bounded.
var themes = struct {
	sync.Mutex
	byStored map[string]themeCSS
}{byStored: map[string]themeCSS{}}

const maxThemes = 10000

// themeCSS is a theme as the shop front uses it: its stylesheet, the hash
// naming it, and the logo.
type themeCSS struct{ hash, css, logo string }

// themeOf is a stored theme as the shop front uses it (memoised).
func themeOf(stored map[string]any) themeCSS {
	key := fmt.Sprint(stored) // fmt prints a map's keys sorted: one key per theme
	themes.Lock()
	defer themes.Unlock()
	if t, ok := themes.byStored[key]; ok {
		return t
	}
	th := vendor.ThemeOf(stored)
	css := th.CSS()
	sum := sha256.Sum256([]byte(css))
	t := themeCSS{hash: hex.EncodeToString(sum[:8]), css: css, logo: th.LogoURL}
	if len(themes.byStored) >= maxThemes {
		clear(themes.byStored)
	}
	themes.byStored[key] = t
	return t
}

// theme answers /theme/<hash>.css: the shop's theme as CSS variables. The
// hash names the content, so the answer is immutable; an old hash (the
// theme changed since the page was rendered) gets the current theme,
// briefly cached.
func (h *storefront) theme(c *fiber.Ctx) error {
	t := themeOf(siteOf(c).Tenant.Shop.Theme)
	if c.Params("file") == t.hash+".css" {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	}
	c.Type("css", "utf-8")
	return c.SendString(t.css)
}
