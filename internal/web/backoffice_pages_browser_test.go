package web

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bazaar/bazaar/internal/browsertest"
)

// TestEveryBackOfficePageInTheBrowser walks every section of both back
// offices — a shop's, as its Owner, and the platform's, as a super admin —
// at a desktop's and a phone's width, found from the page's own menu (a
// section added later is walked too), plus the detail pages of an order and
// a product: each is drawn with no error on the page, no console error or
// CSP violation, no serious or critical axe-core violation and no page
// wider than the window, and leaves a screenshot.
func TestEveryBackOfficePageInTheBrowser(t *testing.T) {
	ts, tn, origin, placed := officeWithOrder(t, "everypage", 1, "pickup")
	u := ts.user(t, "owner@everypage.test")
	ts.join(t, tn, u.ID, "owner")
	_, port, _ := net.SplitHostPort(ts.addr)
	ts.superAdmin(t, "root@everypage.test")
	var items struct {
		Items []productOut `json:"items"`
	}
	owner, _ := ts.member(t, tn, "owner")
	ts.scenarios(hostOf(tn), map[string]string{"owner": owner}).send(t, scenario{as: "owner", method: "GET", path: "/api/v1/products", wantStatus: 200}).decode(t, &items)

	offices := []struct {
		name, url, email string
		details          []string // pages reached by a link, not the menu
	}{
		{"shop", origin + "/admin/", "owner@everypage.test",
			[]string{fmt.Sprintf("order/%d", placed.Order.ID), fmt.Sprintf("product/%d", items.Items[0].ID), "product/new"}},
		{"platform", fmt.Sprintf("http://admin.%s:%s/", base, port), "root@everypage.test", nil},
	}
	for _, o := range offices {
		for _, width := range []int{1440, 375} {
			t.Run(fmt.Sprintf("%s/%d", o.name, width), func(t *testing.T) {
				p := browsertest.New(t).Page(t, width)
				officeSignIn(t, p, o.url, o.email, "[data-page][data-ready]")
				sections := strings.Fields(evalString(t, p, `[...document.querySelectorAll("[data-section]")].map(a => a.dataset.section).join(" ")`))
				if len(sections) < 2 {
					t.Fatalf("the menu has %v", sections)
				}
				for _, page := range append(sections, o.details...) {
					p.Open(t, o.url+"#"+page)
					// A page is drawn once its data-page names it and it is ready.
					name := strings.SplitN(page, "/", 2)[0]
					waitEval(t, p, fmt.Sprintf(`String(!!document.querySelector('[data-page=%q][data-ready]'))`, name), "true")
					if e := evalString(t, p, `(document.querySelector("[data-page-error]") || {}).textContent || ""`); e != "" {
						t.Errorf("%s: the page shows an error: %s", page, e)
					}
					if w := browsertest.Get(t, p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > width {
						t.Errorf("%s is %d px wide in a %d px window", page, w, width)
					}
					p.NoSeriousViolations(t)
					p.Screenshot(t, fmt.Sprintf("office-%s-%s", o.name, strings.ReplaceAll(page, "/", "-")))
				}
				p.NoProblems(t)
			})
		}
	}
}
