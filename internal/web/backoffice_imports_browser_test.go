package web

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bazaar/bazaar/internal/browsertest"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// importOffice is a shop whose imports run on the real queue, a feed
// server on loopback with a French and an English file (two products, and
// a French line whose GTIN is wrong), and the shop's origin for the browser.
func importOffice(t *testing.T, slug string) (*testServer, *tenantdb.Tenant, *feedServer, string) {
	t.Helper()
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions(), queue: true})
	tn := tenanttest.Tenant(t, db, slug)
	_, port, _ := net.SplitHostPort(ts.addr)
	feeds := newFeedServer(t)
	tee, honey := gtin("541234500102"), gtin("541234500101")
	feeds.set("/fr.tsv", feedFile(
		feedRow{"TEE-M", "T-shirt rouge M", "Coton bio", "24.90 EUR", "in stock", "Atelier", tee, "12"},
		feedRow{"HONEY", "Miel de fleurs", "Miel du Luxembourg", "9.50 EUR", "in stock", "Rucher", honey, "40"},
		feedRow{"BAD", "Mauvais GTIN", "", "1.00 EUR", "in stock", "", "5412345001011", ""}))
	feeds.set("/en.tsv", feedFile(
		feedRow{"TEE-M", "Red T-shirt M", "Organic cotton", "24.90 EUR", "in stock", "Atelier", tee, "12"},
		feedRow{"HONEY", "Flower honey", "Honey from Luxembourg", "9.50 EUR", "in stock", "Rucher", honey, "40"}))
	return ts, tn, feeds, "http://" + hostOf(tn) + ":" + port
}

// waitUntil waits until the script cond is true, reading the page by
// script in one step each time (a redrawn page replaces its nodes); on
// timeout it fails with what the script show gives.
func waitUntil(t *testing.T, p *browsertest.Page, within time.Duration, cond, show string) {
	t.Helper()
	for deadline := time.Now().Add(within); !browsertest.Get(t, p, chromedp.Evaluate[bool](cond)); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; the page shows %q", within, cond, evalString(t, p, show))
		}
	}
}

// runStatus reads a run page's status, "" while it is not drawn.
const runStatus = `((document.querySelector('[data-run-figure="status"]') || {}).textContent || "")`

// runID is the run the address names (#imports/run/<id>).
func runID(t *testing.T, p *browsertest.Page) int {
	t.Helper()
	loc := waitURL(t, p, "#imports/run/")
	var id int
	if _, err := fmt.Sscanf(loc[strings.Index(loc, "#imports/run/")+len("#imports/run/"):], "%d", &id); err != nil {
		t.Fatalf("no run id in %s", loc)
	}
	return id
}

// TestBackOfficeOwnerImportsAndPublishes follows an Owner through the
// Imports section in Chromium: the feed configured (a refused URL shown
// beside its field first), a dry run's report (counts and the refused
// row) that stages nothing, an import watched while it runs — a reload in
// the middle finds it again from the address — to its outcome, the
// refused rows' CSV, the staging browser, a product selected and published
// with a price and a title of the Owner's, and the shop's product page
// showing that price. The API agrees at each step.
func TestBackOfficeOwnerImportsAndPublishes(t *testing.T) {
	ts, tn, feeds, origin := importOffice(t, "impui")
	host := hostOf(tn)
	email := fmt.Sprintf("owner-%d@impui.test", time.Now().UnixNano()) // users are the platform's: one per run
	owner := ts.user(t, email)
	ts.join(t, tn, owner.ID, "owner")
	tok := ts.login(t, host, email).access
	sc := ts.scenarios(host, map[string]string{"owner": tok})

	// A URL the import could not fetch is refused beside its field. The
	// refusal is a 400 the browser logs, so it happens in a tab of its own;
	// the other tab, signed in by the same cookie, must report no problem.
	b := browsertest.New(t)
	refused := b.Page(t, 1440)
	officeSignIn(t, refused, origin+"/admin/#imports/config", email, "[data-config-form]")
	refused.Run(t, chromedp.SetValue(chromedp.CSS("#cfg-lang-0"), "fr"), chromedp.SetValue(chromedp.CSS("#cfg-url-0"), "ftp://feeds.example/fr.tsv"),
		chromedp.Click(chromedp.CSS("[data-config-form] button[type=submit]")))
	refused.WaitVisible(t, "#cfg-url-0-error")
	if inv := evalString(t, refused, `document.getElementById("cfg-url-0").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Errorf("the refused URL's field is not marked invalid (%q)", inv)
	}
	refused.NoSeriousViolations(t)

	p := b.Page(t, 1440)
	p.Open(t, origin+"/admin/#imports/config")
	p.WaitVisible(t, "[data-config-form]")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#cfg-lang-0"), "fr"))
	p.Run(t, chromedp.SetValue(chromedp.CSS("#cfg-url-0"), feeds.url("/fr.tsv")), chromedp.Click(chromedp.CSS("[data-add-feed]")))
	p.WaitVisible(t, "#cfg-url-1")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#cfg-lang-1"), "en"), chromedp.SetValue(chromedp.CSS("#cfg-url-1"), feeds.url("/en.tsv")),
		chromedp.Click(chromedp.CSS("#cfg-active")), chromedp.Click(chromedp.CSS("[data-config-form] button[type=submit]")))
	waitUntil(t, p, 15*time.Second, `(document.querySelector("[data-notice]").textContent === "Feed configuration saved.")`,
		`document.querySelector("[data-notice]").textContent + " " + document.querySelector("[data-config-form]").textContent`)
	sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/marketplace/config", wantStatus: http.StatusOK,
		want: []string{fmt.Sprintf(`"feeds":[{"language":"fr","url":%q},{"language":"en","url":%q}]`, feeds.url("/fr.tsv"), feeds.url("/en.tsv")), `"active":true`}})
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-import-config")

	// A dry run: its report, and nothing staged.
	p.Click(t, `.subnav a[href="#imports"]`)
	p.Click(t, `[data-trigger="dry-run"]`)
	dry := runID(t, p)
	waitUntil(t, p, 30*time.Second, `!!document.querySelector("[data-row-errors]") && !!document.querySelector("[data-changes]")`, runStatus)
	if s := evalString(t, p, runStatus); s != "partially failed" {
		t.Errorf("the preview's status %q", s)
	}
	report := evalString(t, p, `[...document.querySelectorAll("[data-count]")].map(d => d.dataset.count + "=" + d.textContent).join(" ") + " | " +
		[...document.querySelectorAll("[data-row-errors] tbody tr")].map(r => [...r.cells].slice(0, 5).map(c => c.textContent).join(";")).join(" / ") + " | " +
		document.querySelector("[data-changes]").textContent`)
	for _, want := range []string{"created=2", "failed=1", "4;fr;7;gtin;", "check digit", "TEE-M"} {
		if !strings.Contains(report, want) {
			t.Errorf("the preview's report lacks %q: %s", want, report)
		}
	}
	if got := ts.staged(t, host, tok, ""); len(got) != 0 {
		t.Errorf("a dry run staged %+v", got)
	}

	// The import, held halfway through the English file: the page shows
	// it running, and still does after a reload.
	release := feeds.hold("/en.tsv")
	defer release()
	p.Click(t, `.subnav a[href="#imports"]`)
	waitUntil(t, p, 15*time.Second, fmt.Sprintf(`!!document.querySelector('[data-run="%d"]')`, dry), `document.querySelector("main").textContent`)
	p.Click(t, `[data-trigger="import"]`)
	run := runID(t, p)
	waitUntil(t, p, 30*time.Second, `!!document.querySelector("[data-run-progress]") && `+runStatus+` === "running"`, runStatus)
	// A real reload (opening the same address would only move to its
	// fragment): the mark set on the old page must be gone.
	browsertest.Get(t, p, chromedp.Evaluate[bool](`window.before = true`))
	p.Run(t, chromedp.Reload())
	if evalString(t, p, `String(!!window.before) + " " + location.hash`) != fmt.Sprintf("false #imports/run/%d", run) {
		t.Errorf("the page was not reloaded at its run's address")
	}
	// The French file is read, the English one held: one file of two.
	waitUntil(t, p, 15*time.Second, runStatus+` === "running" && (document.querySelector("[data-run-rows]") || {textContent: ""}).textContent.startsWith(" 1 of 2 files read")`,
		runStatus+` + (document.querySelector("[data-run-rows]") || {}).textContent`)
	if got := evalString(t, p, `document.querySelector("[data-run-heading]").textContent + " " + document.querySelector("[data-run-progress]").value`); got != fmt.Sprintf("Import #%d 1", run) {
		t.Errorf("after a reload the page shows %q", got)
	}
	if n := browsertest.Get(t, p, chromedp.Evaluate[int](`document.querySelectorAll("[data-cancel]").length`)); n != 1 {
		t.Errorf("an Owner watching a running import sees %d cancel buttons", n)
	}
	p.NoSeriousViolations(t)
	release()
	waitUntil(t, p, 30*time.Second, `!!document.querySelector("[data-row-errors]")`, runStatus)
	if s := evalString(t, p, runStatus); s != "partially failed" {
		t.Errorf("the import's status %q", s)
	}
	if n := evalString(t, p, `document.querySelector('[data-count="created"]').textContent`); n != "2" {
		t.Errorf("the import created %s", n)
	}
	if j := ts.waitImport(t, host, tok, run); j.Status != "partially_failed" || j.Counts.Created != 2 || j.Counts.Failed != 1 {
		t.Errorf("the import, through the API: %+v", j)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-import-run")

	// The refused rows' CSV: the page hands the browser the server's file
	// (caught here as a Blob and a name: the page's CSP, rightly, lets no
	// script read the blob: address back).
	browsertest.Get(t, p, chromedp.Evaluate[bool](`window.saved = null; window.savedName = "";
		const blob = URL.createObjectURL; URL.createObjectURL = (b) => { b.text().then(text => { window.saved = text; }); return blob.call(URL, b); };
		HTMLAnchorElement.prototype.click = function () { window.savedName = this.download; }; true`))
	p.Click(t, "[data-errors-csv]")
	waitUntil(t, p, 15*time.Second, `!!window.saved && !!window.savedName`, `String(window.saved) + document.querySelector("[data-errors-csv]").parentNode.textContent`)
	if csv := evalString(t, p, `window.savedName + "\n" + window.saved`); !strings.HasPrefix(csv, fmt.Sprintf("import-%d-errors.csv\nlanguage,line,column,field,reason,raw,raw_note\nfr,4,7,gtin,", run)) {
		t.Errorf("the errors CSV: %q", csv)
	}

	// The history lists both runs.
	p.Click(t, `.subnav a[href="#imports"]`)
	waitUntil(t, p, 15*time.Second, fmt.Sprintf(`!!document.querySelector('[data-run="%d"]') && !!document.querySelector('[data-run="%d"]')`, run, dry),
		`document.querySelector("main").textContent`)
	if s := evalString(t, p, fmt.Sprintf(`document.querySelector('[data-run="%d"] [data-status]').textContent`, run)); s != "partially failed" {
		t.Errorf("the history says the import %q", s)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-imports")

	// The staging browser: select the T-shirt, then publish it at €19.99
	// with a French title of the Owner's.
	tee := findStaged(t, ts.staged(t, host, tok, ""), "TEE-M")
	p.Click(t, `.subnav a[href="#imports/staging"]`)
	waitUntil(t, p, 15*time.Second, `document.querySelectorAll("[data-staged-row]").length === 2`, `document.querySelector("main").textContent`)
	p.Click(t, fmt.Sprintf(`[data-select="%d"]`, tee.ID))
	waitUntil(t, p, 15*time.Second, `document.querySelector("[data-notice]").textContent === "TEE-M selected."`, `document.querySelector("[data-notice]").textContent`)
	if got := ts.staged(t, host, tok, "?selected=true"); len(got) != 1 || got[0].FeedID != "TEE-M" {
		t.Errorf("selected through the page: %+v", got)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-staging")

	p.Click(t, fmt.Sprintf(`[data-publish="%d"]`, tee.ID))
	p.WaitVisible(t, "[data-publish-form]")
	if v := evalString(t, p, `document.getElementById("pub-price").value`); v != "24.90" {
		t.Errorf("the form's price %q, want the feed's 24.90", v)
	}
	p.Run(t, chromedp.SetValue(chromedp.CSS("#pub-price"), "19.99"), chromedp.SetValue(chromedp.CSS("#pub-title-fr"), "Notre T-shirt"))
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-import-publish")
	p.Click(t, "[data-publish-form] button[type=submit]")
	p.WaitVisible(t, "[data-published-product]")
	var productID int
	fmt.Sscan(evalString(t, p, `document.querySelector("[data-published-product]").dataset.publishedProduct`), &productID)
	got := ts.product(t, host, tok, productID)
	if got.SKU != "TEE-M" || got.PriceCents != 1999 || got.Title["fr"] != "Notre T-shirt" || got.Title["en"] != "Red T-shirt M" ||
		got.Status != "active" || strings.Join(got.Overridden, ",") != "price,title.fr" {
		t.Errorf("published through the page: %+v", got)
	}

	// The staging browser says which products are in the shop.
	p.Open(t, origin+"/admin/#imports/staging")
	waitUntil(t, p, 15*time.Second, `document.querySelectorAll("[data-staged-row]").length === 2`, `document.querySelector("main").textContent`)
	if s := evalString(t, p, `[...document.querySelectorAll("[data-staged-row]")].map(r => r.dataset.stagedRow + ":" + !!r.querySelector("[data-published]")).sort().join(" ")`); s != "HONEY:false TEE-M:true" {
		t.Errorf("published marks: %s", s)
	}

	// On a phone the Owner's forms and tables fit the window.
	phone := b.Page(t, 375)
	honey := findStaged(t, ts.staged(t, host, tok, ""), "HONEY")
	for _, pg := range []struct{ hash, ready string }{
		{"#imports/config", `!!document.querySelector("#cfg-url-1")`},
		{"#imports/staging", `document.querySelectorAll("[data-select]").length === 2`},
		{fmt.Sprintf("#imports/run/%d", run), `!!document.querySelector("[data-row-errors]")`},
		{fmt.Sprintf("#imports/publish/%d", honey.ID), `!!document.querySelector("[data-publish-form]")`},
	} {
		phone.Open(t, origin+"/admin/"+pg.hash)
		waitUntil(t, phone, 15*time.Second, pg.ready, `document.querySelector("main").textContent`)
		if w := browsertest.Get(t, phone, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
			t.Errorf("%s is %d px wide in a 375 px window: %s", pg.hash, w, evalString(t, phone, `[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > 376).map(e => e.tagName + "." + e.className + "[" + Math.round(e.getBoundingClientRect().right) + "]").slice(0, 8).join(" ")`))
		}
	}
	phone.NoSeriousViolations(t)
	phone.NoProblems(t)

	// The shop's product page sells it at the Owner's price.
	p.Open(t, fmt.Sprintf("%s/products/%d", origin, productID))
	// (Written the shop's language's way: 19,99 € in French.)
	if price := p.Text(t, ".product .price"); !strings.Contains(price, "19,99") && !strings.Contains(price, "19.99") || !strings.Contains(price, "€") {
		t.Errorf("the shop shows the price %q", price)
	}
	p.NoProblems(t)
}

// TestBackOfficeImportsReadOnly: a Viewer (imports.view, products.view)
// reads the runs, a run's report, the configuration and the staging area
// on a phone's width, with no control to configure, trigger, cancel,
// select or publish — and the server refuses them anyway.
func TestBackOfficeImportsReadOnly(t *testing.T) {
	ts, tn, feeds, origin := importOffice(t, "impro")
	host := hostOf(tn)
	ownerTok, _ := ts.member(t, tn, "owner")
	ts.configure(t, host, ownerTok, map[string]string{"fr": feeds.url("/fr.tsv"), "en": feeds.url("/en.tsv")}, "fr", "en")
	j := ts.runImport(t, host, ownerTok, "")
	staged := ts.staged(t, host, ownerTok, "")
	email := fmt.Sprintf("viewer-%d@impro.test", time.Now().UnixNano()) // users are the platform's: one per run
	viewer := ts.user(t, email)
	ts.join(t, tn, viewer.ID, "viewer")

	p := browsertest.New(t).Page(t, 375)
	officeSignIn(t, p, origin+"/admin/#imports", email, "[data-runs]")
	controls := `document.querySelectorAll("[data-trigger], [data-cancel], [data-config-form], [data-add-feed], [data-select], [data-publish], [data-publish-selection], [data-publish-form]").length`
	pages := []struct{ hash, ready, name string }{
		{"#imports", fmt.Sprintf(`!!document.querySelector('[data-run="%d"]')`, j.ID), "admin-imports-viewer"},
		{fmt.Sprintf("#imports/run/%d", j.ID), `!!document.querySelector("[data-row-errors]")`, ""},
		{"#imports/config", `!!document.querySelector("[data-config]") && document.querySelector("[data-config]").textContent.includes("/en.tsv")`, ""},
		{"#imports/staging", `document.querySelectorAll("[data-staged-row]").length === 2`, "admin-staging-viewer"},
		{fmt.Sprintf("#imports/publish/%d", staged[0].ID), `document.querySelector("main").textContent.includes("cannot publish")`, ""},
	}
	for _, pg := range pages {
		p.Open(t, origin+"/admin/"+pg.hash)
		waitUntil(t, p, 15*time.Second, pg.ready, `document.querySelector("main").textContent`)
		if n := browsertest.Get(t, p, chromedp.Evaluate[int](controls)); n != 0 {
			t.Errorf("%s: a Viewer sees %d controls to change imports", pg.hash, n)
		}
		if w := browsertest.Get(t, p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
			t.Errorf("%s is %d px wide in a 375 px window", pg.hash, w)
		}
		p.NoSeriousViolations(t)
		if pg.name != "" {
			p.Screenshot(t, pg.name)
		}
	}
	p.NoProblems(t)

	tok := ts.login(t, host, email).access
	sc := ts.scenarios(host, map[string]string{"viewer": tok})
	sc.run(t, false, []scenario{
		{name: "trigger", as: "viewer", method: "POST", path: "/api/v1/marketplace/import", wantStatus: http.StatusForbidden},
		{name: "configure", as: "viewer", method: "PUT", path: "/api/v1/marketplace/config", body: map[string]any{"feeds": []any{}}, wantStatus: http.StatusForbidden},
		{name: "select", as: "viewer", method: "POST", path: "/api/v1/marketplace/products/select",
			body: map[string]any{"ids": []int{staged[0].ID}, "selected": true}, wantStatus: http.StatusForbidden},
		{name: "publish", as: "viewer", method: "POST", path: fmt.Sprintf("/api/v1/products/from-import/%d", staged[0].ID), wantStatus: http.StatusForbidden},
	})
}
