package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/platform/auditevent"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// authForwarded is a login from client address ip (the test client is a
// trusted proxy).
func authForwarded(ip, email, password string) req {
	return req{method: "POST", host: base, path: authLogin, body: authLoginBody(email, password, true),
		header: map[string]string{"X-Forwarded-For": ip}}
}

func authRetryAfter(t *testing.T, r *resp) int {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q, want a positive number of seconds", r.header.Get("Retry-After"))
	}
	return n
}

func TestBruteForce(t *testing.T) {
	db := tenanttest.Open(t)
	opts := defaultOptions()
	opts.TrustedProxies = []string{"127.0.0.1"}

	t.Run("AccountIsThrottledAcrossAddresses", func(t *testing.T) {
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.AccountFailures, o.Throttle.BackoffBase = 5, time.Minute
		}})
		x := ts.user(t, authEmail("target"))
		y := ts.user(t, authEmail("bystander"))
		// Every answer is checked, and the subtests below still run when one
		// is wrong, so a report shows the whole picture.
		var got []string
		for i := range 100 {
			r := ts.do(t, authForwarded(fmt.Sprintf("10.%d.%d.1", i/250, i%250), x.Email, "wrong password number "+strconv.Itoa(i)))
			got = append(got, fmt.Sprintf("%d %s", r.status, r.code()))
			if r.status == 429 {
				if n := authRetryAfter(t, r); n > 3600 {
					t.Errorf("attempt %d: Retry-After %d beyond backoff_max", i+1, n)
				}
			}
		}
		for i, g := range got {
			want := "429 too_many_attempts"
			if i < 5 {
				want = "401 invalid_credentials"
			}
			if g != want {
				t.Errorf("wrong password, attempt %d from a fresh address = %s, want %s", i+1, g, want)
			}
		}
		t.Run("RightPasswordIsStillThrottled", func(t *testing.T) {
			r := ts.do(t, authForwarded("192.0.2.1", x.Email, testPassword))
			if r.status != 429 || r.code() != "too_many_attempts" {
				t.Fatalf("right password while blocked = %d %s, want 429", r.status, r.body)
			}
			authRetryAfter(t, r)
		})
		t.Run("OtherAccountSignsIn", func(t *testing.T) {
			if r := ts.do(t, authForwarded("10.0.0.1", y.Email, testPassword)); r.status != 200 {
				t.Fatalf("bystander login = %d %s, want 200", r.status, r.body)
			}
		})
		t.Run("FailuresAreAudited", func(t *testing.T) {
			n, err := ts.db.Platform().AuditEvent.Query().
				Where(auditevent.Action("auth.login_failed"), auditevent.TargetID(x.Email)).
				Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n < 5 {
				t.Fatalf("%d auth.login_failed events for the target, want at least 5", n)
			}
		})
	})

	t.Run("UnknownEmailIsThrottledTheSame", func(t *testing.T) {
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.AccountFailures, o.Throttle.BackoffBase = 5, time.Minute
		}})
		ghost := authEmail("ghost")
		for i := range 7 {
			r := ts.do(t, authForwarded(fmt.Sprintf("10.9.%d.1", i), ghost, "whatever password"))
			want := "401 invalid_credentials"
			if i >= 5 {
				want = "429 too_many_attempts"
			}
			if got := fmt.Sprintf("%d %s", r.status, r.code()); got != want {
				t.Errorf("attempt %d on an unknown email = %s, want %s", i+1, got, want)
			}
		}
	})

	t.Run("PerAddressLimit", func(t *testing.T) {
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.IPAttempts, o.Throttle.IPWindow = 3, time.Hour
		}})
		u := ts.user(t, authEmail("perip"))
		const a, b = "198.51.100.7", "198.51.100.8"
		for i := range 3 {
			if r := ts.do(t, authForwarded(a, u.Email, testPassword)); r.status != 200 {
				t.Fatalf("attempt %d from %s = %d %s, want 200", i+1, a, r.status, r.body)
			}
		}
		r := ts.do(t, authForwarded(a, u.Email, testPassword))
		if r.status != 429 || r.code() != "too_many_attempts" {
			t.Fatalf("4th attempt from one address = %d %s, want 429", r.status, r.body)
		}
		authRetryAfter(t, r)
		if r := ts.do(t, authForwarded(b, u.Email, "a wrong password")); r.status != 401 || r.code() != "invalid_credentials" {
			t.Fatalf("other address, wrong password = %d %s, want 401", r.status, r.body)
		}
		if r := ts.do(t, authForwarded(b, u.Email, testPassword)); r.status != 200 {
			t.Fatalf("other address, right password = %d %s, want 200", r.status, r.body)
		}
		// The first address stays limited however requests from others
		// interleave with its own.
		if r := ts.do(t, authForwarded(a, u.Email, testPassword)); r.status != 429 {
			t.Fatalf("5th attempt from %s after others' requests = %d %s, want 429", a, r.status, r.body)
		}
	})

	t.Run("PerAddressLimitHoldsAcrossConnections", func(t *testing.T) {
		// A proxy sends many clients' requests over each of its connections.
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.IPAttempts, o.Throttle.IPWindow = 3, time.Hour
		}})
		second := *ts // the same server through a connection of its own
		second.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
		t.Cleanup(second.client.CloseIdleConnections)
		u := ts.user(t, authEmail("conns"))
		const a, c = "198.51.100.17", "198.51.100.19" // same length
		for i := range 3 {
			if r := ts.do(t, authForwarded(a, u.Email, testPassword)); r.status != 200 {
				t.Fatalf("attempt %d from %s = %d %s, want 200", i+1, a, r.status, r.body)
			}
		}
		if r := ts.do(t, authForwarded(c, u.Email, testPassword)); r.status != 200 {
			t.Fatalf("first attempt from %s = %d %s, want 200", c, r.status, r.body)
		}
		if r := second.do(t, authForwarded(a, u.Email, testPassword)); r.status != 429 {
			t.Fatalf("4th attempt from %s, over another connection = %d %s, want 429", a, r.status, r.body)
		}
	})

	t.Run("PerAddressLimitIsNotResetByRotatingSpoofedForwardedFor", func(t *testing.T) {
		// Behind a proxy that appends the peer's address, the client
		// controls everything left of the last entry; the address to count
		// is the one the trusted proxy appended.
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.IPAttempts, o.Throttle.IPWindow = 3, time.Hour
		}})
		u := ts.user(t, authEmail("spoof"))
		const client = "203.0.113.50"
		for i := range 3 {
			r := ts.do(t, authForwarded("10.66.0."+strconv.Itoa(i+1)+", "+client, u.Email, testPassword))
			if r.status != 200 {
				t.Fatalf("attempt %d = %d %s, want 200", i+1, r.status, r.body)
			}
		}
		r := ts.do(t, authForwarded("10.66.0.99, "+client, u.Email, testPassword))
		if r.status != 429 {
			t.Fatalf("4th attempt by %s with a new spoofed prefix = %d %s, want 429", client, r.status, r.body)
		}
	})
}
