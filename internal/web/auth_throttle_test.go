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
// trusted proxy) that must answer wantStatus (and wantCode).
func authForwarded(name, ip, email, password string, wantStatus int, wantCode string) scenario {
	return scenario{name: name, method: "POST", path: authLogin, body: authLoginBody(email, password, true),
		header: map[string]string{"X-Forwarded-For": ip}, wantStatus: wantStatus, wantCode: wantCode}
}

// authThrottled is authForwarded refused by the throttle, saying when to come back.
func authThrottled(name, ip, email, password string) scenario {
	s := authForwarded(name, ip, email, password, http.StatusTooManyRequests, "too_many_attempts")
	s.check = func(t testing.TB, r *resp) { authRetryAfter(t, r) }
	return s
}

func authRetryAfter(t testing.TB, r *resp) int {
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
		sc := ts.scenarios(base, nil)
		x := ts.user(t, authEmail("target"))
		y := ts.user(t, authEmail("bystander"))
		// Every answer is checked, and the subtests below still run when one
		// is wrong, so a report shows the whole picture.
		var attempts []scenario
		for i := range 100 {
			name, ip, password := fmt.Sprintf("wrong password, attempt %d from a fresh address", i+1), fmt.Sprintf("10.%d.%d.1", i/250, i%250), "wrong password number "+strconv.Itoa(i)
			if i < 5 {
				attempts = append(attempts, authForwarded(name, ip, x.Email, password, http.StatusUnauthorized, "invalid_credentials"))
				continue
			}
			s := authThrottled(name, ip, x.Email, password)
			s.check = func(t testing.TB, r *resp) {
				if n := authRetryAfter(t, r); n > 3600 {
					t.Errorf("Retry-After %d beyond backoff_max", n)
				}
			}
			attempts = append(attempts, s)
		}
		sc.run(t, false, attempts)
		sc.run(t, false, []scenario{
			authThrottled("RightPasswordIsStillThrottled", "192.0.2.1", x.Email, testPassword),
			authForwarded("OtherAccountSignsIn", "10.0.0.1", y.Email, testPassword, http.StatusOK, ""),
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
		var attempts []scenario
		for i := range 7 {
			name, ip := fmt.Sprintf("attempt %d on an unknown email", i+1), fmt.Sprintf("10.9.%d.1", i)
			if i < 5 {
				attempts = append(attempts, authForwarded(name, ip, ghost, "whatever password", http.StatusUnauthorized, "invalid_credentials"))
			} else {
				attempts = append(attempts, authForwarded(name, ip, ghost, "whatever password", http.StatusTooManyRequests, "too_many_attempts"))
			}
		}
		ts.scenarios(base, nil).run(t, false, attempts)
	})

	t.Run("PerAddressLimit", func(t *testing.T) {
		ts := start(t, db, setup{opts: opts, identity: func(o *identity.Options) {
			o.Throttle.IPAttempts, o.Throttle.IPWindow = 3, time.Hour
		}})
		u := ts.user(t, authEmail("perip"))
		const a, b = "198.51.100.7", "198.51.100.8"
		sc := ts.scenarios(base, nil)
		for i := range 3 {
			sc.send(t, authForwarded(fmt.Sprintf("attempt %d from %s", i+1, a), a, u.Email, testPassword, http.StatusOK, ""))
		}
		sc.send(t, authThrottled("4th attempt from one address", a, u.Email, testPassword))
		sc.send(t, authForwarded("other address, wrong password", b, u.Email, "a wrong password", http.StatusUnauthorized, "invalid_credentials"))
		sc.send(t, authForwarded("other address, right password", b, u.Email, testPassword, http.StatusOK, ""))
		// The first address stays limited however requests from others
		// interleave with its own.
		sc.send(t, authForwarded("5th attempt from "+a+" after others' requests", a, u.Email, testPassword, http.StatusTooManyRequests, ""))
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
		sc := ts.scenarios(base, nil)
		for i := range 3 {
			sc.send(t, authForwarded(fmt.Sprintf("attempt %d from %s", i+1, a), a, u.Email, testPassword, http.StatusOK, ""))
		}
		sc.send(t, authForwarded("first attempt from "+c, c, u.Email, testPassword, http.StatusOK, ""))
		second.scenarios(base, nil).send(t, authForwarded("4th attempt from "+a+", over another connection", a, u.Email, testPassword, http.StatusTooManyRequests, ""))
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
		sc := ts.scenarios(base, nil)
		for i := range 3 {
			sc.send(t, authForwarded(fmt.Sprintf("attempt %d", i+1), "10.66.0."+strconv.Itoa(i+1)+", "+client, u.Email, testPassword, http.StatusOK, ""))
		}
		sc.send(t, authForwarded("4th attempt by "+client+" with a new spoofed prefix", "10.66.0.99, "+client, u.Email, testPassword, http.StatusTooManyRequests, ""))
	})
}
