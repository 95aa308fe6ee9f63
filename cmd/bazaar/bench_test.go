package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// BenchmarkServeStart measures `bazaar serve` from the call until the server
// answers a shop request, with 1,000 tenants in the database. Nothing is
// loaded per tenant at start (tenants are resolved on first request), so the
// count should not matter.
func BenchmarkServeStart(b *testing.B) {
	d, tenants := tenanttest.Fleet(b, "start", 1000, 1)
	b.Setenv("BAZAAR_ENV", "development")
	b.Setenv("BAZAAR_DATABASE_URL", d.URL)
	b.Setenv("BAZAAR_DATABASE_ROLE_PREFIX", d.RolePrefix)
	b.Setenv("BAZAAR_LOG_LEVEL", "error")
	// As a deployment would have: the job queue's tables and the spares.
	if err := run(context.Background(), []string{"migrate"}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		b.Fatal(err)
	}
	shop := tenants[len(tenants)/2].Slug + ".localhost"
	var times []time.Duration
	b.ResetTimer()
	for range b.N {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		b.Setenv("BAZAAR_HTTP_ADDR", addr)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- run(ctx, []string{"serve"}, &bytes.Buffer{}, &bytes.Buffer{}) }()
		for {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/shop/products", nil)
			req.Host = shop
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		times = append(times, time.Since(start))
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}
