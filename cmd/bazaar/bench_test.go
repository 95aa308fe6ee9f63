package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// fleetEnv points the bazaar command at a fleet's database, as a
// development deployment, quiet.
func fleetEnv(b *testing.B, d *tenanttest.Database) {
	b.Setenv("BAZAAR_ENV", "development")
	b.Setenv("BAZAAR_DATABASE_URL", d.URL)
	b.Setenv("BAZAAR_DATABASE_ROLE_PREFIX", d.RolePrefix)
	b.Setenv("BAZAAR_LOG_LEVEL", "error")
}

// BenchmarkServeStart measures `bazaar serve` from the call until the server
// answers a shop request, with 1,000 tenants in the database. Nothing is
// loaded per tenant at start (tenants are resolved on first request), so the
// count should not matter.
func BenchmarkServeStart(b *testing.B) {
	d, tenants := tenanttest.Fleet(b, "start", 1000, 1)
	fleetEnv(b, d)
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

// BenchmarkBulkOnboard measures `bazaar vendors import` of a bulk CSV of
// 100 and of 1,000 new vendors, each with a feed and an Owner invited by
// mail: the whole run (check, record, provision, feed, invitation queued),
// per vendor. Each size starts from a fresh database at its defaults (two
// spare schemas ready).
func BenchmarkBulkOnboard(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("vendors=%d", n), func(b *testing.B) {
			var total time.Duration
			for range b.N {
				b.StopTimer()
				d := tenanttest.NewDatabase(b)
				b.Setenv("BAZAAR_ENV", "development")
				b.Setenv("BAZAAR_DATABASE_URL", d.URL)
				b.Setenv("BAZAAR_DATABASE_ROLE_PREFIX", d.RolePrefix)
				b.Setenv("BAZAAR_LOG_LEVEL", "error")
				if err := run(context.Background(), []string{"migrate"}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
					b.Fatal(err)
				}
				var csv strings.Builder
				csv.WriteString("vendor_name,subdomain,owner_name,owner_email,owner_phone,business_address,business_city,business_postal_code,business_country,letzshop_csv_url,initial_password\n")
				for i := range n {
					fmt.Fprintf(&csv, "Bench Shop %d,bench-%04d,Owner %d,owner%d@bench.test,+352 000,1 rue du Banc,Luxembourg,L-1111,LU,https://letzshop.example/bench/%d.csv,\n", i, i, i, i, i)
				}
				file := filepath.Join(b.TempDir(), "vendors.csv")
				if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
					b.Fatal(err)
				}
				var out bytes.Buffer
				b.StartTimer()
				start := time.Now()
				if err := run(context.Background(), []string{"vendors", "import", file}, &out, &out); err != nil {
					b.Fatalf("%v\n%s", err, out.String())
				}
				total += time.Since(start)
				b.StopTimer()
				if !strings.Contains(out.String(), fmt.Sprintf("%d created, 0 unchanged, 0 failed", n)) {
					b.Fatalf("import: %s", out.String())
				}
			}
			per := total / time.Duration(b.N)
			b.ReportMetric(per.Seconds(), "s/run")
			b.ReportMetric(float64(per.Microseconds())/1000/float64(n), "ms/vendor")
		})
	}
}

// BenchmarkBackupAll measures `bazaar tenant backup --all` of 1,000 tenants
// (100 products each) with --parallel 1, 2, 4 and 8: the whole run, into an
// empty directory each time, and its speed-up over --parallel 1 measured
// in the same run.
func BenchmarkBackupAll(b *testing.B) {
	d, _ := tenanttest.Fleet(b, "bkall", 1000, 100)
	fleetEnv(b, d)
	var serial float64
	for _, p := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("parallel=%d", p), func(b *testing.B) {
			var times []time.Duration
			for i := range b.N {
				dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
				var out bytes.Buffer
				start := time.Now()
				if err := run(context.Background(), []string{"tenant", "backup", "--all", "--dir", dir, "--parallel", fmt.Sprint(p)}, &out, &bytes.Buffer{}); err != nil {
					b.Fatalf("%v\n%s", err, out.String())
				}
				times = append(times, time.Since(start))
				if !strings.Contains(out.String(), "backed up 1000 tenants") {
					b.Fatalf("summary: %s", out.String())
				}
			}
			slices.Sort(times)
			s := times[len(times)/2].Seconds()
			if p == 1 {
				serial = s
			}
			b.ReportMetric(s, "total-s")
			b.ReportMetric(1000/s, "tenants/s")
			if serial > 0 {
				b.ReportMetric(serial/s, "x-parallel-1")
			}
		})
	}
}
