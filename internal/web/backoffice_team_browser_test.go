package web

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bazaar/bazaar/internal/browsertest"
	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// noProblemsBut is NoProblems for a page where the test provoked refusals:
// the browser logs each refused call as a failed load, so those naming one
// of expected ("400 (Bad Request) (http://…/api/v1/teams/invite)") are
// allowed — each must have happened — and anything else fails the test.
func noProblemsBut(t *testing.T, p *browsertest.Page, expected ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, problem := range p.Problems() {
		i := slices.IndexFunc(expected, func(e string) bool { return strings.Contains(problem, e) })
		if i < 0 {
			t.Errorf("the page reported: %s", problem)
			continue
		}
		seen[expected[i]] = true
	}
	for _, e := range expected {
		if !seen[e] {
			t.Errorf("the refusal %q the test provoked was not seen", e)
		}
	}
}

// navText is the sections the page offers, in order.
func navText(t *testing.T, p *browsertest.Page) string {
	t.Helper()
	return strings.Join(strings.Fields(p.Text(t, "[data-nav]")), " ")
}

// selectByText picks the option whose text is text in the select sel, as a
// user choosing it would (the change event included).
func selectByText(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.querySelector(%q);
		s.value = [...s.options].find((o) => o.text === %q).value; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, text))
}

// teamOffice is a shop with a server that sends mail to smtp, and its
// origin for the browser.
func teamOffice(t *testing.T, slug string) (*testServer, *tenantdb.Tenant, string, *mailtest.Server) {
	t.Helper()
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr})
	tn := tenanttest.Tenant(t, db, slug)
	_, port, _ := net.SplitHostPort(ts.addr)
	return ts, tn, "http://" + hostOf(tn) + ":" + port, smtp
}

// TestBackOfficeManagerInvitesAMember: a Manager invites an e-mail as an
// Editor on the Team page; the invitation's mail leads, in a browser with
// no session, to the accept page, and accepting it with a password lands
// the newcomer in the back office signed in, with an Editor's sections (no
// Team) — the team API agrees.
func TestBackOfficeManagerInvitesAMember(t *testing.T) {
	ts, tn, origin, smtp := teamOffice(t, "invite")
	manager := ts.user(t, "manager@invite.test")
	ts.join(t, tn, manager.ID, "manager")
	const newcomer = "new.editor@invite.test"

	p := browsertest.New(t).Page(t, 1440)
	officeSignIn(t, p, origin+"/admin/#team", manager.Email, "[data-invite]")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#i-email"), "not an address"), chromedp.Click(chromedp.CSS("[data-invite] button")))
	p.WaitVisible(t, "#i-email-error") // the API's word, beside the field
	p.Run(t, chromedp.SetValue(chromedp.CSS("#i-email"), newcomer), selectByText("#i-role", "Editor"),
		chromedp.Click(chromedp.CSS("[data-invite] button")))
	waitText(t, p, `[data-invitation="`+newcomer+`"] td`, "Editor")
	// Resending replaces the link (the test follows the second mail's);
	// another invitation is revoked after a second word.
	p.Click(t, `[data-invitation="`+newcomer+`"] button`)
	waitText(t, p, "[data-notice]", "A new link was sent to "+newcomer+".")
	const changedMind = "changed.mind@invite.test"
	p.Run(t, chromedp.SetValue(chromedp.CSS("#i-email"), changedMind), chromedp.Click(chromedp.CSS("[data-invite] button")))
	waitText(t, p, "[data-notice]", "Invitation sent to "+changedMind+".")
	p.Click(t, `[data-invitation="`+changedMind+`"] .row-actions > span > button`)
	p.Click(t, `[data-invitation="`+changedMind+`"] button.danger`)
	waitText(t, p, "[data-notice]", "The invitation of "+changedMind+" was revoked.")
	if got := evalString(t, p, `[...document.querySelectorAll("[data-invitation]")].map((r) => r.dataset.invitation).join(" ")`); got != newcomer {
		t.Errorf("pending invitations on the page: %q, want only %s", got, newcomer)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-team")
	noProblemsBut(t, p, "400 (Bad Request) ("+origin+"/api/v1/teams/invite)")

	ts.flushMail(t)
	mails := smtp.To(newcomer)
	if len(mails) != 2 {
		t.Fatalf("%d invitation mails for %s, want 2 (sent, resent)", len(mails), newcomer)
	}
	link, err := url.Parse(mails[1].Link())
	if err != nil || link.Path != "/accept-invite" || "http://"+link.Host != origin || link.Query().Get("token") == "" {
		t.Fatalf("the mail's link %q does not lead to %s/accept-invite?token=…", mails[1].Link(), origin)
	}

	q := browsertest.New(t).Page(t, 375) // another browser: no session
	q.Open(t, link.String())
	q.WaitVisible(t, "form[data-json-form]")
	q.NoSeriousViolations(t)
	q.Screenshot(t, "accept-invite")
	q.Run(t,
		chromedp.SetValue(chromedp.CSS("#ai-first"), "Nora"),
		chromedp.SetValue(chromedp.CSS("#ai-last"), "Newcomer"),
		chromedp.SetValue(chromedp.CSS("#ai-password"), "short"),
		chromedp.Click(chromedp.CSS("form[data-json-form] button")),
	)
	q.WaitVisible(t, "#ai-password-error") // refused, beside the field; the invitation still stands
	q.NoSeriousViolations(t)
	q.Run(t, chromedp.SetValue(chromedp.CSS("#ai-password"), "a long new password"), chromedp.Click(chromedp.CSS("form[data-json-form] button")))
	waitURL(t, q, "/admin/")
	q.WaitVisible(t, "[data-nav]")
	if who := q.Text(t, "[data-who-name]"); who != newcomer+" · Editor" {
		t.Errorf("signed in as %q, want %s · Editor", who, newcomer)
	}
	if nav := navText(t, q); nav != "Dashboard Products Orders Customers Imports" {
		t.Errorf("the new Editor sees %q", nav)
	}
	noProblemsBut(t, q, "400 (Bad Request) ("+origin+"/api/v1/auth/register)")

	owner, _ := ts.member(t, tn, "owner")
	sc := ts.scenarios(hostOf(tn), map[string]string{"owner": owner})
	r := sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/members", wantStatus: http.StatusOK})
	if m, ok := decodeMembers(t, r)[newcomer]; !ok || m.Role.Name != "Editor" || !m.Active {
		t.Errorf("the team API has %s as %+v, want an active Editor", newcomer, m)
	}
	sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/invitations", wantStatus: http.StatusOK, want: []string{`"items":[]`}})
}

// TestBackOfficeRoleEditor: an Owner creates a custom role by ticking
// permissions (a name taken is refused beside the field), the role API
// holds exactly those, the Owner gives it to a member on the Team page, and
// that member signs in to exactly the sections it opens; the audit trail
// shows both changes; a Viewer has no Team page.
func TestBackOfficeRoleEditor(t *testing.T) {
	ts, tn, origin, _ := teamOffice(t, "roles")
	host := hostOf(tn)
	sh := &teamShop{tn: tn, host: host, members: map[string]teamMember{}}
	sh.add(t, ts, "owner", "owner")
	clerk := sh.add(t, ts, "clerk", "viewer")
	sh.add(t, ts, "viewer", "viewer")

	p := browsertest.New(t).Page(t, 1440)
	officeSignIn(t, p, origin+"/admin/#team/roles", sh.members["owner"].email, "[data-roles]")
	p.NoSeriousViolations(t)
	p.Click(t, "[data-new-role]")
	p.WaitVisible(t, "[data-role-form]")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#r-name"), "editor"), chromedp.Click(chromedp.CSS("[data-role-form] button[type=submit]")))
	p.WaitVisible(t, "#r-name-error") // roles' names are unique in any case
	if msg := p.Text(t, "#r-name-error"); !strings.Contains(msg, "another role has this name") {
		t.Errorf("name error %q", msg)
	}
	p.Run(t, chromedp.SetValue(chromedp.CSS("#r-name"), "Catalogue clerk"),
		chromedp.SetValue(chromedp.CSS("#r-description"), "Looks after the catalogue"))
	for _, perm := range []string{"products.view", "products.edit", "imports.view", "analytics.view"} {
		p.Click(t, `[data-perm="`+perm+`"]`)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-roles")
	p.Click(t, "[data-role-form] button[type=submit]")
	waitEval(t, p, `[...document.querySelectorAll('[data-role="Catalogue clerk"] .badge')].map((b) => b.textContent).join(" ")`,
		"analytics.view imports.view products.edit products.view")
	waitText(t, p, "[data-notice]", "Role Catalogue clerk created.")
	role, ok := sh.roleList(t, ts, "owner")["Catalogue clerk"]
	if want := []string{"analytics.view", "imports.view", "products.edit", "products.view"}; !ok || !slices.Equal(role.Permissions, want) || role.System {
		t.Fatalf("the role API has %+v, want a custom role with %v", role, want)
	}

	// A custom role nobody holds is deleted after a second word.
	temp := sh.createRole(t, ts, "owner", "Temporary", "orders.view")
	p.Open(t, fmt.Sprintf("%s/admin/#team/roles/%d", origin, temp))
	p.Click(t, "[data-delete-role] button")
	p.Click(t, "[data-delete-role] button.danger")
	waitText(t, p, "[data-notice]", "Role Temporary deleted.")
	if _, left := sh.roleList(t, ts, "owner")["Temporary"]; left {
		t.Errorf("the deleted role is still in the role API")
	}

	p.Open(t, origin+"/admin/#team")
	p.WaitVisible(t, "#m-role-"+fmt.Sprint(clerk.id))
	p.Run(t, selectByText("#m-role-"+fmt.Sprint(clerk.id), "Catalogue clerk"), chromedp.Click(chromedp.CSS(`[data-change-role="`+clerk.email+`"]`)))
	waitText(t, p, `[data-member="`+clerk.email+`"] td:nth-child(3)`, "Catalogue clerk")
	if m := sh.teamList(t, ts, "owner")[clerk.email]; m.Role.Name != "Catalogue clerk" {
		t.Errorf("the team API has the clerk as %q", m.Role.Name)
	}

	p.Open(t, origin+"/admin/#audit")
	p.WaitVisible(t, "[data-audit]")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#a-action"), "team."), chromedp.Click(chromedp.CSS("[data-audit-filter] button")))
	waitURL(t, p, "team.")
	waitEval(t, p, `[...document.querySelectorAll("[data-event]")].map((r) => r.dataset.event).join(" ")`, "team.member_updated team.role_deleted team.role_created team.role_created")
	if s := p.Text(t, `[data-event="team.member_updated"]`); !strings.Contains(s, "role: Viewer → Catalogue clerk") || !strings.Contains(s, sh.members["owner"].email) {
		t.Errorf("the trail's row says %q", s)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-audit")
	noProblemsBut(t, p, "400 (Bad Request) ("+origin+"/api/v1/teams/roles)")

	c := browsertest.New(t).Page(t, 1440)
	officeSignIn(t, c, origin+"/admin/", clerk.email, "[data-nav]")
	if nav := navText(t, c); nav != "Dashboard Products Imports" {
		t.Errorf("the Catalogue clerk sees %q, want Dashboard Products Imports", nav)
	}
	c.NoProblems(t)

	v := browsertest.New(t).Page(t, 1440)
	officeSignIn(t, v, origin+"/admin/#team", sh.members["viewer"].email, "[data-nav]")
	if nav := navText(t, v); strings.Contains(nav, "Team") {
		t.Errorf("a Viewer sees %q", nav)
	}
	// #team in the address shows the first section the Viewer has instead.
	waitEval(t, v, `(document.querySelector("[data-page]") || {dataset: {}}).dataset.page || ""`, "dashboard")
	if n := browsertest.Get(t, v, chromedp.Evaluate[int](`document.querySelectorAll("[data-invite], [data-members], [data-change-role]").length`)); n != 0 {
		t.Errorf("a Viewer sees %d team controls", n)
	}
	v.NoProblems(t)
}

// TestBackOfficeCustomers: an Editor searches the customers by a part of a
// name, opens the one with an order, follows it to the order, and corrects
// the customer's phone (the customer API agrees) — at 375 px, no wider than
// the window.
func TestBackOfficeCustomers(t *testing.T) {
	ts, tn, origin, placed := officeWithOrder(t, "patrons", 1, "standard")
	editor := ts.user(t, "editor@patrons.test")
	ts.join(t, tn, editor.ID, "editor")

	p := browsertest.New(t).Page(t, 375)
	officeSignIn(t, p, origin+"/admin/#customers", editor.Email, "[data-customers]")
	p.Run(t, chromedp.SetValue(chromedp.CSS("#c-q"), "ANN@"), chromedp.Click(chromedp.CSS("[data-customers-filter] button")))
	waitURL(t, p, "ANN")
	waitEval(t, p, `[...document.querySelectorAll("[data-customer]")].map((r) => r.dataset.customer).join(" ")`, "ann@example.lu")
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-customers")
	p.Click(t, `[data-customer="ann@example.lu"] a`)
	p.WaitVisible(t, "[data-customer-orders]")
	if w := browsertest.Get(t, p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w != 375 {
		t.Errorf("the customer's page is %d px wide in a 375 px window", w)
	}
	p.NoSeriousViolations(t)
	p.Screenshot(t, "admin-customer")

	p.Run(t, chromedp.SetValue(chromedp.CSS("#c-phone"), "+352 621 000 111"), chromedp.Click(chromedp.CSS("[data-customer-form] button[type=submit]")))
	p.WaitVisible(t, "[data-notice]")
	owner, _ := ts.member(t, tn, "owner")
	sc := ts.scenarios(hostOf(tn), map[string]string{"owner": owner})
	r := sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/customers?q=ann", wantStatus: http.StatusOK})
	var list struct {
		Items []struct {
			ID int `json:"id"`
		} `json:"items"`
	}
	r.decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d customers named ann", len(list.Items))
	}
	sc.send(t, scenario{as: "owner", method: "GET", path: fmt.Sprintf("/api/v1/customers/%d", list.Items[0].ID), wantStatus: http.StatusOK,
		want: []string{`"phone":"+352 621 000 111"`}})

	p.Click(t, fmt.Sprintf(`[data-customer-orders] a[href="#order/%d"]`, placed.Order.ID))
	p.WaitVisible(t, "[data-order-status]")
	p.NoProblems(t)
}
