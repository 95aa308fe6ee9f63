package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	entproduct "github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/browsertest"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// The shop front in a real browser (Debian's Chromium, headless): what a
// shopper sees and does, page by page, at a phone's width and a desktop's.

// frontShop is a shop set up for the browser tests: three languages, a
// theme, products with pictures (served on loopback) and variants, and one
// product imported from a feed whose text is hostile.
type frontShop struct {
	ts      *testServer
	db      *tenantdb.DB
	tn      *tenantdb.Tenant
	origin  string // http://<shop host>:<port>
	owner   string // the Owner's access token
	scarf   int    // on sale, in a group with scarfBlue
	blue    int
	book    int
	hostile int
}

// hostileTitle is feed text that would run as script if a page wrote it as
// HTML.
const hostileTitle = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> Bad & "bold"`

func newFrontShop(t *testing.T) *frontShop {
	t.Helper()
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions(), queue: true})
	tn := tenanttest.Tenant(t, db, "front")
	ctx := context.Background()
	if err := db.Platform().Vendor.UpdateOneID(tn.ID).SetName("Épicerie Front").SetBusinessEmail("hello@front.test").
		SetBusinessAddress("12 Rue du Marché").SetBusinessPostalCode("L-1234").SetBusinessCity("Luxembourg").SetBusinessCountry("LU").
		SetEnabledLanguages([]string{"fr", "de", "en"}).SetDefaultLanguage("fr").
		SetThemeConfig(map[string]any{"colors": map[string]any{"primary": "#2e7d32", "accent": "#ff9800"}, "font": "humanist"}).
		Exec(ctx); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ts.addr)
	f := &frontShop{ts: ts, db: db, tn: tn, origin: "http://" + hostOf(tn) + ":" + port}
	pics := pictureServer(t)
	f.scarf = addShopProduct(t, db, tn, shopItem{sku: "SCARF-RED", brand: "Laine & Co", group: "SCARF", price: 3990, sale: 2990, stock: 5,
		title:  map[string]string{"fr": "Écharpe rouge", "de": "Roter Schal", "en": "Red scarf"},
		desc:   map[string]string{"fr": "Laine du Luxembourg.", "de": "Wolle aus Luxemburg.", "en": "Luxembourg wool."},
		images: []string{pics + "/red.png", pics + "/red-2.png"}, gtin: gtin("541234500101")})
	f.blue = addShopProduct(t, db, tn, shopItem{sku: "SCARF-BLUE", brand: "Laine & Co", group: "SCARF", price: 3990, stock: 2,
		title: map[string]string{"fr": "Écharpe bleue", "de": "Blauer Schal", "en": "Blue scarf"}, images: []string{pics + "/blue.png"}})
	f.book = addShopProduct(t, db, tn, shopItem{sku: "BOOK", brand: "Éditions Guiden", price: 1999, vat: 300,
		title: map[string]string{"fr": "Livre de cuisine", "de": "Kochbuch", "en": "Cook book"}, images: []string{pics + "/book.png"}})
	f.owner, _ = ts.member(t, tn, "owner")
	f.hostile = f.importHostile(t)
	// The resolver caches the tenant: it must see the settings above.
	f.eventually(t, func() bool {
		t2, err := ts.srv.resolver.BySlug(ctx, tn.Slug)
		return err == nil && t2.Shop.DefaultLanguage == "fr" && len(t2.Shop.EnabledLanguages) == 3
	})
	return f
}

func (f *frontShop) eventually(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the shop's settings never reached the resolver")
		}
	}
}

// importHostile imports a product through the real Letzshop pipeline from a
// feed whose title, description and brand are markup, publishes it, and
// returns its id.
func (f *frontShop) importHostile(t *testing.T) int {
	t.Helper()
	host := hostOf(f.tn)
	feeds := newFeedServer(t)
	quoted := `"` + strings.ReplaceAll(hostileTitle, `"`, `""`) + `"` // RFC 4180, as Letzshop writes a field with quotes
	feeds.set("/fr.tsv", feedFile(feedRow{id: "EVIL-1", title: quoted, desc: `</div><script>window.pwned=3</script>Texte`,
		price: "12.50 EUR", avail: "in stock", brand: `<b>Brand</b>`, gtin: gtin("541234500200"), qty: "4"}))
	f.ts.configure(t, host, f.owner, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	if j := f.ts.runImport(t, host, f.owner, ""); j.Status != "succeeded" {
		t.Fatalf("import: %+v", j)
	}
	row := findStaged(t, f.ts.staged(t, host, f.owner, ""), "EVIL-1")
	r := f.ts.scenarios(host, map[string]string{"owner": f.owner}).send(t, scenario{as: "owner", method: "POST",
		path: fmt.Sprintf("/api/v1/products/from-import/%d", row.ID), wantStatus: http.StatusCreated})
	var p productOut
	r.decode(t, &p)
	return p.ID
}

type shopItem struct {
	sku, brand, group, gtin string
	title, desc             map[string]string
	price, sale             int64
	vat                     int
	stock                   int // 0: not tracked
	images                  []string
}

func addShopProduct(t *testing.T, db *tenantdb.DB, tn *tenantdb.Tenant, it shopItem) int {
	t.Helper()
	var id int
	err := db.Tx(context.Background(), tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		q := c.Product.Create().SetSku(it.sku).SetTitle(it.title).SetPriceCents(it.price).SetStatus(entproduct.StatusActive).
			SetBrand(it.brand).SetItemGroupID(it.group).SetImages(it.images).SetGtin(it.gtin).SetCurrency("EUR")
		if it.desc != nil {
			q.SetDescription(it.desc)
		}
		if it.sale > 0 {
			q.SetSalePriceCents(it.sale)
		}
		if it.vat > 0 {
			q.SetVatRateBp(it.vat)
		} else {
			q.SetVatRateBp(1700)
		}
		if it.stock > 0 {
			q.SetStock(it.stock)
		}
		p, err := q.Save(ctx)
		if err != nil {
			return err
		}
		id = p.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// pictureServer serves small PNGs on loopback under a host name of its own
// (the browser maps every name to 127.0.0.1), as a marketplace's image host
// would; it returns its origin.
func pictureServer(t *testing.T) string {
	t.Helper()
	colors := map[string]color.RGBA{"/red.png": {200, 40, 40, 255}, "/red-2.png": {150, 20, 20, 255},
		"/blue.png": {40, 60, 200, 255}, "/book.png": {230, 200, 120, 255}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := colors[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		img := image.NewRGBA(image.Rect(0, 0, 64, 64))
		for i := range img.Pix {
			img.Pix[i] = []uint8{c.R, c.G, c.B, c.A}[i%4]
		}
		var b bytes.Buffer
		_ = png.Encode(&b, img)
		w.Header().Set("Content-Type", "image/png")
		w.Write(b.Bytes()) //nolint:errcheck
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "http://pictures.test:" + port
}

// waitURL waits until the page's address contains part (a navigation a
// click or a script started has ended).
func waitURL(t *testing.T, p *browsertest.Page, part string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		loc := browsertest.Get(t, p, chromedp.Location())
		ready := browsertest.Get(t, p, chromedp.Evaluate[string](`document.readyState`))
		if strings.Contains(loc, part) && ready == "complete" {
			return loc
		}
		if time.Now().After(deadline) {
			t.Fatalf("still at %s, waiting for %q", loc, part)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func evalString(t *testing.T, p *browsertest.Page, js string) string {
	t.Helper()
	return browsertest.Get(t, p, chromedp.Evaluate[string](js))
}

// TestShopperBuysInTheBrowser is a shopper's visit: the home page in the
// shop's default language, a switch to English, a brand filter, two
// products into the cart, a quantity changed, a checkout by bank transfer
// and its confirmation — and the order is in the vendor's order API.
func TestShopperBuysInTheBrowser(t *testing.T) {
	f := newFrontShop(t)
	b := browsertest.New(t)
	p := b.Page(t, 1440)

	p.Open(t, f.origin+"/")
	if lang := evalString(t, p, `document.documentElement.lang`); lang != "fr" {
		t.Errorf("home in %q, want the shop's default fr", lang)
	}
	if h := p.Text(t, "h1"); h != "Épicerie Front" {
		t.Errorf("home h1 %q", h)
	}
	// The theme's primary colour is the header's.
	if bg := evalString(t, p, `getComputedStyle(document.querySelector(".site-header")).backgroundColor`); bg != "rgb(46, 125, 50)" {
		t.Errorf("header background %s, want the theme's #2e7d32", bg)
	}

	// Switch to English: the same page, under /en/, in English.
	p.Click(t, `.lang-switch a[hreflang="en"]`)
	waitURL(t, p, "/en/")
	if lang := evalString(t, p, `document.documentElement.lang`); lang != "en" {
		t.Errorf("after the switch: lang %q, want en", lang)
	}
	if nav := p.Text(t, ".site-nav"); !strings.Contains(nav, "Products") || !strings.Contains(nav, "Cart") {
		t.Errorf("English navigation: %q", nav)
	}

	// Filter by brand.
	p.Click(t, `.site-nav a[href="/en/products"]`)
	waitURL(t, p, "/en/products")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#f-brand"), "Laine & Co"), chromedp.Click(chromedp.CSS(".filters button[type=submit]")))
	waitURL(t, p, "brand=Laine")
	titles := evalString(t, p, `[...document.querySelectorAll(".results .card-title")].map(e => e.textContent).join("|")`)
	if titles != "Blue scarf|Red scarf" {
		t.Errorf("filtered by brand: %q, want the two scarves, newest first", titles)
	}

	// The red scarf: on sale, with its VAT, pictures and variant; into the cart.
	p.Click(t, `.results a.card-link[href="/en/products/`+fmt.Sprint(f.scarf)+`"]`)
	waitURL(t, p, fmt.Sprintf("/en/products/%d", f.scarf))
	if price := p.Text(t, ".buy .price"); !strings.Contains(price, "€39.90") || !strings.Contains(price, "€29.90") {
		t.Errorf("price %q, want €39.90 struck and €29.90", price)
	}
	if vat := p.Text(t, ".vat"); vat != "Includes 17% VAT" {
		t.Errorf("VAT note %q", vat)
	}
	// The second picture loads lazily: give it a moment.
	waitEval(t, p, `String([...document.querySelectorAll(".images img")].filter(i => i.complete && i.naturalWidth > 0).length)`, "2")
	if v := p.Text(t, ".variants"); !strings.Contains(v, "Blue scarf") {
		t.Errorf("variants %q", v)
	}
	p.Click(t, "[data-add-to-cart] button")
	p.WaitVisible(t, "[data-notice]")
	if n := p.Text(t, "[data-cart-count]"); n != "1" {
		t.Errorf("cart count %q after one scarf", n)
	}

	p.Open(t, fmt.Sprintf("%s/en/products/%d", f.origin, f.book))
	p.Click(t, "[data-add-to-cart] button")
	p.WaitVisible(t, "[data-notice]")
	p.Run(t, chromedp.WaitVisible(chromedp.CSS(`[data-cart-count]`)))
	if n := p.Text(t, "[data-cart-count]"); n != "2" {
		t.Errorf("cart count %q after the book", n)
	}

	// The cart: two scarves instead of one.
	p.Click(t, ".cart-link")
	waitURL(t, p, "/en/cart")
	p.Run(t, chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#q-%d", f.scarf)), "2"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-cart-line="%d"] button[type=submit]`, f.scarf))))
	waitText(t, p, "[data-subtotal]", "€79.79") // 2 × 29.90 + 19.99
	if n := p.Text(t, "[data-cart-count]"); n != "3" {
		t.Errorf("cart count %q after the change", n)
	}

	// Checkout by bank transfer, standard delivery (free from €75).
	p.Click(t, `a.button[href="/en/checkout"]`)
	waitURL(t, p, "/en/checkout")
	p.Run(t,
		chromedp.SetValue(chromedp.CSS("#c-email"), "lea@example.lu"),
		chromedp.SetValue(chromedp.CSS("#b-name"), "Léa Muller"),
		chromedp.SetValue(chromedp.CSS("#b-line1"), "3 Rue de la Gare"),
		chromedp.SetValue(chromedp.CSS("#b-postal"), "L-4130"),
		chromedp.SetValue(chromedp.CSS("#b-city"), "Esch-sur-Alzette"),
		chromedp.Click(chromedp.CSS("#ship-standard")),
		chromedp.Click(chromedp.CSS("#pay-bank_transfer")),
	)
	if total := p.Text(t, "[data-order-total]"); total != "€79.79" {
		t.Errorf("total before placing %q, want €79.79 (delivery free above €75)", total)
	}
	p.Click(t, ".checkout-form button[type=submit]")
	waitURL(t, p, "/en/orders/1?placed=1")
	if h := p.Text(t, "h1"); h != "Thank you for your order" {
		t.Errorf("confirmation h1 %q", h)
	}
	if s := p.Text(t, "main"); !strings.Contains(s, "Your order number is 1") || !strings.Contains(s, "quoting the reference 1") ||
		!strings.Contains(s, "Red scarf") || !strings.Contains(s, "Cook book") {
		t.Errorf("confirmation: %q", s)
	}
	if total := p.Text(t, "[data-order-total]"); total != "€79.79" {
		t.Errorf("confirmed total %q", total)
	}
	if n := p.Text(t, "[data-cart-count]"); n != "0" {
		t.Errorf("cart count %q after checkout", n)
	}
	p.NoProblems(t)

	// The vendor sees the order.
	r := f.ts.scenarios(hostOf(f.tn), map[string]string{"owner": f.owner}).send(t, scenario{as: "owner", method: "GET",
		path: "/api/v1/orders", wantStatus: http.StatusOK})
	var list struct {
		Items []struct {
			Number     int64  `json:"number"`
			Email      string `json:"email"`
			TotalCents int64  `json:"total_cents"`
			Units      int    `json:"units"`
			Status     string `json:"status"`
		} `json:"items"`
	}
	r.decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Email != "lea@example.lu" || list.Items[0].TotalCents != 7979 ||
		list.Items[0].Units != 3 || list.Items[0].Status != "pending_payment" {
		t.Errorf("vendor's orders: %+v", list.Items)
	}
}

// waitText waits until the element's text is want.
func waitText(t *testing.T, p *browsertest.Page, sel, want string) {
	t.Helper()
	waitEval(t, p, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel), want)
}

// waitEval waits until the JavaScript expression js gives want.
func waitEval(t *testing.T, p *browsertest.Page, js, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := evalString(t, p, js)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s gives %q, want %q", js, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shopperPassword is the browser tests' customers' password.
const shopperPassword = "a long enough secret"

// customerWithOrder registers a customer over the shop's API and places an
// order as them (qty of product, by bank transfer); the returned client holds
// their cookies.
func (f *frontShop) customerWithOrder(t *testing.T, email, first, last string, product, qty int, shipping string) *browser {
	t.Helper()
	api := f.ts.browser(hostOf(f.tn))
	api.must(t, http.StatusCreated, "POST", "/api/v1/shop/account/register", map[string]any{
		"email": email, "password": shopperPassword, "first_name": first, "last_name": last})
	api.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": product, "quantity": qty})
	api.must(t, http.StatusCreated, "POST", "/api/v1/shop/checkout", checkoutBody(email, shipping, "bank_transfer"))
	return api
}

// signIn fills in and sends the sign-in form of the account page p shows,
// and waits for the greeting.
func (f *frontShop) signIn(t *testing.T, p *browsertest.Page, email, greeting string) {
	t.Helper()
	p.Run(t,
		chromedp.SetValue(chromedp.CSS("#l-email"), email),
		chromedp.SetValue(chromedp.CSS("#l-password"), shopperPassword),
		chromedp.Click(chromedp.CSS(`form[data-action="/api/v1/shop/account/login"] button`)),
	)
	waitText(t, p, "h1", greeting)
}

// TestReturningCustomerSeesTheirOrder: a customer who bought while signed
// in comes back on another device, signs in on the account page and finds
// the order there.
func TestReturningCustomerSeesTheirOrder(t *testing.T) {
	f := newFrontShop(t)
	f.customerWithOrder(t, "marie@example.lu", "Marie", "Schmit", f.book, 2, "pickup")

	p := browsertest.New(t).Page(t, 375)
	p.Open(t, f.origin+"/de/account")
	f.signIn(t, p, "marie@example.lu", "Hallo Marie")
	if s := p.Text(t, "main"); !strings.Contains(s, "#1") || !strings.Contains(s, "Zahlung ausstehend") {
		t.Errorf("account: %q", s)
	}
	p.Click(t, `a[href="/de/orders/1"]`)
	waitURL(t, p, "/de/orders/1")
	if s := p.Text(t, "main"); !strings.Contains(s, "Bestellung 1") || !strings.Contains(s, "Livre de cuisine") || // the order keeps the words it was placed in
		!strings.Contains(s, "Sie holen Ihre Bestellung im Geschäft ab") {
		t.Errorf("order page: %q", s)
	}
	p.NoProblems(t)

	// Another shopper (no cookie of hers) is told there is no such order.
	other := browsertest.New(t).Page(t, 375)
	resp := browsertest.Get(t, other, chromedp.NavigateResponse(f.origin+"/de/orders/1"))
	if resp.Status != http.StatusNotFound {
		t.Errorf("someone else's receipt: %d", resp.Status)
	}
}

// TestShopByKeyboard: a shopper without a mouse skips to the content,
// sees where the focus is, and puts a product in the cart with the keys.
func TestShopByKeyboard(t *testing.T) {
	f := newFrontShop(t)
	p := browsertest.New(t).Page(t, 1440)
	p.Open(t, fmt.Sprintf("%s/en/products/%d", f.origin, f.scarf))
	focused := func() string {
		return evalString(t, p, `(() => { const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
			return [e.tagName.toLowerCase() + (e.className ? "." + e.className.split(" ")[0] : "") + (e.id ? "#" + e.id : ""),
				s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 ? "outlined" : "no-outline",
				r.bottom > 0 && r.top < innerHeight ? "in-view" : "out-of-view"].join(" "); })()`)
	}
	p.Run(t, chromedp.KeyEvent(kb.Tab))
	if got := focused(); got != "a.skip-link outlined in-view" {
		t.Errorf("first Tab: %q, want the skip link, visible and outlined", got)
	}
	p.Run(t, chromedp.KeyEvent(kb.Enter))
	if got := evalString(t, p, `document.activeElement.id`); got != "main" {
		t.Errorf("the skip link took the focus to %q, want main", got)
	}
	// On from the content to the add-to-cart button, every stop outlined.
	var stops []string
	for range 40 {
		p.Run(t, chromedp.KeyEvent(kb.Tab))
		got := focused()
		stops = append(stops, got)
		if !strings.Contains(got, " outlined") {
			t.Errorf("focus on %q shows no outline", got)
		}
		if strings.HasPrefix(got, "button.button") {
			break
		}
	}
	if last := stops[len(stops)-1]; !strings.HasPrefix(last, "button.button") {
		t.Fatalf("Tab never reached the add-to-cart button: %v", stops)
	}
	p.Run(t, chromedp.KeyEvent(kb.Enter))
	waitText(t, p, "[data-cart-count]", "1")
	p.NoProblems(t)
}

// TestHostileFeedTextIsShownAsText: a product imported from a feed whose
// text is markup shows that markup as text; none of it runs, and the page
// breaks no rule of its CSP.
func TestHostileFeedTextIsShownAsText(t *testing.T) {
	f := newFrontShop(t)
	p := browsertest.New(t).Page(t, 1440)
	p.Open(t, fmt.Sprintf("%s/products/%d", f.origin, f.hostile))
	if h := p.Text(t, "h1"); h != strings.Join(strings.Fields(hostileTitle), " ") {
		t.Errorf("h1 %q, want the feed's title as text", h)
	}
	if d := evalString(t, p, `document.querySelector(".description .text").textContent`); d != `</div><script>window.pwned=3</script>Texte` {
		t.Errorf("description %q", d)
	}
	if b := p.Text(t, ".buy .brand"); b != "<b>Brand</b>" {
		t.Errorf("brand %q", b)
	}
	if pwned := evalString(t, p, `String(window.pwned)`); pwned != "undefined" {
		t.Errorf("the feed's script ran: window.pwned = %s", pwned)
	}
	// The JSON-LD block carries the same text, escaped, and parses.
	var ld struct {
		Name   string `json:"name"`
		Offers struct {
			Price, PriceCurrency string
		} `json:"offers"`
	}
	raw := evalString(t, p, `document.querySelector('script[type="application/ld+json"]').textContent`)
	if err := json.Unmarshal([]byte(raw), &ld); err != nil || ld.Name != hostileTitle || ld.Offers.Price != "12.50" {
		t.Errorf("JSON-LD %s: %+v %v", raw, ld, err)
	}
	p.NoProblems(t)
}

// TestEveryShopPageInTheBrowser opens every page of the shop at a phone's
// width and a desktop's: axe-core finds no serious or critical
// accessibility violation, nothing breaks the CSP or throws, nothing is
// wider than the screen, and a screenshot of each goes to .screenshots/;
// last, the shop suspended, its closed page.
func TestEveryShopPageInTheBrowser(t *testing.T) {
	f := newFrontShop(t)
	host := hostOf(f.tn)
	// A customer with an order, for the account and receipt pages, and a
	// cart again.
	api := f.customerWithOrder(t, "jo@example.lu", "Jo", "Weber", f.scarf, 1, "standard")
	api.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": f.book, "quantity": 1})
	api.must(t, http.StatusOK, "POST", "/api/v1/shop/cart/lines", map[string]any{"product_id": f.scarf, "quantity": 2})

	pages := []struct{ name, path string }{
		{"home", "/"},
		{"products", "/products"},
		{"products-filtered", "/en/products?q=scarf&sort=price"},
		{"product", fmt.Sprintf("/products/%d", f.scarf)},
		{"product-de", fmt.Sprintf("/de/products/%d", f.book)},
		{"hostile-product", fmt.Sprintf("/products/%d", f.hostile)},
		{"cart", "/en/cart"},
		{"checkout", "/en/checkout"},
		{"order", "/en/orders/1"},
		{"account", "/en/account"},
		{"account-signed-out", "/en/account?signed-out"},
		{"reset-password", "/en/account/reset-password?token=x"},
		{"empty-cart", "/cart?empty"},
	}
	for _, width := range []int{375, 1440} {
		b := browsertest.New(t)
		signedIn := b.Page(t, width)
		// The signed-in shopper's cookies, in this browser.
		signedIn.Open(t, f.origin+"/en/account")
		f.signIn(t, signedIn, "jo@example.lu", "Hello Jo")
		anon := browsertest.New(t).Page(t, width)
		for _, pg := range pages {
			t.Run(fmt.Sprintf("%s-%d", pg.name, width), func(t *testing.T) {
				p := signedIn
				if strings.Contains(pg.path, "signed-out") || strings.Contains(pg.path, "empty") || pg.name == "reset-password" {
					p = anon
				}
				p.Open(t, f.origin+pg.path)
				p.NoSeriousViolations(t)
				if w := evalString(t, p, `String(document.documentElement.scrollWidth)`); w != fmt.Sprint(width) {
					t.Errorf("the page is %s px wide in a %d px window", w, width)
				}
				p.Screenshot(t, "shop-"+pg.name)
				p.NoProblems(t)
			})
		}
	}
	// A suspended shop's page (a 403, so the browser logs the status: no
	// NoProblems here).
	if _, err := f.db.SetStatus(context.Background(), f.tn.Slug, tenantdb.StatusSuspended, "test"); err != nil {
		t.Fatal(err)
	}
	eventuallyStatus(t, f.ts, host, "/products", http.StatusForbidden)
	for _, width := range []int{375, 1440} {
		p := browsertest.New(t).Page(t, width)
		if resp := browsertest.Get(t, p, chromedp.NavigateResponse(f.origin+"/")); resp.Status != http.StatusForbidden {
			t.Errorf("suspended shop: %d", resp.Status)
		}
		p.NoSeriousViolations(t)
		p.Screenshot(t, "shop-suspended")
	}
}
