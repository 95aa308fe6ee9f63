package web

import (
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bazaar/bazaar/internal/browsertest"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// waitJS waits until the script js, read in one step, answers want (a
// page drawn anew may replace a node between two steps).
func waitJS(t *testing.T, p *browsertest.Page, js, want string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := browsertest.Get(t, p, chromedp.Evaluate[string](js))
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %q, want %q", js, got, want)
		}
	}
}

// noticeJS reads the page's notice, "" while hidden.
const noticeJS = `(() => { const n = document.querySelector("[data-notice]"); return n.hidden ? "" : n.textContent; })()`

// errorBeside reads the error shown beside the field with id.
func errorBeside(id string) string {
	return `(() => { const e = document.getElementById("` + id + `-error"); return e && !e.hidden ? e.textContent : ""; })()`
}

// TestBackOfficeSettings: an Owner, in Chromium, renames the shop, offers
// one more language with another default one, picks a theme colour and
// sees the preview take it before saving (computed style read by script),
// saves, and the shop front's page and theme stylesheet show the new name
// and colour; enters Stripe keys and sees the secrets masked, never shown
// back; changes a delivery price; adds a custom domain, reads the TXT
// record to publish and has it checked. Then, on a phone, an invalid e-mail
// and an invalid colour are refused beside their fields and nothing is
// saved. Each page passes axe and fits its window.
func TestBackOfficeSettings(t *testing.T) {
	db := tenanttest.Open(t)
	dns := &fakeDNS{}
	ts := start(t, db, setup{opts: withFakeDNS(dns)})
	tn := tenanttest.Tenant(t, db, "settings")
	host := hostOf(tn)
	_, port, _ := net.SplitHostPort(ts.addr)
	origin := "http://" + host + ":" + port
	const email = "owner@settings.test"
	u := ts.user(t, email)
	ts.join(t, tn, u.ID, "owner")
	owner, _ := ts.member(t, tn, "owner")
	api := ts.scenarios(host, map[string]string{"owner": owner})
	settingsNow := func() vendor.Settings { return settingsOf(t, api, "owner") }

	signIn := func(width int, hash string) *browsertest.Page {
		p := browsertest.New(t).Page(t, width)
		p.Open(t, origin+"/admin/#"+hash)
		p.Run(t,
			chromedp.SetValue(chromedp.CSS("#si-email"), email),
			chromedp.SetValue(chromedp.CSS("#si-password"), testPassword),
			chromedp.Click(chromedp.CSS("[data-signin-form] button")),
		)
		return p
	}
	p := signIn(1440, "settings")
	p.WaitVisible(t, "[data-settings-form]")
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-settings")

	t.Run("Details", func(t *testing.T) {
		p.Run(t, chromedp.SetValue(chromedp.CSS("#s-name"), "Atelier Neuf"),
			chromedp.SetValue(chromedp.CSS("#s-business_email"), "hello@atelier.lu"),
			chromedp.Click(chromedp.CSS("[data-settings-form] button[type=submit]")))
		waitJS(t, p, noticeJS, "Shop details saved.")
		if s := settingsNow(); s.Name != "Atelier Neuf" || s.BusinessEmail != "hello@atelier.lu" {
			t.Fatalf("saved %+v", s)
		}
		if b := p.Text(t, ".brand"); b != "Atelier Neuf" {
			t.Errorf("the page's header still names %q", b)
		}
		// Luxembourgish too, German first.
		p.Run(t, chromedp.Click(chromedp.ID("s-lang-lb")), chromedp.SetValue(chromedp.ID("s-default-language"), "de"),
			chromedp.Click(chromedp.CSS("[data-languages-form] button[type=submit]")))
		waitJS(t, p, noticeJS, "Languages saved.")
		if s := settingsNow(); s.DefaultLanguage != "de" || strings.Join(s.EnabledLanguages, " ") != "fr de en lb" {
			t.Fatalf("languages saved as %q, default %q", s.EnabledLanguages, s.DefaultLanguage)
		}
	})

	t.Run("Theme", func(t *testing.T) {
		p.Click(t, `.subnav a[href="#settings/theme"]`)
		p.WaitVisible(t, "[data-preview-seen] dt") // the server's preview of the saved theme
		button := `getComputedStyle(document.querySelector("[data-preview-button]")).backgroundColor`
		waitJS(t, p, button, "rgb(11, 92, 173)") // the default primary
		p.Run(t, chromedp.SendKeys(chromedp.ID("t-primary"), "#7a1f5c"))
		waitJS(t, p, button, "rgb(122, 31, 92)")
		if name := p.Text(t, "[data-preview-name]"); name != "Atelier Neuf" {
			t.Errorf("the preview's header says %q", name)
		}
		if th := settingsNow().ThemeConfig; len(th.Colors) != 0 {
			t.Fatalf("the theme was saved before the user saved it: %+v", th)
		}
		p.NoSeriousViolations(t)
		p.Screenshot(t, "admin-theme")

		p.Click(t, "[data-theme-form] button[type=submit]")
		waitJS(t, p, noticeJS, "Theme saved: the shop shows it on its next page.")
		if th := settingsNow().ThemeConfig; th.Colors["primary"] != "#7a1f5c" || th.Colors["accent"] != "" {
			t.Fatalf("saved theme %+v", th)
		}
		// The shop front: its page names the shop anew and links the theme
		// with the new colour (every instance drops its cached tenant).
		themeLink := regexp.MustCompile(`/theme/[0-9a-f]+\.css`)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			status, page := ts.rawGet(t, host, "/")
			css := ""
			if m := themeLink.FindString(page); m != "" {
				_, css = ts.rawGet(t, host, m)
			}
			if status == http.StatusOK && strings.Contains(page, "Atelier Neuf") && strings.Contains(css, "--primary:#7a1f5c;") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the shop front shows %d, theme %q", status, css)
			}
		}
	})

	t.Run("Payments", func(t *testing.T) {
		const secret = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
		p.Click(t, `.subnav a[href="#settings/payments"]`)
		p.WaitVisible(t, "[data-stripe-form]")
		if s := p.Text(t, "main"); !strings.Contains(s, "Bank transfer") || !strings.Contains(s, "Always offered") {
			t.Errorf("no word of bank transfers: %q", s)
		}
		// The bank account, its IBAN typed in groups as people do.
		p.Run(t,
			chromedp.SetValue(chromedp.ID("b-holder"), "Atelier Neuf SARL"),
			chromedp.SetValue(chromedp.ID("b-iban"), "LU28 0019 4006 4475 0000"),
			chromedp.SetValue(chromedp.ID("b-bic"), "BCEELULL"),
			chromedp.Click(chromedp.CSS("[data-bank-form] button[type=submit]")))
		waitJS(t, p, noticeJS, "Bank account saved.")
		if got := browsertest.Get(t, p, chromedp.Evaluate[string](`document.getElementById("b-iban").value + "|" + !!document.querySelector("[data-bank-missing]")`)); got != "LU28 0019 4006 4475 0000|false" {
			t.Errorf("the bank account drawn again: %q", got)
		}
		api.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/settings", wantStatus: http.StatusOK,
			want: []string{`"bank_account_holder":"Atelier Neuf SARL"`, `"bank_iban":"LU280019400644750000"`, `"bank_bic":"BCEELULL"`}})
		p.Run(t,
			chromedp.Click(chromedp.ID("p-enabled")),
			chromedp.SetValue(chromedp.ID("p-publishable"), "pk_test_TYooMQauvdEDq54NiTphI7jx"),
			chromedp.SetValue(chromedp.ID("p-secret"), secret),
			chromedp.SetValue(chromedp.ID("p-webhook"), "whsec_abcdefgh12345678"),
			chromedp.Click(chromedp.CSS("[data-stripe-form] button[type=submit]")))
		waitJS(t, p, noticeJS, "Card payments saved.")
		// Drawn anew: the secrets are masked, never in the page.
		shown := browsertest.Get(t, p, chromedp.Evaluate[string](`[document.getElementById("p-secret").value, document.getElementById("p-secret").placeholder,
			document.getElementById("p-secret-hint").textContent, document.getElementById("p-webhook").value, document.body.innerHTML.includes("`+secret+`")].join("|")`))
		if shown != "|•••• p7dc|Set, ending in …p7dc. Type a new key to replace it.||false" {
			t.Errorf("secrets shown as %q", shown)
		}
		var acct payment.AccountView
		api.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/settings/payments", wantStatus: http.StatusOK}).decode(t, &acct)
		if !acct.Enabled || acct.SecretKeyHint != "p7dc" || !acct.WebhookConfigured {
			t.Errorf("payments saved as %+v", acct)
		}
		p.NoSeriousViolations(t)
		p.Screenshot(t, "admin-payments")

		// Delivery: standard's price, typed the French way.
		p.Run(t, chromedp.SetValue(chromedp.ID("sh-0-price"), "5,50"),
			chromedp.Click(chromedp.CSS("[data-shipping-form] button[type=submit]")))
		waitJS(t, p, noticeJS, "Delivery saved.")
		var ship struct {
			Methods []order.ShippingMethod `json:"methods"`
		}
		api.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/settings/shipping", wantStatus: http.StatusOK}).decode(t, &ship)
		if len(ship.Methods) != 2 || ship.Methods[0].PriceCents != 550 || ship.Methods[0].FreeAboveCents == nil || *ship.Methods[0].FreeAboveCents != 7500 {
			t.Errorf("delivery saved as %+v", ship.Methods)
		}
	})

	custom := tenanttest.Slug("www.atelier") + ".lu"
	t.Run("Domains", func(t *testing.T) {
		p.Click(t, `.subnav a[href="#settings/domains"]`)
		p.WaitVisible(t, "[data-domains-empty]")
		p.Run(t, chromedp.SetValue(chromedp.ID("d-host"), custom), chromedp.Click(chromedp.CSS("[data-domain-form] button[type=submit]")))
		waitJS(t, p, noticeJS, custom+" added: publish its TXT record, then check it.")
		var list struct {
			Items []vendor.ShopDomain `json:"items"`
		}
		api.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/settings/domains", wantStatus: http.StatusOK}).decode(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("domains %+v", list.Items)
		}
		d := list.Items[0]
		row := `document.querySelector('[data-domain="` + custom + `"]')`
		record := browsertest.Get(t, p, chromedp.Evaluate[string](row+`.querySelector("[data-record-name]").textContent + " " + `+row+`.querySelector("[data-record-value]").textContent`))
		if record != "_bazaar-verify."+custom+" "+d.Token {
			t.Errorf("the page says to publish %q, want %q %q", record, d.RecordName, d.Token)
		}
		p.NoSeriousViolations(t)
		p.Screenshot(t, "admin-domains")

		dns.publish(d.RecordName, d.Token)
		p.Click(t, `[data-verify="`+custom+`"]`)
		waitJS(t, p, noticeJS, custom+" is verified: the shop answers on it.")
		waitJS(t, p, row+`.querySelector("[data-domain-status]").textContent`, "verified, serving")
		eventuallyStatus(t, ts, custom, "/api/v1/shop/products", http.StatusOK)
		p.NoProblems(t)
	})

	// On a phone, the refusals: each error beside its field, nothing saved.
	// The refused calls are the page's only problems.
	t.Run("RefusedOnAPhone", func(t *testing.T) {
		before := settingsNow()
		phone := signIn(375, "settings")
		phone.WaitVisible(t, "[data-settings-form]")
		phone.Run(t, chromedp.SetValue(chromedp.CSS("#s-name"), "Another name"),
			chromedp.SetValue(chromedp.CSS("#s-business_email"), "not-an-email"),
			chromedp.Click(chromedp.CSS("[data-settings-form] button[type=submit]")))
		waitJS(t, phone, errorBeside("s-business_email")+` + " | " + document.activeElement.id`, "must look like name@example.com | s-business_email")

		phone.Open(t, origin+"/admin/#settings/theme")
		phone.WaitVisible(t, "[data-preview-seen] dt")
		phone.Run(t, chromedp.SendKeys(chromedp.ID("t-accent"), "#12"))
		waitJS(t, phone, errorBeside("t-accent"), "must be a hex colour such as #1a2b3c or #abc") // as typed, from the preview
		phone.Click(t, "[data-theme-form] button[type=submit]")
		waitJS(t, phone, errorBeside("t-accent")+` + " | " + document.activeElement.id`, "must be a hex colour such as #1a2b3c or #abc | t-accent")
		if w := browsertest.Get(t, phone, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w != 375 {
			t.Errorf("the theme page is %d px wide in a 375 px window", w)
		}
		if after := settingsNow(); after.Name != before.Name || after.BusinessEmail != before.BusinessEmail ||
			after.ThemeConfig.Colors["accent"] != "" || after.ThemeConfig.Colors["primary"] != "#7a1f5c" {
			t.Fatalf("a refused form saved something: %+v", after)
		}
		phone.NoSeriousViolations(t)

		phone.Open(t, origin+"/admin/#settings/domains")
		phone.WaitVisible(t, "[data-domains]")
		if w := browsertest.Get(t, phone, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w != 375 {
			t.Errorf("the domains page is %d px wide in a 375 px window", w)
		}
		phone.NoSeriousViolations(t)
		refused := regexp.MustCompile(`^network error: .* 400 \(Bad Request\) \(` + regexp.QuoteMeta(origin) + `/api/v1/settings(/theme/preview)?\)$`)
		problems := phone.Problems()
		if len(problems) == 0 {
			t.Error("no refusal reached the server")
		}
		for _, pr := range problems {
			if !refused.MatchString(pr) {
				t.Errorf("the page reported %q", pr)
			}
		}
	})
}
