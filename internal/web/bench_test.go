package web

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

const benchTenants = 1000

var (
	benchOnce    sync.Once
	benchDB      *tenanttest.Database
	benchTenantz []*tenantdb.Tenant
)

// benchFleet is a database of benchTenants tenants with 25 products each.
func benchFleet(b *testing.B) (*tenanttest.Database, []*tenantdb.Tenant) {
	benchOnce.Do(func() {
		start := time.Now()
		benchDB, benchTenantz = tenanttest.Fleet(b, "bench", benchTenants, 25)
		b.Logf("fleet of %d tenants ready in %s", benchTenants, time.Since(start).Round(time.Millisecond))
	})
	if benchDB == nil {
		b.FailNow()
	}
	return benchDB, benchTenantz
}

// BenchmarkListProducts measures the price of the wall. Both variants run the
// same handler (catalog.ListProducts: 20 products as JSON) over loopback HTTP
// for a random tenant among benchTenants, 32 clients at once:
//
//   - bound: the production route, in a read-only transaction bound to the
//     tenant's schema and role (BEGIN and the SET LOCALs in one round trip,
//     the query, COMMIT);
//   - unbound: the baseline, a client reading the tenant's schema-qualified
//     tables directly, with no transaction and no role.
//
// Every connection first sees every tenant (a backend's first touch of a
// schema loads its catalogue entries, which would otherwise dominate), then
// the two variants alternate in rounds so drift hits both alike. It reports
// each variant's requests per second and bound/unbound.
func BenchmarkListProducts(b *testing.B) {
	const (
		clients = 32
		pool    = 8
		rounds  = 8
		round   = 3 * time.Second
	)
	d, tenants := benchFleet(b)
	db := tenanttest.OpenDatabase(b, d, func(o *tenantdb.Options) {
		o.MaxOpenConns, o.MaxIdleConns = pool, pool
		o.AllowUnbound = true // the baseline
	})
	shop := &catalogHandlers{catalog: catalog.New()} // the bound route's handler, on the baseline's context
	ts := startServer(b, db, defaultOptions(), func(s *server, vendor fiber.Router) {
		vendor.Get("/bench/unbound/products", func(c *fiber.Ctx) error {
			ctx, err := db.Unbound(c.UserContext(), siteOf(c).Tenant)
			if err != nil {
				return err
			}
			c.SetUserContext(ctx)
			return c.Next()
		}, shop.shopProducts)
	})
	client := &fasthttp.HostClient{Addr: ts.addr, MaxConns: clients}
	paths := map[string]string{
		"bound":   "/api/v1/shop/products?limit=20",
		"unbound": "/bench/unbound/products?limit=20",
	}
	// drive sends requests from `clients` goroutines until stop, each for
	// the next tenant of its sequence, and returns how many completed.
	drive := func(path string, next func(worker int) *tenantdb.Tenant, stop func(done int64) bool) int64 {
		var done atomic.Int64
		var wg sync.WaitGroup
		for w := range clients {
			wg.Go(func() {
				req := fasthttp.AcquireRequest()
				resp := fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				req.SetRequestURI("http://bazaar" + path)
				for !stop(done.Load()) {
					req.SetHost(next(w).Slug + "." + base)
					if err := client.Do(req, resp); err != nil {
						b.Error(err)
						return
					}
					if resp.StatusCode() != 200 || len(resp.Body()) < 1000 {
						b.Errorf("%d %s", resp.StatusCode(), resp.Body())
						return
					}
					done.Add(1)
				}
			})
		}
		wg.Wait()
		return done.Load()
	}
	random := func(int) *tenantdb.Tenant { return tenants[rand.IntN(len(tenants))] }

	// Warm-up: every tenant, through both paths, many times over, so each
	// pooled backend has loaded every tenant's catalogue entries.
	for _, path := range paths {
		var seq [clients]int
		drive(path, func(w int) *tenantdb.Tenant {
			seq[w]++
			return tenants[(w*len(tenants)/clients+seq[w])%len(tenants)]
		}, func(done int64) bool { return done >= int64(4*pool*len(tenants)) })
	}

	count := map[string]int64{}
	elapsed := map[string]time.Duration{}
	var ratios []float64
	b.ResetTimer()
	for r := range rounds {
		order := []string{"bound", "unbound"}
		if r%2 == 1 {
			order = []string{"unbound", "bound"}
		}
		rate := map[string]float64{}
		for _, v := range order {
			start := time.Now()
			deadline := start.Add(round)
			n := drive(paths[v], random, func(int64) bool { return time.Now().After(deadline) })
			took := time.Since(start)
			count[v] += n
			elapsed[v] += took
			rate[v] = float64(n) / took.Seconds()
		}
		ratios = append(ratios, rate["bound"]/rate["unbound"])
	}
	b.StopTimer()
	slices.Sort(ratios)
	bound := float64(count["bound"]) / elapsed["bound"].Seconds()
	unbound := float64(count["unbound"]) / elapsed["unbound"].Seconds()
	b.ReportMetric(bound, "bound-req/s")
	b.ReportMetric(unbound, "unbound-req/s")
	b.ReportMetric(bound/unbound, "bound/unbound")
	b.ReportMetric((ratios[len(ratios)/2-1]+ratios[len(ratios)/2])/2, "median-round-ratio")
}
