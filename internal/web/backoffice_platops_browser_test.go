package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/bazaar/bazaar/internal/browsertest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestSuperAdminOperations: a super admin signs in at admin.<base>/ and
// works through the operations sections in Chromium. Users: finds an
// account, deactivates it with a reason (the API says inactive, it can no
// longer sign in), reactivates it (it signs in again), resets two
// accounts' passwords after a confirmation and watches the job finish —
// again after a reload (the job is in the address); only those two must
// choose a new password. Imports: sees a vendor's failed import with its
// error, filters to failures, starts an import for the vendor ticked and
// reads its outcome (the job runs, started by "admin"). Health: every
// section with its status in words. Analytics: three charts and a table
// agreeing with the API. Audit: the actions just taken, filtered, and the
// export downloads the same events as CSV. axe-core on every page; no page
// wider than a 375 px window. The test has a database of its own, so the
// platform's figures are its own.
func TestSuperAdminOperations(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	ctx := context.Background()
	shop := tenanttest.Tenant(t, db, "ops")
	ts := start(t, db, setup{opts: defaultOptions(), queue: true})
	_, port, _ := net.SplitHostPort(ts.addr)
	origin := "http://admin." + base + ":" + port
	at := "@" + shop.Slug + ".test"
	owner := ts.namedUser(t, "owner"+at, "Olga", "Owner", false)
	ann := ts.namedUser(t, "ann"+at, "Ann", "Lister", false)
	bob := ts.namedUser(t, "bob"+at, "Bob", "Builder", false)
	root := ts.namedUser(t, "root"+at, "Platform", "Admin", true)
	ts.join(t, shop, owner.ID, "owner")
	ts.join(t, shop, ann.ID, "manager")
	ownerTok := ts.login(t, hostOf(shop), owner.Email).access
	admin := ts.scenarios("admin."+base, map[string]string{"root": ts.login(t, "admin."+base, root.Email).access})

	// A failed import: the feed breaks at its third line.
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", feedHeader+"A\tAlpha\t\t5 EUR\tin stock\t\t\t\nB\t\"Beta never closed\t\t2 EUR\tin stock\t\t\t\n")
	ts.configure(t, hostOf(shop), ownerTok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	failed := ts.runImport(t, hostOf(shop), ownerTok, "")
	if failed.Status != "failed" {
		t.Fatalf("the broken feed's import: %+v", failed)
	}
	feeds.set("/fr.tsv", feedFile(feedRow{"A", "Alpha", "", "5 EUR", "in stock", "", "", ""}))

	b := browsertest.New(t)
	p := b.Page(t, 1440)
	officeSignIn(t, p, origin+"/#users", root.Email, "[data-users]")
	listed := `[...document.querySelectorAll("[data-user]")].map(r => r.dataset.user).join(" ")`

	t.Run("Users", func(t *testing.T) {
		p.NoSeriousViolations(t)
		p.Screenshot(t, "platform-users")
		p.Run(t, chromedp.SetValue(chromedp.CSS("#u-q"), "ann lister"), chromedp.Click(chromedp.CSS("[data-users-filter] button")))
		waitEval(t, p, listed, ann.Email)
		p.Click(t, fmt.Sprintf(`[data-user=%q] a`, ann.Email))
		p.WaitVisible(t, "[data-deactivate-form]")
		if s := p.Text(t, "[data-memberships]"); !strings.Contains(s, shop.Slug) || !strings.Contains(s, "Manager") {
			t.Errorf("ann's shops: %q", s)
		}
		p.NoSeriousViolations(t)
		p.Screenshot(t, "platform-user")

		// A deactivation without a reason is refused beside the field.
		p.Click(t, "[data-deactivate-form] button[type=submit]")
		waitText(t, p, "#u-reason-error", "is required")
		p.Run(t, chromedp.SetValue(chromedp.CSS("#u-reason"), "left the company"),
			chromedp.Click(chromedp.CSS("[data-deactivate-form] button[type=submit]")))
		waitText(t, p, "dd[data-user-state]", "deactivated")
		if d, err := ts.accounts.Get(ctx, ann.ID); err != nil || d.Active {
			t.Fatalf("ann after deactivation: %+v %v", d, err)
		}
		if r := ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/auth/login",
			body: map[string]any{"email": ann.Email, "password": testPassword}}); r.status != http.StatusUnauthorized {
			t.Errorf("a deactivated account signs in: %d %s", r.status, r.body)
		}
		p.Click(t, "[data-reactivate-form] button[type=submit]")
		waitText(t, p, "dd[data-user-state]", "active")
		if d, err := ts.accounts.Get(ctx, ann.ID); err != nil || !d.Active {
			t.Fatalf("ann after reactivation: %+v %v", d, err)
		}
		ts.login(t, hostOf(shop), ann.Email) // signs in again
	})

	t.Run("MassPasswordReset", func(t *testing.T) {
		p.Open(t, origin+"/#users/q="+shop.Slug+".test")
		waitEval(t, p, listed, strings.Join([]string{root.Email, bob.Email, ann.Email, owner.Email}, " "))
		// Everyone's reset wants the phrase typed out.
		p.Click(t, "#r-all")
		p.Run(t, chromedp.SetValue(chromedp.CSS("#r-confirm"), "reset"), chromedp.Click(chromedp.CSS("[data-reset-form] button[type=submit]")))
		waitText(t, p, "#r-confirm-error", `must be "reset every password"`)
		p.Click(t, "#r-users")
		p.Click(t, fmt.Sprintf("#u-pick-%d", ann.ID))
		p.Click(t, fmt.Sprintf("#u-pick-%d", bob.ID))
		p.Click(t, "[data-reset-form] button[type=submit]")
		p.WaitVisible(t, "[data-confirm]")
		if q := p.Text(t, ".ops-confirm p"); !strings.Contains(q, "2 accounts") || !strings.Contains(q, ann.Email) || !strings.Contains(q, bob.Email) {
			t.Errorf("the confirmation asks %q", q)
		}
		p.Click(t, "[data-confirm]")
		waitURL(t, p, "#users/reset/")
		done := `document.querySelector("[data-reset-done] [data-reset-counts]")?.textContent.split(" · ")[0] || ""`
		waitEval(t, p, done, "2 of 2 done: 2 reset, 0 skipped")
		// A reload (a new document: the mark is gone) follows the same job
		// from the address.
		p.Run(t, chromedp.Evaluate[chromedp.Void](`window.beforeReload = true`), chromedp.Reload())
		waitEval(t, p, done, "2 of 2 done: 2 reset, 0 skipped")
		if kept := browsertest.Get(t, p, chromedp.Evaluate[bool](`window.beforeReload === true`)); kept {
			t.Error("the page was not reloaded")
		}
		for _, u := range []struct {
			id   int
			must bool
		}{{ann.ID, true}, {bob.ID, true}, {owner.ID, false}, {root.ID, false}} {
			if d, err := ts.accounts.Get(ctx, u.id); err != nil || d.MustChangePassword != u.must {
				t.Errorf("account %d after the reset: must change password %v (%v), want %v", u.id, d.MustChangePassword, err, u.must)
			}
		}
	})

	t.Run("Imports", func(t *testing.T) {
		p.Open(t, origin+"/#imports")
		row := fmt.Sprintf(`[data-job="%s#%d"]`, shop.Slug, failed.ID)
		p.WaitVisible(t, row)
		if s := p.Text(t, row); !strings.Contains(s, "failed") || !strings.Contains(s, "line 3") {
			t.Errorf("the failed job's row: %q", s)
		}
		p.Run(t, chromedp.SetValue(chromedp.CSS("#i-status"), "failed"), chromedp.Click(chromedp.CSS("[data-imports-filter] button")))
		waitURL(t, p, "status=failed")
		waitEval(t, p, `[...document.querySelectorAll("[data-job]")].map(r => r.dataset.status).join(" ")`, "failed")
		p.NoSeriousViolations(t)
		p.Screenshot(t, "platform-imports")

		p.Click(t, fmt.Sprintf("#t-v-%d", shop.ID))
		p.Click(t, "[data-trigger-form] button[type=submit]")
		p.WaitVisible(t, "[data-confirm]")
		p.Click(t, "[data-confirm]")
		outcome := fmt.Sprintf(`[data-outcome-vendor="%d"]`, shop.ID)
		waitText(t, p, outcome+" [data-outcome]", "started")
		job, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(
			browsertest.Get(t, p, chromedp.Evaluate[string](`document.querySelector('`+outcome+` td:last-child').textContent`))), "job #"))
		if err != nil {
			t.Fatalf("the outcome names no job: %v", err)
		}
		if j := ts.waitImport(t, hostOf(shop), ownerTok, job); j.Status != "succeeded" {
			t.Errorf("the import started from the page: %+v", j)
		}
		var pg monitorPage
		admin.send(t, scenario{as: "root", method: "GET", path: fmt.Sprintf("/api/v1/admin/marketplace/import-jobs?vendor=%d", shop.ID),
			wantStatus: http.StatusOK}).decode(t, &pg)
		if len(pg.Items) != 2 || pg.Items[0].ID != job || pg.Items[0].Trigger != "admin" {
			t.Errorf("the vendor's jobs: %+v", pg.Items)
		}
	})

	t.Run("Health", func(t *testing.T) {
		p.Open(t, origin+"/#health")
		p.WaitVisible(t, "[data-health-overall]")
		words := `[...document.querySelectorAll("[data-health-section] h2 [data-health-status]")].map(s => s.textContent.replace(/^\W+/, "")).join(" ")`
		got := strings.Fields(browsertest.Get(t, p, chromedp.Evaluate[string](words)))
		if len(got) != 7 {
			t.Fatalf("health sections' statuses: %v, want 7", got)
		}
		for _, w := range got {
			if w != "OK" && w != "Warning" && w != "Failing" {
				t.Errorf("a section's status reads %q", w)
			}
		}
		p.Click(t, "[data-health-refresh]")
		waitText(t, p, "[data-notice]", "Health checked again.")
		p.NoSeriousViolations(t)
		p.Screenshot(t, "platform-health")
	})

	t.Run("Analytics", func(t *testing.T) {
		if _, err := ts.system.Rollup(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		var a struct {
			Days []struct {
				Date    string `json:"date"`
				Signups int    `json:"signups"`
			} `json:"days"`
		}
		admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/system/analytics", wantStatus: http.StatusOK}).decode(t, &a)
		today := a.Days[len(a.Days)-1]
		if len(a.Days) != 30 || today.Signups != 4 {
			t.Fatalf("analytics: %d days, today %+v; want 30 days and the 4 accounts made", len(a.Days), today)
		}
		p.Open(t, origin+"/#analytics")
		p.WaitVisible(t, "[data-analytics-table]")
		if n := browsertest.Get(t, p, chromedp.Evaluate[int](`document.querySelectorAll("[data-analytics-charts] svg.chart rect").length`)); n != 3*30 {
			t.Errorf("%d bars, want 3 charts of 30 days", n)
		}
		cell := fmt.Sprintf(`document.querySelector('[data-day="%s"] td').textContent`, today.Date)
		if s := browsertest.Get(t, p, chromedp.Evaluate[string](cell)); s != "4" {
			t.Errorf("today's signups in the table: %q", s)
		}
		if s := p.Text(t, `[data-figure="signups"]`); s != "4" {
			t.Errorf("signups over the range: %q", s)
		}
		p.NoSeriousViolations(t)
		p.Screenshot(t, "platform-analytics")
	})

	t.Run("Audit", func(t *testing.T) {
		p.Open(t, origin+"/#audit")
		p.WaitVisible(t, "[data-audit]")
		events := `[...new Set([...document.querySelectorAll("[data-event]")].map(r => r.dataset.event))].sort().join(" ")`
		// ann's refused sign-in and her reset are the identity's own events.
		waitEval(t, p, events, "auth.login_failed auth.password_reset_requested imports.trigger_many user.deactivate user.password_reset_job user.reactivate")
		p.Run(t, chromedp.SetValue(chromedp.CSS("#au-action"), "user.deactivate"), chromedp.Click(chromedp.CSS("[data-audit-filter] button")))
		waitEval(t, p, events, "user.deactivate")
		if s := p.Text(t, "[data-audit]"); !strings.Contains(s, "left the company") || !strings.Contains(s, root.Email) {
			t.Errorf("the deactivation's row: %q", s)
		}
		if n := browsertest.Get(t, p, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('[data-audit] a[href="#user/%d"]').length`, ann.ID))); n != 1 {
			t.Errorf("%d links to the account deactivated, want 1", n)
		}
		p.NoSeriousViolations(t)
		p.Screenshot(t, "platform-audit")

		// The export button's file, as the browser saves it.
		dir := t.TempDir()
		p.Run(t, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
			return err
		}))
		p.Click(t, "[data-audit-export]")
		csv := downloaded(t, dir, ".csv")
		lines := strings.Split(strings.TrimSpace(csv), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "id,") || !strings.Contains(lines[1], "user.deactivate") ||
			!strings.Contains(lines[1], "left the company") {
			t.Errorf("the export, filtered to user.deactivate:\n%s", csv)
		}
	})

	t.Run("NarrowWindow", func(t *testing.T) {
		// A tab of the same browser: its session cookie signs it in.
		phone := b.Page(t, 375)
		for _, page := range []struct{ hash, ready, shot string }{
			{"users", "[data-users]", "platform-users"}, {fmt.Sprintf("user/%d", ann.ID), "[data-memberships]", "platform-user"},
			{"imports", "[data-jobs-table]", "platform-imports"}, {"health", "[data-health-overall]", "platform-health"},
			{"analytics", "[data-analytics-table]", "platform-analytics"}, {"audit", "[data-audit]", "platform-audit"},
		} {
			phone.Open(t, origin+"/#"+page.hash)
			phone.WaitVisible(t, page.ready)
			if w := browsertest.Get(t, phone, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w != 375 {
				wide := browsertest.Get(t, phone, chromedp.Evaluate[string](`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 375.5 && !e.closest(".scroll")).map(e => e.tagName + "." + e.className + "#" + e.id + ":" + Math.round(e.getBoundingClientRect().right)).slice(0, 8).join(" ")`))
				t.Errorf("#%s is %d px wide in a 375 px window: %s", page.hash, w, wide)
			}
			phone.NoSeriousViolations(t)
			phone.Screenshot(t, page.shot)
		}
		phone.NoProblems(t)
	})
	p.NoProblems(t)
}

// downloaded waits for the one file ending in ext that the browser saves in
// dir (a download in progress has another name) and returns its content.
func downloaded(t *testing.T, dir, ext string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		names, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
		if len(names) == 1 {
			b, err := os.ReadFile(names[0])
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if time.Now().After(deadline) {
			all, _ := filepath.Glob(filepath.Join(dir, "*"))
			t.Fatalf("no %s file downloaded; the folder holds %v", ext, all)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
