package web

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bazaar/bazaar/internal/browsertest"
)

// TestBackOfficeProductAndDrift: an Owner opens a product published from
// the feed whose price they overrode and whose feed price then moved; the
// page lists the drift, and taking the feed's value makes the price follow
// the feed again. They change the French title (the field becomes
// overridden), are refused a price that is no amount beside the field with
// nothing saved, and send the title back to the feed's; they make a product
// of their own. A Viewer sees the
// same product with no control to change it. Each step is checked through
// the product API.
func TestBackOfficeProductAndDrift(t *testing.T) {
	ts, shop, host, tok := importShop(t, "drift-office", setup{})
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", feedFile(product("PULL", "Pull en laine", "30 EUR")))
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	ts.runImport(t, host, tok, "")
	staged := findStaged(t, ts.staged(t, host, tok, ""), "PULL")
	sc := ts.scenarios(host, map[string]string{"owner": tok})
	var published productOut
	sc.send(t, scenario{as: "owner", method: "POST", path: fmt.Sprintf("/api/v1/products/from-import/%d", staged.ID),
		body: map[string]any{"price_cents": 2500}, wantStatus: http.StatusCreated}).decode(t, &published)
	feeds.set("/fr.tsv", feedFile(product("PULL", "Pull en laine", "35 EUR")))
	ts.runImport(t, host, tok, "")

	_, port, _ := net.SplitHostPort(ts.addr)
	page := fmt.Sprintf("http://%s:%s/admin/#product/%d", hostOf(shop), port, published.ID)
	p := browsertest.New(t).Page(t, 1440)
	officeSignIn(t, p, page, "owner@drift-office.test", `[data-drift-field="price"]`)
	row := evalString(t, p, `[...document.querySelectorAll('[data-drift-field="price"] td')].slice(0, 3).map(c => c.textContent).join(" | ")`)
	if row != "€30.00 | €35.00 | €25.00" {
		t.Errorf("drift row: %q", row)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-product-drift")

	// Take the feed's price: the drift is gone, the price follows the feed.
	p.Click(t, `[data-drift-field="price"] [data-drift-action="accept"]`)
	waitEval(t, p, `String(!document.querySelector("[data-drift]") && !!document.querySelector("[data-notice]:not([hidden])") && (document.getElementById("price_cents") || {}).value)`, "35.00")
	if got := ts.product(t, host, tok, published.ID); got.PriceCents != 3500 || slices.Contains(got.Overridden, "price") {
		t.Fatalf("after accepting the feed's price: %d, overridden %v", got.PriceCents, got.Overridden)
	}

	// A price that is no amount: the error beside the field, nothing sent.
	p.Run(t, chromedp.SetValue(chromedp.CSS("#price_cents"), "lots"), chromedp.Click(chromedp.CSS("[data-product-form] button[type=submit]")))
	waitText(t, p, "#price_cents-error", "an amount such as 24.90")
	if inv := evalString(t, p, `document.getElementById("price_cents").getAttribute("aria-invalid") + " " + (document.activeElement || {}).id`); inv != "true price_cents" {
		t.Errorf("the price field after a bad amount: %q (aria-invalid, focus)", inv)
	}

	// A French title of the vendor's own: saved, overridden; then back to
	// the feed's.
	p.Run(t, chromedp.SetValue(chromedp.CSS("#price_cents"), "35.00"),
		chromedp.SetValue(chromedp.CSS(`[id="title.fr"]`), "Notre pull"),
		chromedp.Click(chromedp.CSS("[data-product-form] button[type=submit]")))
	waitEval(t, p, `String(!!document.querySelector('[data-reset="title.fr"]'))`, "true")
	got := ts.product(t, host, tok, published.ID)
	if got.Title["fr"] != "Notre pull" || !slices.Contains(got.Overridden, "title.fr") || got.PriceCents != 3500 {
		t.Fatalf("after saving a title: %+v", got)
	}
	p.Screenshot(t, "admin-product")
	p.Click(t, `[data-reset="title.fr"]`)
	waitEval(t, p, `(document.getElementById("title.fr") || {}).value || ""`, "Pull en laine")
	if got := ts.product(t, host, tok, published.ID); got.Title["fr"] != "Pull en laine" || slices.Contains(got.Overridden, "title.fr") {
		t.Errorf("after going back to the feed's title: %+v", got)
	}
	p.NoSeriousViolations(t)

	// A product of the vendor's own, made on the page.
	p.Open(t, strings.Replace(page, fmt.Sprintf("#product/%d", published.ID), "#product/new", 1))
	p.WaitVisible(t, "#sku")
	lang := evalString(t, p, `document.querySelector("[data-language]").dataset.language`)
	p.Run(t, chromedp.SetValue(chromedp.CSS("#sku"), "MUG-1"), chromedp.SetValue(chromedp.CSS("#price_cents"), "12.5"),
		chromedp.SetValue(chromedp.CSS(`[id="title.`+lang+`"]`), "Mug"), chromedp.SetValue(chromedp.CSS("#status"), "active"),
		chromedp.Click(chromedp.CSS("[data-product-form] button[type=submit]")))
	waitEval(t, p, `(document.querySelector("[data-product-sku]") || {}).textContent || ""`, "SKU MUG-1 · active · made here")
	var made struct {
		Items []productOut `json:"items"`
	}
	sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/products?q=MUG-1", wantStatus: http.StatusOK}).decode(t, &made)
	if len(made.Items) != 1 || made.Items[0].PriceCents != 1250 || made.Items[0].Title[lang] != "Mug" || made.Items[0].Status != "active" {
		t.Errorf("the product made on the page: %+v", made.Items)
	}
	p.NoProblems(t)

	// A Viewer reads the product: no form, no drift or reset control.
	u := ts.user(t, "viewer@drift-office.test")
	ts.join(t, shop, u.ID, "viewer")
	v := browsertest.New(t).Page(t, 375)
	officeSignIn(t, v, page, "viewer@drift-office.test", "[data-product-facts]")
	if n := browsertest.Get(t, v, chromedp.Evaluate[int](`document.querySelectorAll("[data-product-form], [data-drift-action], [data-reset], [data-delete-product]").length`)); n != 0 {
		t.Errorf("a Viewer sees %d controls to change the product", n)
	}
	v.NoSeriousViolations(t)
	v.NoProblems(t)
}
