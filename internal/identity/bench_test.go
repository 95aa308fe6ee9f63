package identity_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// productionKDF are config/defaults.yaml's argon2id parameters.
var productionKDF = identity.KDF{Time: 2, MemoryKiB: 19456, Threads: 1, Concurrency: 4}

const (
	benchEmail    = "shopper@identity-bench.test"
	benchPassword = "correct horse battery staple"
)

// benchService is an identity service with production-shaped options on a
// database of the benchmark's own (dropped when it ends), and one user. The
// per-address throttle is lifted: every login comes from one address.
func benchService(b *testing.B) (*tenantdb.DB, *identity.Service) {
	b.Helper()
	db := tenanttest.OpenDatabase(b, tenanttest.NewDatabase(b))
	s, err := identity.New(db, identity.Options{
		Issuer: "bazaar-bench", Keys: []identity.Key{{ID: "bench", Secret: []byte("benchmark-signing-key-0123456789-bench")}},
		AccessTTL: 15 * time.Minute, RefreshTTL: 336 * time.Hour, SessionTTL: 720 * time.Hour, ResetTTL: time.Hour,
		KDF: productionKDF,
		Throttle: identity.ThrottleOptions{
			IPAttempts: 1 << 30, IPWindow: time.Minute,
			AccountFailures: 5, AccountWindow: 15 * time.Minute, BackoffBase: time.Second, BackoffMax: 15 * time.Minute,
		},
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateUser(context.Background(), identity.NewUser{Email: benchEmail, Password: benchPassword}); err != nil {
		b.Fatal(err)
	}
	return db, s
}

// BenchmarkLogin measures sign-ins of one user with the right password and
// the production argon2id parameters, from 4×GOMAXPROCS goroutines — more
// than the KDF's Concurrency, as in a burst: logins/s, and p50-ms of one
// login including its wait for a hashing slot.
func BenchmarkLogin(b *testing.B) {
	_, s := benchService(b)
	b.Run("parallel", func(b *testing.B) {
		var mu sync.Mutex
		var times []time.Duration
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			var mine []time.Duration
			for pb.Next() {
				start := time.Now()
				_, tok, err := s.Login(ctx, benchEmail, benchPassword, identity.Meta{IP: "192.0.2.1", UserAgent: "bench"})
				mine = append(mine, time.Since(start))
				if err != nil || tok.AccessToken == "" {
					b.Errorf("login: %v", err)
					return
				}
			}
			mu.Lock()
			times = append(times, mine...)
			mu.Unlock()
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		if len(times) > 0 {
			b.ReportMetric(float64(percentile(times, 50).Microseconds())/1e3, "p50-ms")
		}
	})
}

// BenchmarkKDF measures one argon2id hash with the production parameters, on
// one goroutine: the CPU a sign-in costs.
func BenchmarkKDF(b *testing.B) {
	h, err := identity.NewHasher(productionKDF)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := h.Hash(context.Background(), benchPassword); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/hash")
}

// BenchmarkAuthenticate measures the per-request check of an access token on
// a vendor host (the token verified, then session, user and the vendor's
// policy version read in one query), one request at a time: p50-us, p99-us.
func BenchmarkAuthenticate(b *testing.B) {
	db, s := benchService(b)
	ctx := context.Background()
	t := tenanttest.Tenant(b, db, "authn")
	// A policy version other than the default, so reading it is checked.
	if err := db.Platform().Vendor.UpdateOneID(t.ID).SetPolicyVersion(7).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	_, tok, err := s.Login(ctx, benchEmail, benchPassword, identity.Meta{IP: "192.0.2.1"})
	if err != nil {
		b.Fatal(err)
	}
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		p, err := s.Authenticate(ctx, tok.AccessToken, t.ID)
		times = append(times, time.Since(start))
		if err != nil || p.SessionID != tok.SessionID || p.PolicyVersion != 7 {
			b.Fatalf("authenticate: %+v, %v", p, err)
		}
	}
	b.ReportMetric(float64(percentile(times, 50).Nanoseconds())/1e3, "p50-us")
	b.ReportMetric(float64(percentile(times, 99).Nanoseconds())/1e3, "p99-us")
}

// percentile returns the q-th percentile of ds (sorting ds).
func percentile(ds []time.Duration, q int) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)*q/100, len(ds)-1)]
}
