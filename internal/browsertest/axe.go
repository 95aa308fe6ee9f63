package browsertest

import (
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, Deque's accessibility rules engine (see
// axe/README.md for its version and licence).
//
//go:embed axe/axe.min.js
var axeSource string

// maxElements caps the elements kept per violation: enough to find the
// pattern, short enough to read in a failure message.
const maxElements = 5

// maxHTML caps the length of an element's HTML snippet.
const maxHTML = 200

// Violation is one axe-core rule the page breaks.
type Violation struct {
	ID       string    `json:"id"`     // the rule, e.g. "image-alt"
	Impact   string    `json:"impact"` // "minor", "moderate", "serious" or "critical"
	Help     string    `json:"help"`   // what the rule asks for
	HelpURL  string    `json:"helpUrl"`
	Elements []Element `json:"elements"` // the first few elements breaking it
	Count    int       `json:"count"`    // how many elements break it in all
}

// Element is one element breaking a rule.
type Element struct {
	Target []string `json:"target"` // CSS selectors reaching it (one per frame or shadow root)
	HTML   string   `json:"html"`   // its HTML as axe-core quotes it, cut to 200 characters
}

// String is the violation as a failure message lists it.
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s — %d element(s), %s", v.ID, v.Impact, v.Help, v.Count, v.HelpURL)
	for _, e := range v.Elements {
		fmt.Fprintf(&b, "\n      %s  %s", strings.Join(e.Target, " "), e.HTML)
	}
	return b.String()
}

// axeRun runs axe-core on the document and reduces its answer to
// Violations, capping the elements and their HTML in the page so that a
// page full of violations does not send megabytes back.
var axeRun = fmt.Sprintf(`axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl, count: v.nodes.length,
	elements: v.nodes.slice(0, %d).map(n => ({
		target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : String(s)),
		html: n.html.slice(0, %d),
	})),
})))`, maxElements, maxHTML)

// Axe runs axe-core's rules on the page as it is now and returns the
// violations. axe-core is evaluated through the DevTools protocol, which the
// page's Content-Security-Policy does not govern, so it runs on pages whose
// policy forbids inline and foreign scripts, as the shop's does.
func (p *Page) Axe(t testing.TB) []Violation {
	t.Helper()
	// Injected once per document: a navigation brings a document without it.
	if !Get(t, p, chromedp.Evaluate[bool](`typeof window.axe === 'object'`)) {
		p.Run(t, chromedp.Evaluate[chromedp.Void](axeSource))
	}
	return Get(t, p, chromedp.Evaluate[[]Violation](axeRun, chromedp.EvalAwaitPromise))
}

// NoSeriousViolations fails the test, listing each with its elements, when
// the page breaks an axe-core rule of serious or critical impact. Minor and
// moderate ones are left to Axe's callers: serious and critical are the
// levels axe-core gives barriers that stop people, or badly hinder them,
// from using the page.
func (p *Page) NoSeriousViolations(t testing.TB) {
	t.Helper()
	var serious []string
	for _, v := range p.Axe(t) {
		if v.Impact == "serious" || v.Impact == "critical" {
			serious = append(serious, v.String())
		}
	}
	if len(serious) > 0 {
		t.Errorf("browsertest: the page at %d px breaks %d serious accessibility rule(s):\n  %s",
			p.width, len(serious), strings.Join(serious, "\n  "))
	}
}
