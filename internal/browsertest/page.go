package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// viewportHeight is the height of every page's viewport; tests vary only
// the width (375 for a phone, 1440 for a desktop).
const viewportHeight = 900

// actionTimeout bounds each call that drives a page, so that a page that
// never loads, or a selector that never matches, fails its test with the
// step that hung instead of running into the test binary's timeout.
const actionTimeout = 20 * time.Second

// Page is one tab of a Browser, its viewport a fixed width, recording the
// problems the page reports while the test drives it.
type Page struct {
	ctx   context.Context // the tab's chromedp context
	width int

	mu       sync.Mutex
	problems []string
}

// Page opens a new tab with a viewport of width × 900 CSS pixels (device
// scale 1, so a screenshot is width pixels wide), closed in t.Cleanup.
func (b *Browser) Page(t testing.TB, width int) *Page {
	t.Helper()
	p := &Page{width: width}
	// The listener is in place before the tab exists, so that nothing the
	// page reports is missed.
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(p.record))
	t.Cleanup(cancel)
	// The tab lives as long as the context of its first run (see New).
	timer := time.AfterFunc(startTimeout, cancel)
	err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), viewportHeight))
	if !timer.Stop() {
		err = fmt.Errorf("not opened within %s", startTimeout)
	}
	if err != nil {
		t.Fatalf("browsertest: opening a tab: %v", err)
	}
	p.ctx = ctx
	return p
}

// Run runs chromedp actions in order and fails the test at the first error
// (with the problems the page reported so far: often the reason an element
// never appeared). The actions together must finish within 20 seconds.
func (p *Page) Run(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browsertest: %v%s", err, p.problemsNote())
	}
}

// Get runs one chromedp action that returns a value (chromedp.Location(),
// chromedp.AttributeValue(…), chromedp.Evaluate[T](…)) and returns it,
// failing the test as Run does. It is a function because Go methods cannot
// have type parameters.
func Get[T any](t testing.TB, p *Page, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("browsertest: %v%s", err, p.problemsNote())
	}
	return v
}

// Open loads addr and waits for its load event. An answer of 400 or above
// fails the test; to look at an error page on purpose, use
// Get(t, p, chromedp.NavigateResponse(addr)).
func (p *Page) Open(t testing.TB, addr string) {
	t.Helper()
	resp := Get(t, p, chromedp.NavigateResponse(addr))
	if resp != nil && resp.Status >= 400 {
		t.Fatalf("browsertest: GET %s: %d %s%s", addr, resp.Status, resp.StatusText, p.problemsNote())
	}
}

// Click clicks the first element matching the CSS selector, once visible.
func (p *Page) Click(t testing.TB, sel string) {
	t.Helper()
	p.Run(t, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// SetValue sets the value of the form field matching the CSS selector.
func (p *Page) SetValue(t testing.TB, sel, value string) {
	t.Helper()
	p.Run(t, chromedp.SetValue(chromedp.CSS(sel), value))
}

// WaitVisible waits until an element matching the CSS selector is visible.
func (p *Page) WaitVisible(t testing.TB, sel string) {
	t.Helper()
	p.Run(t, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// Text is the visible text of the first element matching the CSS selector.
func (p *Page) Text(t testing.TB, sel string) string {
	t.Helper()
	return Get(t, p, chromedp.Text(chromedp.CSS(sel)))
}

// Problems lists what the page has reported going wrong since the tab
// opened, in order: uncaught exceptions, console.error and console.assert
// calls, and the browser's own error messages, among them
// Content-Security-Policy violations ("… violates the following Content
// Security Policy directive …") and failed loads of the page's resources
// (but not of the /favicon.ico the browser asks for by itself).
func (p *Page) Problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

// NoProblems fails the test, listing them, when the page has reported any
// problem (see Problems).
func (p *Page) NoProblems(t testing.TB) {
	t.Helper()
	if problems := p.Problems(); len(problems) > 0 {
		t.Errorf("browsertest: the page at %d px reported %d problem(s):\n  %s",
			p.width, len(problems), strings.Join(problems, "\n  "))
	}
}

// problemsNote is the problems so far, to append to a failure message.
func (p *Page) problemsNote() string {
	problems := p.Problems()
	if len(problems) == 0 {
		return ""
	}
	return "\nthe page reported:\n  " + strings.Join(problems, "\n  ")
}

// record keeps the events that say the page went wrong. chromedp calls it
// on the tab's reading goroutine, in the order the events arrive and before
// the reply to the next command: what the page reported before an action
// returned is in Problems when it returns.
func (p *Page) record(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		problem = "uncaught exception: " + exceptionText(ev.ExceptionDetails)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			problem = "console." + string(ev.Type) + ": " + argsText(ev.Args)
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError && !browsersFavicon(e) {
			line := e.LineNumber
			if e.Source == log.EntrySourceNetwork {
				line = -1 // a failed load has a URL but no line
			}
			problem = string(e.Source) + " error: " + e.Text + where(e.URL, line)
		}
	}
	if problem == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, problem)
}

// browsersFavicon tells the failed load of /favicon.ico, which the browser
// asks for by itself on a page that names no icon: the shop serves none,
// and no buyer sees it missing.
func browsersFavicon(e *log.Entry) bool {
	u, err := url.Parse(e.URL)
	return err == nil && e.Source == log.EntrySourceNetwork && u.Path == "/favicon.ico"
}

// exceptionText is an exception as the DevTools console shows its first
// line: "Uncaught Error: boom (http://…/app.js:3)".
func exceptionText(d *runtime.ExceptionDetails) string {
	text := d.Text
	if d.Exception != nil { // an Error's description, or the value thrown
		first, _, _ := strings.Cut(argsText([]*runtime.RemoteObject{d.Exception}), "\n")
		text += " " + first
	}
	return text + where(d.URL, d.LineNumber)
}

// argsText joins console arguments: strings as they are, other values by
// their description or JSON.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = a.Description
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// where is " (addr:line)", the line counted from 1, " (addr)" for a line
// below 0, or "" without an address.
func where(addr string, line int64) string {
	switch {
	case addr == "":
		return ""
	case line < 0:
		return " (" + addr + ")"
	}
	return fmt.Sprintf(" (%s:%d)", addr, line+1)
}
