// Package stripetest runs stripe-mock (github.com/stripe/stripe-mock,
// Stripe's own mock of its API, a tool of this module) on loopback for
// tests that talk to Stripe: no test reaches the network beyond this
// machine.
//
// The binary is built by `go tool -n stripe-mock`, which compiles the
// version go.mod names into Go's build cache once and hands back its
// path: every test process and package after the first reuses it, and
// nothing is downloaded when the module cache holds the source. Each test
// process starts one stripe-mock, on first use, shared by all its tests
// (test packages are processes of their own, each with its own), and on
// Linux the kernel kills it when the process ends, however it ends (the
// parent-death signal; see proc_linux.go). Elsewhere it outlives the run.
package stripetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The process's stripe-mock, started once.
var (
	once     sync.Once
	startURL string
	startErr error
)

// Start returns the base URL (http://127.0.0.1:port) of this test
// process's stripe-mock, starting it on first use. stripe-mock accepts any
// key of the form sk_test_… (or rk_test_…) and answers from its fixtures:
// the same ids for every request, parameters checked against Stripe's
// OpenAPI specification.
func Start(t testing.TB) string {
	t.Helper()
	once.Do(func() { startURL, startErr = start() })
	if startErr != nil {
		t.Fatalf("stripetest: %v", startErr)
	}
	return startURL
}

// startTimeout bounds building (on a cold cache) and starting stripe-mock.
const startTimeout = 5 * time.Minute

func start() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	bin, err := build(ctx)
	if err != nil {
		return "", err
	}
	// Both listeners on loopback, on ports of the system's choosing:
	// stripe-mock also serves HTTPS unless told where, and by default on
	// every interface.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	var stderr tail
	cmd.Stderr = &stderr
	addr := make(chan string, 1)
	go func() {
		// The address is the line "Listening for HTTP at address: …"; the
		// rest is read and dropped so stripe-mock never blocks on a full
		// pipe.
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "Listening for HTTP at address: "); ok {
				addr <- strings.TrimSpace(a)
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	exited, err := run(cmd)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	var a string
	select {
	case a = <-addr:
	case werr := <-exited:
		return "", fmt.Errorf("stripe-mock exited before listening (%v): %s", werr, stderr.String())
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("stripe-mock did not listen within %s: %s", startTimeout, stderr.String())
	}
	if host, _, err := net.SplitHostPort(a); err != nil || host != "127.0.0.1" {
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("stripe-mock listens at %q, not on 127.0.0.1", a)
	}
	url := "http://" + a
	if err := ready(ctx, url); err != nil {
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("stripe-mock at %s is not ready: %w; %s", url, err, stderr.String())
	}
	return url, nil
}

// build returns the path of the stripe-mock executable, built into Go's
// build cache by `go tool -n` (run from the package's directory, inside
// this module) if it is not there yet.
func build(ctx context.Context) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "tool", "-n", "stripe-mock")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n stripe-mock: %w: %s", err, stderr.String())
	}
	bin := strings.TrimSpace(string(out))
	if st, err := os.Stat(bin); err != nil || st.IsDir() {
		return "", fmt.Errorf("go tool -n stripe-mock printed %q, which is no executable", bin)
	}
	return bin, nil
}

// ready waits for stripe-mock to answer an API request.
func ready(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/balance", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer sk_test_stripetestready")
		res, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(res.Status)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tail keeps the last few kilobytes written to it: stripe-mock's stderr,
// for the message of a failed start.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailBytes {
		t.buf = t.buf[len(t.buf)-tailBytes:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
