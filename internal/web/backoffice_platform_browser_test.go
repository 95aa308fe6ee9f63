package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bazaar/bazaar/internal/browsertest"
	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// platformOffice is a server for the super admins' page: mail to a test
// SMTP server, bulk imports run on a real queue, and shops on their own
// subdomain (so an Owner's invitation leads to the vendor's host). It
// answers the server, its database, the mail server and the address of
// host in the browser.
func platformOffice(t *testing.T) (*testServer, *tenantdb.DB, *mailtest.Server, func(host string) string) {
	t.Helper()
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	opts := defaultOptions()
	opts.PathRouting = false
	ts := start(t, db, setup{opts: opts, smtpAddr: smtp.Addr, queue: true})
	_, port, _ := net.SplitHostPort(ts.addr)
	return ts, db, smtp, func(host string) string { return "http://" + net.JoinHostPort(host, port) }
}

// rowsJS lists the values of attr on the rows of a table, sorted.
func rowsJS(table, attr string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("%s [%s]")].map(r => r.getAttribute("%s")).sort().join(" ")`, table, attr, attr)
}

// noWiderThan checks the page is no wider than its window.
func noWiderThan(t *testing.T, p *browsertest.Page, width int) {
	t.Helper()
	if w := browsertest.Get(t, p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w != width {
		t.Errorf("the page is %d px wide in a %d px window", w, width)
	}
}

// onlyRefusals is NoProblems for a page that was refused on purpose: the
// browser logs each 400 the test provoked (an empty form sent to show the
// API's errors beside their fields); those refusals of the addresses in
// refused must have happened, and nothing else.
func onlyRefusals(t *testing.T, p *browsertest.Page, origin string, refused ...string) {
	t.Helper()
	var want []string
	for _, path := range refused {
		want = append(want, "status of 400 (Bad Request) ("+origin+path+")")
	}
	noProblemsBut(t, p, want...)
}

// TestSuperAdminOnboardsInBulk: a super admin uploads a bulk CSV of three
// vendors, one with a bad country; the dry run names that line and column
// and writes nothing; the real run shows its progress, survives a reload,
// and ends with each line's outcome and the report; the list shows the two
// new vendors. The new Owner's invitation, opened on the vendor's host in
// another browser, leads to that shop's back office, signed in as Owner.
func TestSuperAdminOnboardsInBulk(t *testing.T) {
	ts, db, smtp, addr := platformOffice(t)
	prefix := tenanttest.Slug("onb")
	root := "root@" + prefix + ".test"
	admin := ts.scenarios("admin."+base, map[string]string{"root": ts.superAdmin(t, root)})
	for _, s := range []string{prefix + "-1", prefix + "-2"} {
		t.Cleanup(func() { _ = db.Delete(context.Background(), s) })
	}
	csv := "vendor_name,subdomain,owner_name,owner_email,owner_phone,business_address,business_city,business_postal_code,business_country,letzshop_csv_url,initial_password\n" +
		fmt.Sprintf("Bulk One,%s-1,Olga One,olga@%s.test,,1 rue du Test,Luxembourg,L-1111,LU,,\n", prefix, prefix) +
		fmt.Sprintf("Bulk Two,%s-2,Tom Two,tom@%s.test,,2 rue du Test,Esch,L-4000,LU,,\n", prefix, prefix) +
		fmt.Sprintf("Bulk Bad,%s-3,Bea Bad,bea@%s.test,,3 rue du Test,Nowhere,0000,XX,,\n", prefix, prefix)
	file := filepath.Join(t.TempDir(), "vendors.csv")
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	office := addr("admin." + base)

	b := browsertest.New(t)
	p := b.Page(t, 1440)
	officeSignIn(t, p, office+"/#onboarding", root, "[data-bulk-form]")
	p.NoSeriousViolations(t)
	p.Screenshot(t, "platform-onboarding")

	// A file that is not a bulk CSV is refused whole, the reason beside the
	// file field.
	broken := filepath.Join(t.TempDir(), "broken.csv")
	if err := os.WriteFile(broken, []byte("name,subdomain\nShop,shop\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Run(t, chromedp.SetUploadFiles(chromedp.CSS("#bulk-file"), []string{broken}), chromedp.Click(chromedp.CSS("[data-dry-run]")))
	waitEval(t, p, `String(!document.getElementById("bulk-file-error").hidden && document.getElementById("bulk-file-error").textContent.includes("vendor_name"))`, "true")

	// The dry run: every line's outcome, the bad one named by line and column.
	p.Run(t, chromedp.SetUploadFiles(chromedp.CSS("#bulk-file"), []string{file}), chromedp.Click(chromedp.CSS("[data-dry-run]")),
		chromedp.WaitVisible(chromedp.CSS("[data-dry-lines]")))
	dry := evalString(t, p, `JSON.stringify({
		lines: [...document.querySelectorAll("[data-dry-lines] [data-line]")].map(r => r.dataset.line + ":" + r.dataset.outcome),
		bad: [...document.querySelectorAll('[data-line="4"] [data-column]')].map(li => li.dataset.column),
		text: (document.querySelector('[data-line="4"] [data-column]') || {}).textContent || "",
		create: document.querySelector('[data-dry-report] [data-count="create"]').textContent,
		run: document.querySelector("[data-run]").textContent})`)
	var report struct {
		Lines       []string
		Bad         []string
		Text        string
		Create, Run string
	}
	if err := json.Unmarshal([]byte(dry), &report); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(report.Lines) != "[2:create 3:create 4:invalid]" || fmt.Sprint(report.Bad) != "[business_country]" ||
		!strings.HasPrefix(report.Text, "business_country: ") || report.Create != "2" || report.Run != "Onboard 2 vendors" {
		t.Errorf("dry-run report: %+v", report)
	}
	admin.send(t, scenario{name: "the dry run made nothing", as: "root", method: "GET", path: "/api/v1/admin/vendors?q=" + prefix,
		wantStatus: http.StatusOK, want: []string{`"items":[]`}})
	noWiderThan(t, p, 1440)
	p.NoSeriousViolations(t)
	p.Screenshot(t, "platform-onboarding-report")

	// The real run: the page follows it to its end, and its address names
	// it, so a reload shows it again.
	p.Click(t, "[data-run]")
	run := waitURL(t, p, "#onboarding/")
	status := `(document.querySelector("[data-bulk-status]") || {dataset: {}}).dataset.bulkStatus + " " + !!document.querySelector("[data-lines]")`
	p.WaitVisible(t, "[data-bulk-status]")
	// Usually still queued or running when first drawn: then the page's
	// polling, not a reload, brought it to its end.
	t.Logf("the import first drawn as %q", evalString(t, p, status))
	// The run itself may take longer than a page wait on a loaded machine:
	// the API says when it is over, then the page must follow within one.
	id := strings.TrimPrefix(run[strings.Index(run, "#"):], "#onboarding/")
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		var imp struct{ Status string }
		admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/vendors/bulk-imports/" + id, wantStatus: http.StatusOK}).decode(t, &imp)
		if imp.Status != "queued" && imp.Status != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bulk import is still %s", imp.Status)
		}
	}
	waitEval(t, p, status, "partially_failed true")
	p.Run(t, chromedp.Reload())
	p.WaitVisible(t, "[data-bulk-status]")
	if evalString(t, p, `document.querySelector("main h2").textContent`) != "Import #"+id+" · vendors.csv" {
		t.Errorf("after a reload the page shows %q", p.Text(t, "main h2"))
	}
	waitEval(t, p, status, "partially_failed true")
	done := evalString(t, p, `JSON.stringify({
		lines: [...document.querySelectorAll("[data-lines] [data-line]")].map(r => r.dataset.line + ":" + r.dataset.outcome),
		links: document.querySelectorAll('[data-lines] a[href^="#vendor/"]').length,
		reason: document.querySelector('[data-lines] [data-line="4"]').textContent,
		bar: document.getElementById("bulk-progress").value + "/" + document.getElementById("bulk-progress").max})`)
	var outcome struct {
		Lines  []string
		Links  int
		Reason string
		Bar    string
	}
	if err := json.Unmarshal([]byte(done), &outcome); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(outcome.Lines) != "[2:created 3:created 4:failed]" || outcome.Links != 2 || !strings.Contains(outcome.Reason, "business_country:") || outcome.Bar != "3/3" {
		t.Errorf("finished import: %+v", outcome)
	}

	// The report: the button hands the browser a CSV file; the test keeps
	// what the page would save (the link's name and the blob behind it).
	browsertest.Get(t, p, chromedp.Evaluate[bool](`window.saved = [];
		const blob = URL.createObjectURL;
		URL.createObjectURL = (b) => { window.blob = b; return blob(b); };
		HTMLAnchorElement.prototype.click = function () { if (this.download) window.saved.push(this.download); };
		true`))
	p.Click(t, "[data-report]")
	waitEval(t, p, `String(window.saved.length)`, "1")
	saved := browsertest.Get(t, p, chromedp.Evaluate[string](`window.blob.text().then(s => window.saved[0] + "\n" + s)`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(saved, "vendor-import-") || !strings.Contains(saved, "line,subdomain,vendor_name,owner_email,outcome,reason,vendor_id\n") ||
		!strings.Contains(saved, "4,"+prefix+"-3,Bulk Bad,bea@"+prefix+".test,failed,") {
		t.Errorf("report saved:\n%s", saved)
	}
	p.NoSeriousViolations(t)
	phone := b.Page(t, 375) // the same session, on a phone
	phone.Open(t, run)
	phone.WaitVisible(t, "[data-lines]")
	noWiderThan(t, phone, 375)
	phone.NoProblems(t)

	// The list shows the two new vendors.
	p.Open(t, office+"/#vendors/q="+prefix)
	p.WaitVisible(t, "[data-vendors]")
	waitEval(t, p, rowsJS("[data-vendors]", "data-vendor"), prefix+"-1 "+prefix+"-2")
	p.NoSeriousViolations(t)
	p.Screenshot(t, "platform-vendors")
	onlyRefusals(t, p, office, "/api/v1/admin/vendors/bulk-import?dry_run=true")

	// The invitation, opened on the new vendor's host in another browser.
	ts.flushMail(t)
	mails := smtp.To("olga@" + prefix + ".test")
	if len(mails) != 1 {
		t.Fatalf("%d invitation mails for the new Owner", len(mails))
	}
	link, err := url.Parse(mails[0].Link())
	if err != nil || link.Host != prefix+"-1."+base {
		t.Fatalf("invitation link %q (%v), want one on the vendor's host", mails[0].Link(), err)
	}
	link.Host = strings.TrimPrefix(addr(link.Host), "http://")
	owner := browsertest.New(t).Page(t, 1440)
	owner.Open(t, link.String())
	owner.NoSeriousViolations(t)
	owner.Run(t,
		chromedp.SetValue(chromedp.CSS(`input[name="first_name"]`), "Olga"),
		chromedp.SetValue(chromedp.CSS(`input[name="last_name"]`), "One"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "a long owner password"),
		chromedp.Click(chromedp.CSS(`form[data-json-form] button[type="submit"]`)),
	)
	waitURL(t, owner, prefix+"-1."+base)
	owner.WaitVisible(t, "[data-nav]")
	if loc := browsertest.Get(t, owner, chromedp.Location()); !strings.HasSuffix(strings.SplitN(loc, "#", 2)[0], "/admin/") {
		t.Errorf("after accepting, at %s, want the shop's /admin/", loc)
	}
	nav := strings.Join(strings.Fields(owner.Text(t, "[data-nav]")), " ")
	if want := "Dashboard Products Orders Customers Imports Team Settings Audit trail"; nav != want {
		t.Errorf("the new Owner sees %q, want %q", nav, want)
	}
	if who := owner.Text(t, "[data-who-name]"); who != "olga@"+prefix+".test · Owner" {
		t.Errorf("signed in as %q", who)
	}
	owner.NoProblems(t)

	// The super admin sees the Owner in the vendor's team.
	p.Click(t, `[data-vendor="`+prefix+`-1"] a`)
	p.WaitVisible(t, "[data-members]")
	member := `(r => r ? [...r.cells].slice(0, 3).map(c => c.textContent).join("|") : "")(document.querySelector('[data-member="olga@` + prefix + `.test"]'))`
	waitEval(t, p, member, "olga@"+prefix+".test|Olga One|Owner")
	onlyRefusals(t, p, office, "/api/v1/admin/vendors/bulk-import?dry_run=true")
}

// TestSuperAdminManagesAVendor: a super admin creates a vendor with a new
// Owner through the page (errors shown beside their fields first), edits
// it, suspends it — its shop then answers 403 — resumes it and deletes it
// with its subdomain typed back; the API agrees at each step. A shop's
// Owner signing in on the same page is refused.
func TestSuperAdminManagesAVendor(t *testing.T) {
	ts, db, smtp, addr := platformOffice(t)
	slug := tenanttest.Slug("plat")
	t.Cleanup(func() { _ = db.Delete(context.Background(), slug) })
	root := "root@" + slug + ".test"
	admin := ts.scenarios("admin."+base, map[string]string{"root": ts.superAdmin(t, root)})
	office := addr("admin." + base)
	shopStatus := func() int { return ts.do(t, req{method: "GET", host: slug + "." + base, path: "/"}).status }

	b := browsertest.New(t)
	p := b.Page(t, 1440)
	officeSignIn(t, p, office+"/", root, "[data-vendors-filter]")
	p.Click(t, "[data-new-vendor]")
	p.WaitVisible(t, "[data-new-vendor-form]")
	p.NoSeriousViolations(t)

	// Sent empty: each refusal beside its field.
	p.Click(t, "[data-new-vendor-form] button[type=submit]")
	waitEval(t, p, `String(!document.getElementById("nv-slug-error").hidden && document.getElementById("nv-slug").getAttribute("aria-invalid"))`, "true")
	p.Run(t,
		chromedp.SetValue(chromedp.CSS("#nv-name"), "Atelier Plat"),
		chromedp.SetValue(chromedp.CSS("#nv-slug"), slug),
		chromedp.SetValue(chromedp.CSS("#nv-city"), "Luxembourg"),
		chromedp.SetValue(chromedp.CSS("#nv-country"), "LU"),
		chromedp.SetValue(chromedp.CSS("#nv-owner-email"), "olga@"+slug+".test"),
		chromedp.SetValue(chromedp.CSS("#nv-owner-first"), "Olga"),
		chromedp.Click(chromedp.CSS("[data-new-vendor-form] button[type=submit]")),
	)
	waitURL(t, p, "#vendor/")
	p.WaitVisible(t, "[data-edit-vendor]")
	waitEval(t, p, `document.querySelector("[data-notice]").textContent`, "Atelier Plat created. An invitation went to olga@"+slug+".test.")
	var v adminVendor
	vendorPath := func() string {
		var pg struct {
			Items []adminVendor `json:"items"`
		}
		admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/vendors?q=" + slug, wantStatus: http.StatusOK}).decode(t, &pg)
		if len(pg.Items) != 1 {
			t.Fatalf("%d vendors named %s", len(pg.Items), slug)
		}
		v = pg.Items[0]
		return fmt.Sprintf("/api/v1/admin/vendors/%d", v.ID)
	}
	path := vendorPath()
	if v.Name != "Atelier Plat" || v.BusinessCountry != "LU" {
		t.Errorf("created %+v", v)
	}
	links := evalString(t, p, `document.querySelector("[data-shop-link]").href + " " + document.querySelector("[data-admin-link]").href`)
	if want := "http://" + slug + "." + base + "/ http://" + slug + "." + base + "/admin/"; links != want {
		t.Errorf("links %q, want %q", links, want)
	}
	ts.flushMail(t)
	if n := len(smtp.To("olga@" + slug + ".test")); n != 1 {
		t.Errorf("%d invitation mails for the Owner", n)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "platform-vendor")
	phone := b.Page(t, 375)
	phone.Open(t, office+"/#vendor/"+fmt.Sprint(v.ID))
	phone.WaitVisible(t, "[data-edit-vendor]")
	noWiderThan(t, phone, 375)

	// Edit.
	p.Run(t, chromedp.SetValue(chromedp.CSS("#ve-city"), "Esch-sur-Alzette"), chromedp.Click(chromedp.CSS("[data-edit-vendor] button[type=submit]")))
	waitEval(t, p, `document.querySelector("[data-notice]").textContent + " " + document.getElementById("ve-city").value`, "Details saved. Esch-sur-Alzette")
	admin.send(t, scenario{as: "root", method: "GET", path: path, wantStatus: http.StatusOK, want: []string{`"business_city":"Esch-sur-Alzette"`}})

	// Suspend: a reason is required; the shop then answers 403.
	if s := shopStatus(); s != http.StatusOK {
		t.Fatalf("the active shop answers %d", s)
	}
	p.Click(t, `[data-status-action="suspend"]`)
	waitEval(t, p, `String(!document.getElementById("vs-reason-error").hidden)`, "true")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#vs-reason"), "Unpaid invoices"), chromedp.Click(chromedp.CSS(`[data-status-action="suspend"]`)))
	waitEval(t, p, `document.querySelector("dd[data-vendor-status]").dataset.vendorStatus + " " + !!document.querySelector('[data-status-action="resume"]')`, "suspended true")
	admin.send(t, scenario{as: "root", method: "GET", path: path, wantStatus: http.StatusOK, want: []string{`"status":"suspended"`, `"suspended_reason":"Unpaid invoices"`}})
	if s := shopStatus(); s != http.StatusForbidden {
		t.Errorf("the suspended shop answers %d, want 403", s)
	}

	// Resume.
	p.Click(t, `[data-status-action="resume"]`)
	waitEval(t, p, `document.querySelector("dd[data-vendor-status]").dataset.vendorStatus`, "active")
	if s := shopStatus(); s != http.StatusOK {
		t.Errorf("the resumed shop answers %d", s)
	}

	// Delete: only with the subdomain typed back.
	p.Run(t, chromedp.SetValue(chromedp.CSS("#vd-confirm"), "not-it"), chromedp.Click(chromedp.CSS("[data-delete-form] button[type=submit]")))
	waitEval(t, p, `document.getElementById("vd-confirm-error").textContent`, "must be the vendor's slug")
	admin.send(t, scenario{as: "root", method: "GET", path: path, wantStatus: http.StatusOK})
	p.Run(t, chromedp.SetValue(chromedp.CSS("#vd-confirm"), slug), chromedp.Click(chromedp.CSS("[data-delete-form] button[type=submit]")))
	waitEval(t, p, `location.hash + " " + document.querySelector("[data-notice]").textContent`, "#vendors Atelier Plat deleted.")
	admin.send(t, scenario{as: "root", method: "GET", path: path, wantStatus: http.StatusNotFound})
	onlyRefusals(t, p, office, "/api/v1/admin/vendors", path+"/suspend", path+"?confirm=not-it")
	phone.NoProblems(t)

	// A shop's Owner is refused on the super admins' page (and by its API).
	tn := tenanttest.Tenant(t, db, "plat-owner")
	ownerEmail := "owner@" + tn.Slug + ".test"
	u := ts.user(t, ownerEmail)
	ts.join(t, tn, u.ID, "owner")
	o := browsertest.New(t).Page(t, 1440)
	officeSignIn(t, o, office+"/", ownerEmail, "[data-signin] [data-form-error]")
	if msg := o.Text(t, "[data-signin] [data-form-error]"); msg != "This area is for the platform's super admins." {
		t.Errorf("a shop Owner is told %q", msg)
	}
	if n := browsertest.Get(t, o, chromedp.Evaluate[int](`document.querySelectorAll("[data-nav]:not([hidden]), [data-vendors]").length`)); n != 0 {
		t.Errorf("a shop Owner sees %d of the super admins' controls", n)
	}
	o.NoSeriousViolations(t)
	o.NoProblems(t)
	admin.as["owner"] = ts.login(t, "admin."+base, ownerEmail).access
	admin.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/admin/vendors", wantStatus: http.StatusForbidden})
}
