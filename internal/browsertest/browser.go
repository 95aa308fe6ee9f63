// Package browsertest drives a real headless Chromium for tests that walk
// the shop's pages as a buyer does: it opens pages, clicks and types, takes
// screenshots, runs axe-core's accessibility rules, and collects what the
// page reports going wrong (console errors, uncaught exceptions,
// Content-Security-Policy violations). Only _test.go files import it.
//
// Chromium is found through BAZAAR_TEST_CHROMIUM, which `make test` sets
// from scripts/chromium (installing Debian's chromium package when it is
// missing), or at /usr/bin/chromium. A machine without it fails the tests
// and says how to get it: browser tests that skip themselves would pass CI
// without ever having run.
//
// The browser resolves every host name to 127.0.0.1, so a test opens
// http://acme.shop.test:PORT/ on a server listening on 127.0.0.1:PORT and
// the application sees Host acme.shop.test:PORT, which is how it finds
// the vendor. Nothing a test opens reaches beyond loopback.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvChromium names the environment variable holding the Chromium (or
// Chrome) binary the tests run; `make test` sets it.
const EnvChromium = "BAZAAR_TEST_CHROMIUM"

// defaultChromium is where Debian's chromium package puts the browser.
const defaultChromium = "/usr/bin/chromium"

// startTimeout bounds starting the browser and opening a tab. It is far above
// the second or so either takes, so that only a browser that hangs hits it
// (a cold start on a loaded 2-core machine under -race is slow, not hung).
const startTimeout = time.Minute

// Browser is one headless Chromium process with its own fresh profile.
type Browser struct {
	ctx context.Context // the chromedp context owning the browser process
}

// New starts a headless Chromium for t and closes it in t.Cleanup.
//
// Each call starts a browser of its own (about a second) rather than sharing
// one per test process: cookies, storage and cache cannot leak from one test
// into another, a crashed browser fails only the test that used it, and the
// process and its profile directory end with the test instead of outliving
// the test binary. Pages of one Browser share its cookies, as a buyer's tabs
// do.
func New(t testing.TB) *Browser {
	t.Helper()
	bin, err := findChromium(os.Getenv(EnvChromium), defaultChromium)
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	out := &tailBuffer{max: 4 << 10}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(bin, out)...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// A graceful close first, so that Chromium removes its own files;
		// cancelling the allocator then kills whatever is left.
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("browsertest: closing Chromium: %v", err)
		}
		cancel()
		cancelAlloc()
	})
	// The browser lives as long as the context of its first run, so that run
	// gets ctx itself; a timer, not a deadline, bounds it.
	timer := time.AfterFunc(startTimeout, cancel)
	err = chromedp.Do(ctx)
	if !timer.Stop() {
		err = fmt.Errorf("not started within %s", startTimeout)
	}
	if err != nil {
		t.Fatalf("browsertest: starting %s: %v\n%s", bin, err, out)
	}
	return &Browser{ctx: ctx}
}

// findChromium is the browser binary: env (EnvChromium's value) when set,
// else debian (Debian's path) when it exists. Its error says how to get one.
func findChromium(env, debian string) (string, error) {
	const how = "run the tests with `make test`, which installs Debian's chromium package, " +
		"or set " + EnvChromium + " to the path `scripts/chromium path` prints"
	if env != "" {
		if _, err := os.Stat(env); err != nil {
			return "", fmt.Errorf("%s=%s: %w; %s", EnvChromium, env, err, how)
		}
		return env, nil
	}
	if _, err := os.Stat(debian); err != nil {
		return "", fmt.Errorf("Chromium not found (%s is unset, %w); %s", EnvChromium, err, how)
	}
	return debian, nil
}

// allocatorOptions are Chromium's flags for tests on this kind of machine: a
// container or CI runner, often as root, with no display, no GPU and no
// network beyond loopback. chromedp adds a fresh temporary --user-data-dir
// per browser (removed when the browser ends) and talks to it over a pipe.
func allocatorOptions(bin string, out *tailBuffer) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.CombinedOutput(out),
		chromedp.Flag("headless", "new"),
		// Chromium's sandbox needs user namespaces or a setuid helper, and
		// refuses to start as root without this flag (CI runs as root).
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// Every host is loopback; see the package comment.
		chromedp.Flag("host-resolver-rules", "MAP * 127.0.0.1"),
		// A proxy from the environment would take the mapped hosts elsewhere.
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-quic", true),
		// Nothing but the page under test: no first-run UI, no background
		// fetches (component updates, sync, field trials), no extensions
		// (Debian's launcher loads those under /usr/share/chromium).
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		// Tabs not in front keep their timers and rendering at full speed
		// (as Puppeteer does), so a journey with two tabs is not slowed.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		// On a developer's desktop, never ask the session's keyring: its
		// unlock prompt would hang the run.
		chromedp.Flag("password-store", "basic"),
		// /dev/shm is 64 MB in a default container; Chromium crashes when it
		// fills. Its shared memory goes to /tmp instead.
		chromedp.Flag("disable-dev-shm-usage", true),
		// Scrollbars would take ~15 px from the layout width of a page taller
		// than the window, so a 375 px page would not be laid out at 375.
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	}
}

// tailBuffer keeps the last max bytes Chromium wrote to stdout and stderr,
// shown when it fails to start. Chromium writes from another goroutine.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = b.buf[over:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(bytes.TrimSpace(b.buf))
}
