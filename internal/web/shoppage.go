package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/public"
)

// shopPage is what every shop page's template gets: the frame (language,
// links to the page in the shop's other languages, theme, cart, who is
// signed in) and, in Body, the page's own content.
type shopPage struct {
	Lang        string
	Title       string
	Description string
	Section     string // the header link marked current: products, cart, account
	Shop        shopInfo
	Query       string // the search box's text
	Canonical   string
	XDefault    string
	Alternates  []langLink // the page in each of the shop's languages
	Languages   []langLink // the language switch (the same links, named)
	ThemeURL    string
	CartUnits   int
	Customer    *customer.Shopper
	OG          ogInfo
	OGLocale    string
	NoIndex     bool
	JSONLD      template.JS // a JSON-LD document (json.Marshal escapes <, > and &)
	Data        template.JS // the #shop-data block shop.js reads
	Body        any

	text   map[string]string
	lang   langs
	origin string // scheme://host
}

type shopInfo struct {
	Name, LogoURL, Email, Phone, Address, Country string
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

type ogInfo struct {
	Type, Image, PriceAmount, PriceCurrency string
}

// langs are a request's shop languages: the one it reads in, the shop's
// default (whose pages have no prefix) and the shop's enabled ones, and the
// paths pages are under.
type langs struct {
	current, def string
	enabled      []string
	basePath     string // "/vendor/<slug>" under path routing
}

// prefix is where the pages in language l are: the base path, then "/l"
// unless l is the default.
func (l langs) prefix(lang string) string {
	if lang == l.def {
		return l.basePath
	}
	return l.basePath + "/" + lang
}

// languageNames are the languages' own names, for the language switch.
var languageNames = map[string]string{
	"en": "English", "fr": "Français", "de": "Deutsch", "lb": "Lëtzebuergesch", "nl": "Nederlands",
	"it": "Italiano", "pt": "Português", "es": "Español",
}

// shopLangs reads the request's languages from its site: the prefix's, else
// the shop's default.
func shopLangs(c *fiber.Ctx) langs {
	site := siteOf(c)
	t := site.Tenant
	def := t.Shop.DefaultLanguage
	enabled := t.Shop.EnabledLanguages
	if def == "" {
		def = public.TextFallback
	}
	if len(enabled) == 0 {
		enabled = []string{def}
	}
	cur := site.Lang
	if cur == "" {
		cur = def
	}
	return langs{current: cur, def: def, enabled: enabled, basePath: site.BasePath}
}

// newShopPage starts a page at path (the page's own path, without base or
// language prefix; with the query that is part of its identity).
func (h *storefront) newShopPage(c *fiber.Ctx, section, path string) (*shopPage, error) {
	ls := shopLangs(c)
	t := siteOf(c).Tenant
	text, _ := public.Text(ls.current)
	th := themeOf(t.Shop.Theme)
	p := &shopPage{
		Lang: ls.current, Section: section, text: text, lang: ls,
		origin: c.Protocol() + "://" + requestHost(c),
		// The stylesheet's URL names its content: cached for good, and a
		// changed theme is a new URL.
		ThemeURL: ls.basePath + "/theme/" + th.hash + ".css",
		OGLocale: ogLocale(ls.current),
	}
	p.Shop = shopInfo{Name: t.Name, LogoURL: th.logo, Email: t.Shop.BusinessEmail, Phone: t.Shop.BusinessPhone,
		Address: postalLine(t.Shop.BusinessAddress, t.Shop.BusinessPostalCode, t.Shop.BusinessCity), Country: t.Shop.BusinessCountry}
	for _, l := range ls.enabled {
		u := p.origin + ls.prefix(l) + path
		p.Alternates = append(p.Alternates, langLink{Code: l, Name: languageNames[l], URL: u, Current: l == ls.current})
		if l == ls.current {
			p.Canonical = u
		}
		if l == ls.def {
			p.XDefault = u
		}
	}
	p.Languages = p.Alternates
	if len(p.Alternates) < 2 {
		p.Alternates, p.XDefault = nil, ""
	}
	sh := shopperOf(c)
	p.Customer = sh.Customer
	units, err := h.orders.CartUnits(c.UserContext(), cartRef(c))
	if err != nil {
		return nil, err
	}
	p.CartUnits = units
	data, err := json.Marshal(map[string]any{
		"lang": ls.current, "base": ls.prefix(ls.current), "api": ls.basePath, "text": scriptText(text),
	})
	if err != nil {
		return nil, err
	}
	p.Data = template.JS(data) //nolint:gosec // json.Marshal escapes <, > and &: nothing in it can end the script element
	return p, nil
}

// scriptKeys are the strings shop.js shows itself.
var scriptKeys = []string{"cart.added", "cart.view", "checkout.pay", "done", "error.generic", "error.network"}

func scriptText(text map[string]string) map[string]string {
	out := make(map[string]string, len(scriptKeys))
	for _, k := range scriptKeys {
		out[k] = text[k]
	}
	return out
}

func ogLocale(lang string) string {
	switch lang {
	case "en":
		return "en_GB"
	case "fr":
		return "fr_LU"
	case "de":
		return "de_LU"
	case "lb":
		return "lb_LU"
	}
	return lang
}

// T is the interface string key in the page's language.
func (p *shopPage) T(key string) string {
	if v, ok := p.text[key]; ok {
		return v
	}
	return key
}

// Tf is T with values put into its verbs.
func (p *shopPage) Tf(key string, args ...any) string { return fmt.Sprintf(p.T(key), args...) }

// Href is the URL path of a shop page in the page's language.
func (p *shopPage) Href(path string) string {
	if path == "/" && p.lang.prefix(p.lang.current) != "" {
		return p.lang.prefix(p.lang.current) + "/"
	}
	return p.lang.prefix(p.lang.current) + path
}

// Money formats an amount as the page's language writes it.
func (p *shopPage) Money(cents int64, currency string) string {
	return formatMoney(cents, currency, p.Lang)
}

// addressFields are the inputs of one address form (the "address_fields"
// template).
type addressFields struct {
	Page       *shopPage
	Prefix, ID string // the inputs' name prefix and id prefix
	Section    string // the autocomplete section: billing, shipping
	Value      order.Address
	Countries  []countryOption
}

type countryOption struct {
	Code, Name string
	Selected   bool
}

// shipCountries are the countries the address forms offer: the EU's, the
// EEA's and their neighbours'. The API takes any ISO code.
var shipCountries = strings.Fields("AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK")

// AddressFields builds the inputs of an address named prefix (the API's
// field path), with value filled in when given, its country the shop's own
// when not.
func (p *shopPage) AddressFields(prefix, id string, value *order.Address) addressFields {
	a := addressFields{Page: p, Prefix: prefix, ID: id, Section: "billing"}
	if strings.HasPrefix(prefix, "shipping") {
		a.Section = "shipping"
	}
	if value != nil {
		a.Value = *value
	}
	country := a.Value.Country
	if country == "" {
		country = p.Shop.Country
	}
	if country == "" {
		country = "LU"
	}
	for _, code := range shipCountries {
		a.Countries = append(a.Countries, countryOption{Code: code, Name: p.T("country." + code), Selected: code == country})
	}
	return a
}

// pageCSP is the shop pages' Content-Security-Policy: nothing inline, no
// plug-ins, no framing, forms and fetches only to the shop itself. Images
// may come from anywhere on the web (feeds link their pictures where the
// marketplace keeps them). withCard adds what Stripe.js needs on the
// checkout page of a shop that takes cards.
func pageCSP(withCard bool) string {
	script, frame, connect := "'self'", "'none'", "'self'"
	if withCard {
		script += " https://js.stripe.com https://*.js.stripe.com"
		frame = "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
		connect += " https://api.stripe.com"
	}
	return "default-src 'self'; script-src " + script + "; style-src 'self'; img-src 'self' https: http: data:; font-src 'self'; " +
		"connect-src " + connect + "; frame-src " + frame + "; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
}

// sendPage renders a shop page with its CSP, compressed when the client
// takes brotli or gzip.
func sendPage(c *fiber.Ctx, name string, p *shopPage, csp string) error {
	html, err := public.Render(name, p)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", csp)
	if len(c.Response().Header.Peek(fiber.HeaderCacheControl)) == 0 {
		c.Set(fiber.HeaderCacheControl, "no-cache") // the header shows the shopper's cart
	}
	c.Type("html", "utf-8")
	return sendCompressed(c, html)
}

// sendCompressed sends body in the best encoding the client accepts
// (brotli, gzip), at a level that costs little CPU per page.
func sendCompressed(c *fiber.Ctx, body []byte) error {
	c.Vary(fiber.HeaderAcceptEncoding)
	if len(body) < 1024 {
		return c.Send(body)
	}
	accept := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case acceptsEncoding(accept, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(fasthttp.AppendBrotliBytesLevel(nil, body, 4))
	case acceptsEncoding(accept, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(fasthttp.AppendGzipBytesLevel(nil, body, 5))
	}
	return c.Send(body)
}

// acceptsEncoding reports whether an Accept-Encoding header takes enc (and
// does not refuse it with q=0).
func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), enc) {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// pageQuery is a query string of the pairs whose value is not empty, in
// the order given ("?q=x&brand=y"), or "".
func pageQuery(pairs ...string) string {
	v := url.Values{}
	var keys []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
			keys = append(keys, pairs[i])
		}
	}
	if len(keys) == 0 {
		return ""
	}
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v.Get(k)))
	}
	return "?" + b.String()
}
