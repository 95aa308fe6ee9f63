package browsertest

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// csp is the policy every test page is served with: as strict as the shop's,
// so that what works here (axe-core, the host mapping) works there.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// pixel is a 1×1 GIF, allowed by img-src data:.
const pixel = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="

// site serves the test pages on 127.0.0.1 and remembers the Host headers it
// was sent.
type site struct {
	url string // http://acme.shop.test:PORT, reaching the server through the browser's host mapping

	mu    sync.Mutex
	hosts []string
}

var pages = map[string]string{
	// good: landmarks, a labelled field, alt text, a script that runs.
	"/": `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme</title><link rel="stylesheet" href="/site.css"><script src="/app.js" defer></script></head>
<body><header><nav aria-label="Main"><a href="/">Home</a></nav></header>
<main><h1>Acme</h1><img src="` + pixel + `" alt="Acme's logo">
<form action="/search"><label for="q">Search</label> <input id="q" name="q"> <button>Search</button></form>
<p id="status">waiting</p><div class="tall">The end</div></main></body></html>`,
	"/site.css": `body { font: 16px sans-serif; color: #222; background: #fff; margin: 0 }
.tall { height: 2000px }
.faint { color: #bbb; background: #fff }`,
	"/app.js": `document.getElementById('status').textContent = 'ready';
document.querySelector('form').addEventListener('submit', e => {
	e.preventDefault();
	document.getElementById('status').textContent = 'searched ' + document.getElementById('q').value;
});`,

	// inaccessible: an image without alt, a field without a label, and
	// text too faint to read.
	"/inaccessible": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad</title>
<link rel="stylesheet" href="/site.css"></head>
<body><main><h1>Bad</h1><img src="` + pixel + `"><input type="text" name="q">
<p class="faint">Hard to read</p></main></body></html>`,

	// broken: an inline script the policy blocks, and a script that throws.
	"/broken": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Broken</title>
<script src="/throws.js"></script></head>
<body><main><h1>Broken</h1><script>document.title = 'inline ran'</script>
<img src="/missing.png" alt="Gone"></main></body></html>`,
	"/throws.js": `throw new Error('thrown by throws.js');`,
}

func startSite(t *testing.T) *site {
	t.Helper()
	s := &site{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hosts = append(s.hosts, r.Host)
		s.mu.Unlock()
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", csp)
		switch filepath.Ext(r.URL.Path) {
		case ".css":
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
		case ".js":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	s.url = "http://acme.shop.test:" + port
	return s
}

func (s *site) sawHosts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Compact(slices.Sorted(slices.Values(s.hosts)))
}

// recorder stands in for a test whose failure is the expected outcome: it
// keeps the messages instead of failing, and Fatalf ends the goroutine as
// testing's does.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// failures runs f as a test would and returns how it failed.
func failures(t *testing.T, f func(t testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failures
}

func TestGoodPage(t *testing.T) {
	s := startSite(t)
	p := New(t).Page(t, 375)
	p.Open(t, s.url+"/")

	if got := p.Text(t, "#status"); got != "ready" {
		t.Errorf("#status = %q, want %q: the page's own script did not run", got, "ready")
	}
	p.SetValue(t, "#q", "teapot")
	p.Click(t, "button")
	if got := p.Text(t, "#status"); got != "searched teapot" {
		t.Errorf("#status after the search = %q, want %q", got, "searched teapot")
	}
	// The browser resolved acme.shop.test to the server on 127.0.0.1 and sent
	// the name in Host, which is how the application finds the vendor.
	if got, want := s.sawHosts(), []string{strings.TrimPrefix(s.url, "http://")}; !slices.Equal(got, want) {
		t.Errorf("the server saw Host %q, want only %q", got, want)
	}
	if v := p.Axe(t); len(v) != 0 {
		t.Errorf("axe-core found violations on the good page: %v", v)
	}
	p.NoSeriousViolations(t)
	// The server answers the browser's own /favicon.ico with a 404, as the
	// shop does: not a problem of the page.
	p.NoProblems(t)
}

func TestAxeReportsViolations(t *testing.T) {
	s := startSite(t)
	p := New(t).Page(t, 1440)
	p.Open(t, s.url+"/inaccessible")

	impact := map[string]string{}
	for _, v := range p.Axe(t) {
		impact[v.ID] = v.Impact
		if v.Count == 0 || len(v.Elements) == 0 || v.Elements[0].HTML == "" || len(v.Elements[0].Target) == 0 {
			t.Errorf("%s names no element: %+v", v.ID, v)
		}
	}
	for id, want := range map[string]string{"image-alt": "critical", "label": "critical", "color-contrast": "serious"} {
		if impact[id] != want {
			t.Errorf("axe-core rule %s: impact %q, want %q (all found: %v)", id, impact[id], want, impact)
		}
	}

	failed := strings.Join(failures(t, p.NoSeriousViolations), "\n")
	for _, want := range []string{"image-alt (critical)", "label (critical)", "color-contrast (serious)", "<img", `class="faint"`} {
		if !strings.Contains(failed, want) {
			t.Errorf("NoSeriousViolations' failure does not mention %q:\n%s", want, failed)
		}
	}
	// axe-core ran under the page's policy without tripping it.
	p.NoProblems(t)
}

func TestProblems(t *testing.T) {
	s := startSite(t)
	p := New(t).Page(t, 375)
	p.Open(t, s.url+"/broken")

	problems := strings.Join(p.Problems(), "\n")
	for _, want := range []string{
		"uncaught exception: Uncaught Error: thrown by throws.js (" + s.url + "/throws.js:1)",
		"security error: Executing inline script violates the following Content Security Policy directive 'script-src 'self''",
		"is required to enable inline execution. The action has been blocked. (" + s.url + "/broken:3)",
		"network error: Failed to load resource: the server responded with a status of 404 (Not Found) (" + s.url + "/missing.png)",
	} {
		if !strings.Contains(problems, want) {
			t.Errorf("Problems() lacks %q; has:\n%s", want, problems)
		}
	}
	if title := Get(t, p, chromedp.Title()); title != "Broken" {
		t.Errorf("title = %q: the policy did not block the inline script", title)
	}
	if failed := failures(t, p.NoProblems); len(failed) != 1 || !strings.Contains(failed[0], "thrown by throws.js") {
		t.Errorf("NoProblems on the broken page failed with %q, want one failure listing the problems", failed)
	}
	// console.error is a problem too, and so is a value thrown that is not
	// an Error, from a timer (the promise settles after it fired).
	p.Run(t, chromedp.Evaluate[chromedp.Void](`console.error('went wrong:', 42)`),
		chromedp.Evaluate[chromedp.Void](`new Promise(done => { setTimeout(() => { throw 'plain' }); setTimeout(done, 50) })`,
			chromedp.EvalAwaitPromise))
	got := p.Problems()
	for _, want := range []string{"console.error: went wrong: 42", "uncaught exception: Uncaught plain"} {
		if !slices.Contains(got, want) {
			t.Errorf("Problems() = %q, want %q among them", got, want)
		}
	}
}

func TestOpenFailsOnErrorStatus(t *testing.T) {
	s := startSite(t)
	p := New(t).Page(t, 375)
	failed := failures(t, func(t testing.TB) { p.Open(t, s.url+"/missing") })
	if len(failed) != 1 || !strings.Contains(failed[0], "/missing: 404") {
		t.Errorf("Open of a missing page failed with %q, want one failure naming the 404", failed)
	}
}

func TestScreenshot(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvScreenshots, dir)
	s := startSite(t)
	b := New(t)
	for _, width := range []int{375, 1440} {
		p := b.Page(t, width)
		p.Open(t, s.url+"/")
		file := p.Screenshot(t, "Journey/home page")
		if want := filepath.Join(dir, fmt.Sprintf("Journey-home-page-%d.png", width)); file != want {
			t.Errorf("screenshot written to %s, want %s", file, want)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		// The whole page, not only the viewport: the page is over 2000 px tall.
		if size := img.Bounds().Size(); size.X != width || size.Y <= viewportHeight {
			t.Errorf("%s is %d×%d, want %d wide and taller than the %d px viewport", file, size.X, size.Y, width, viewportHeight)
		}
	}
}

func TestScreenshotsGoToTheModuleRoot(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if root != want {
		t.Errorf("moduleRoot() = %s, want %s", root, want)
	}
}

func TestMissingChromiumSaysHowToGetIt(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-chromium")
	for _, env := range []string{"", missing} {
		_, err := findChromium(env, missing)
		if err == nil {
			t.Fatalf("findChromium(%q) found a browser at a path that does not exist", env)
		}
		for _, want := range []string{EnvChromium, missing, "make test", "scripts/chromium path"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("findChromium(%q): %q does not mention %q", env, err, want)
			}
		}
	}
	if got, err := findChromium(os.Args[0], missing); err != nil || got != os.Args[0] {
		t.Errorf("findChromium(%q) = %q, %v: the variable's binary was not taken", os.Args[0], got, err)
	}
}
