package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	entproduct "github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/public"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// The shop front over HTTP: what crawlers and browsers receive.

func (f *frontShop) get(t *testing.T, path string, headers ...string) *resp {
	t.Helper()
	h := map[string]string{"Accept": "text/html"}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ": ")
		h[k] = v
	}
	return f.ts.do(t, req{method: "GET", host: hostOf(f.tn), path: path, header: h})
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestShopPagesForCrawlers(t *testing.T) {
	f := newFrontShop(t)
	host := "http://" + hostOf(f.tn)
	ctx := context.Background()
	draft := addShopProduct(t, f.db, f.tn, shopItem{sku: "DRAFT", price: 100, title: map[string]string{"fr": "Brouillon"}})
	if err := f.db.Tx(ctx, f.tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.Product.UpdateOneID(draft).SetStatus(entproduct.StatusDraft).Exec(ctx)
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("LanguagesHaveTheirOwnURLs", func(t *testing.T) {
		r := f.get(t, fmt.Sprintf("/de/products/%d", f.scarf))
		body := string(r.body)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, body)
		}
		mustContain(t, "the German product page", body,
			`<html lang="de">`, "<h1>Roter Schal</h1>", "In den Warenkorb", "Inkl. 17% MwSt.",
			fmt.Sprintf(`<link rel="canonical" href="%s/de/products/%d">`, host, f.scarf),
			fmt.Sprintf(`<link rel="alternate" hreflang="fr" href="%s/products/%d">`, host, f.scarf),
			fmt.Sprintf(`<link rel="alternate" hreflang="en" href="%s/en/products/%d">`, host, f.scarf),
			fmt.Sprintf(`<link rel="alternate" hreflang="x-default" href="%s/products/%d">`, host, f.scarf),
			`<meta property="og:type" content="product">`, `<meta property="product:price:amount" content="29.90">`,
			`<meta property="og:image" content="http://pictures.test:`)
		if r := f.get(t, "/en/"); !strings.Contains(string(r.body), `<html lang="en">`) || !strings.Contains(string(r.body), ">Products<") {
			t.Errorf("/en/: %d %s", r.status, r.body)
		}
		// Only the shop's languages are prefixes.
		if r := f.get(t, "/it/products"); r.status != http.StatusNotFound {
			t.Errorf("/it/products (not a language of the shop): %d", r.status)
		}
	})

	t.Run("PathRoutingKeepsItsPrefix", func(t *testing.T) {
		prefix := "/vendor/" + f.tn.Slug
		r := f.ts.do(t, req{method: "GET", host: base, path: fmt.Sprintf("%s/de/products/%d", prefix, f.scarf), header: map[string]string{"Accept": "text/html"}})
		mustContain(t, "the product page by path", string(r.body), `<html lang="de">`, "<h1>Roter Schal</h1>",
			`href="`+prefix+`/de/cart"`, `href="`+prefix+`/theme/`, `"api":"`+prefix+`","base":"`+prefix+`/de"`,
			fmt.Sprintf(`hreflang="fr" href="http://%s%s/products/%d"`, base, prefix, f.scarf))
	})

	t.Run("ProductDataForSearchEngines", func(t *testing.T) {
		body := string(f.get(t, fmt.Sprintf("/en/products/%d", f.scarf)).body)
		m := regexp.MustCompile(`<script type="application/ld\+json">(.*?)</script>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no JSON-LD")
		}
		var ld struct {
			Type   string                `json:"@type"`
			Name   string                `json:"name"`
			GTIN   string                `json:"gtin"`
			SKU    string                `json:"sku"`
			Brand  struct{ Name string } `json:"brand"`
			Image  []string              `json:"image"`
			Offers struct {
				Price         string `json:"price"`
				PriceCurrency string `json:"priceCurrency"`
				Availability  string `json:"availability"`
			} `json:"offers"`
		}
		if err := json.Unmarshal([]byte(m[1]), &ld); err != nil {
			t.Fatalf("JSON-LD %s: %v", m[1], err)
		}
		if ld.Type != "Product" || ld.Name != "Red scarf" || ld.GTIN != gtin("541234500101") || ld.SKU != "SCARF-RED" ||
			ld.Brand.Name != "Laine & Co" || len(ld.Image) != 2 || ld.Offers.Price != "29.90" || ld.Offers.PriceCurrency != "EUR" ||
			ld.Offers.Availability != "https://schema.org/InStock" {
			t.Errorf("JSON-LD: %+v", ld)
		}
	})

	t.Run("DraftsHaveNoPage", func(t *testing.T) {
		if r := f.get(t, fmt.Sprintf("/products/%d", draft)); r.status != http.StatusNotFound || !strings.Contains(string(r.body), "<h1>404</h1>") {
			t.Errorf("draft product page: %d %s", r.status, r.body)
		}
	})

	t.Run("Sitemap", func(t *testing.T) {
		r := f.get(t, "/sitemap.xml")
		var sm struct {
			URLs []struct {
				Loc   string `xml:"loc"`
				Links []struct {
					Hreflang string `xml:"hreflang,attr"`
					Href     string `xml:"href,attr"`
				} `xml:"link"`
			} `xml:"url"`
		}
		if err := xml.Unmarshal(r.body, &sm); err != nil || r.status != http.StatusOK {
			t.Fatalf("sitemap %d: %v\n%s", r.status, err, r.body)
		}
		var locs []string
		for _, u := range sm.URLs {
			locs = append(locs, strings.TrimPrefix(u.Loc, host))
			if len(u.Links) != 3 {
				t.Errorf("%s has %d alternates, want fr, de, en", u.Loc, len(u.Links))
			}
		}
		got := strings.Join(locs, " ")
		for _, want := range []string{"/ ", "/products ", fmt.Sprintf("/products/%d", f.scarf), fmt.Sprintf("/products/%d", f.hostile)} {
			if !strings.Contains(got+" ", want) {
				t.Errorf("sitemap lacks %s: %s", want, got)
			}
		}
		if strings.Contains(got+" ", fmt.Sprintf("/products/%d ", draft)) {
			t.Errorf("sitemap lists the draft: %s", got)
		}
	})

	t.Run("Robots", func(t *testing.T) {
		body := string(f.get(t, "/robots.txt").body)
		mustContain(t, "robots.txt", body, "Disallow: /checkout", "Disallow: /api/", "Sitemap: "+host+"/sitemap.xml")
	})

	t.Run("StrictCSPAndNothingInline", func(t *testing.T) {
		for _, path := range []string{"/", "/products", fmt.Sprintf("/products/%d", f.scarf), "/cart", "/checkout", "/account"} {
			r := f.get(t, path)
			csp := r.header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "style-src 'self';") ||
				strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: CSP %q", path, csp)
			}
			body := string(r.body)
			// Every <script> is external or a data block; no style attribute or element.
			for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
				if !strings.Contains(tag, " src=") && !strings.Contains(tag, `type="application/`) {
					t.Errorf("%s: inline script %s", path, tag)
				}
			}
			// Text is escaped, so a "<" starts a real tag: none has a style
			// or an event handler attribute.
			for _, tag := range regexp.MustCompile(`<[a-zA-Z][^>]*>`).FindAllString(body, -1) {
				if strings.HasPrefix(tag, "<style") || regexp.MustCompile(`\s(?:style|on[a-z]+)=`).MatchString(tag) {
					t.Errorf("%s: inline style or handler in %s", path, tag)
				}
			}
		}
	})

	t.Run("PageWeight", func(t *testing.T) {
		for _, path := range []string{"/", "/products", fmt.Sprintf("/products/%d", f.scarf), "/checkout"} {
			r := f.get(t, path)
			total := len(r.body)
			for _, m := range regexp.MustCompile(`(?:href|src)="(/(?:assets|theme)/[^"]+)"`).FindAllStringSubmatch(string(r.body), -1) {
				a := f.get(t, m[1], "Accept-Encoding: identity")
				if a.status != http.StatusOK {
					t.Errorf("%s: %s answers %d", path, m[1], a.status)
				}
				total += len(a.body)
			}
			if total > 100<<10 {
				t.Errorf("%s weighs %d bytes before images, over 100 KB", path, total)
			}
			t.Logf("%s: %d bytes (HTML %d) before images, uncompressed", path, total, len(r.body))
		}
	})

	t.Run("SuspendedShopSaysSo", func(t *testing.T) {
		if _, err := f.db.SetStatus(ctx, f.tn.Slug, tenantdb.StatusSuspended, "test"); err != nil {
			t.Fatal(err)
		}
		eventuallyStatus(t, f.ts, hostOf(f.tn), "/products", http.StatusForbidden)
		r := f.get(t, "/")
		if r.status != http.StatusForbidden || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("suspended shop: %d %s", r.status, r.body)
		}
		mustContain(t, "the suspended shop's page", string(r.body),
			`<html lang="fr">`, "<h1>Épicerie Front</h1>", "Cette boutique est fermée pour le moment.")
		// The API says so in its own words.
		if r := f.ts.do(t, req{method: "GET", host: hostOf(f.tn), path: "/api/v1/shop/products"}); r.code() != "vendor_suspended" {
			t.Errorf("suspended shop's API: %d %s", r.status, r.body)
		}
	})
}

// TestShopAssets: the front end's files are served under names that change
// with their content, cached for a year, compressed in the encoding the
// client takes.
func TestShopAssets(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shopCSS, err := public.AssetURL("css/shop.css")
	if err != nil {
		t.Fatal(err)
	}
	plain := ts.do(t, req{method: "GET", host: base, path: shopCSS, header: map[string]string{"Accept-Encoding": "identity"}})
	if plain.status != http.StatusOK || !strings.Contains(string(plain.body), "--primary") ||
		plain.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("%s: %d %v", shopCSS, plain.status, plain.header)
	}
	br := ts.do(t, req{method: "GET", host: base, path: shopCSS, header: map[string]string{"Accept-Encoding": "gzip, br"}})
	if br.header.Get("Content-Encoding") != "br" || len(br.body) >= len(plain.body) {
		t.Fatalf("brotli: %v, %d bytes of %d", br.header, len(br.body), len(plain.body))
	}
	dec, err := io.ReadAll(brotli.NewReader(strings.NewReader(string(br.body))))
	if err != nil || string(dec) != string(plain.body) {
		t.Errorf("brotli body does not decode to the file: %v", err)
	}
	for _, path := range []string{"/assets/css/shop.css", "/assets/css/shop.000000000000.css", "/assets/nothing"} {
		if r := ts.do(t, req{method: "GET", host: base, path: path}); r.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, r.status)
		}
	}
}

func TestFeedHTML(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain & simple", "plain &amp; simple"},
		{"<p>One<br>two</p>", "<p>One<br>two</p>"},
		{"<B>bold</B> <em>it", "<b>bold</b> <em>it</em>"},
		{`<script>alert(1)</script>`, "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{`<img src=x onerror=alert(1)>`, "&lt;img src=x onerror=alert(1)&gt;"},
		{`<p class="x">styled</p>`, "&lt;p class=&#34;x&#34;&gt;styled&lt;/p&gt;"},
		{"</b>stray", "&lt;/b&gt;stray"},
		{"<ul><li>a<li>b</ul> after", "<ul><li>a<li>b</li></li></ul> after"},
	} {
		if got := string(feedHTML(tt.in)); got != tt.want {
			t.Errorf("feedHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := stripTags("<p>Line one</p><p>Line <b>two</b> &amp; <script>x</script></p>"); got != "Line one Line two &amp; <script>x</script>" {
		t.Errorf("stripTags: %q", got)
	}
}

func TestFormatMoney(t *testing.T) {
	for _, tt := range []struct {
		cents    int64
		cur, lng string
		want     string
	}{
		{2490, "EUR", "en", "€24.90"},
		{123450, "EUR", "en", "€1,234.50"},
		{123450, "EUR", "fr", "1\u202f234,50\u00a0€"},
		{123450, "EUR", "de", "1.234,50\u00a0€"},
		{5, "CHF", "en", "CHF 0.05"},
		{100000000, "EUR", "de", "1.000.000,00\u00a0€"},
	} {
		if got := formatMoney(tt.cents, tt.cur, tt.lng); got != tt.want {
			t.Errorf("formatMoney(%d, %s, %s) = %q, want %q", tt.cents, tt.cur, tt.lng, got, tt.want)
		}
	}
}
