package tenantdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// benchTenants is how many tenants the "many tenants" benchmarks start with.
const benchTenants = 1000

var (
	fleetOnce    sync.Once
	fleet        *tenanttest.Database
	fleetTenants []*tenantdb.Tenant
)

// fleetDatabase is a database holding benchTenants tenants with 25 products
// each, shared by the benchmarks of one run.
func fleetDatabase(b *testing.B) *tenanttest.Database {
	fleetOnce.Do(func() {
		start := time.Now()
		fleet, fleetTenants = tenanttest.Fleet(b, "fleet", benchTenants, 25)
		b.Logf("fleet of %d tenants ready in %s", benchTenants, time.Since(start).Round(time.Millisecond))
	})
	if fleet == nil {
		b.FailNow()
	}
	return fleet
}

// BenchmarkProvision measures provisioning one tenant (registry row, schema,
// role, grants, tables, all in one transaction), into an empty database and
// into one that already holds benchTenants tenants: as it runs in production,
// claiming a spare schema prepared beforehand (FillSpares, outside the
// timing), and, for comparison, with no spare (the tables made by DDL).
func BenchmarkProvision(b *testing.B) {
	for _, bc := range []struct {
		name   string
		db     func(b *testing.B) *tenanttest.Database
		spares bool
	}{
		{"tenants=0", func(b *testing.B) *tenanttest.Database { return tenanttest.NewDatabase(b) }, true},
		{fmt.Sprintf("tenants=%d", benchTenants), fleetDatabase, true},
		{"no-spare,tenants=0", func(b *testing.B) *tenanttest.Database { return tenanttest.NewDatabase(b) }, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			db := tenanttest.OpenDatabase(b, bc.db(b))
			ctx := context.Background()
			var times []time.Duration
			b.ResetTimer()
			for i := range b.N {
				if bc.spares {
					b.StopTimer()
					if _, err := db.FillSpares(ctx, 1); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				slug := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano()%1e9, i)
				start := time.Now()
				if _, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "bench"}); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
		})
	}
}

// BenchmarkMigrateAll measures `bazaar migrate` over benchTenants tenants:
// a run with nothing to do, and a run that adds one column everywhere.
func BenchmarkMigrateAll(b *testing.B) {
	d := fleetDatabase(b)
	ctx := context.Background()
	b.Run("noop", func(b *testing.B) {
		db := tenanttest.OpenDatabase(b, d)
		if _, err := db.MigrateAll(ctx, nil); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			sum, err := db.MigrateAll(ctx, nil)
			if err != nil || sum.Migrated != 0 {
				b.Fatalf("%+v %v", sum, err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	})
	src := tenant.Migrations
	added := 0 // across the runs the benchmark framework makes
	b.Run("add-column", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			added++
			src = withMigration(b, src, fmt.Sprintf("2999%010d_bench_%d.sql", added, added),
				fmt.Sprintf("ALTER TABLE \"products\" ADD COLUMN \"bench_%d\" text NULL;\n", added))
			db := tenanttest.OpenDatabase(b, d, func(o *tenantdb.Options) { o.TenantMigrations = src })
			b.StartTimer()
			sum, err := db.MigrateAll(ctx, nil)
			if err != nil || sum.Migrated < benchTenants {
				b.Fatalf("%+v %v", sum, err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	})
}

// BenchmarkBind isolates the database side of the wall: listing 20 products
// of a random tenant among benchTenants with ent, over a pool of 8, from 32
// goroutines —
//
//   - unbound: schema-qualified, no transaction (the baseline);
//   - tx-only: schema-qualified inside BEGIN/COMMIT, no binding: the part of
//     the cost that is the transaction itself;
//   - bound: tenantdb's bound transaction (BEGIN, the SET LOCALs of
//     search_path and role, the query, COMMIT).
func BenchmarkBind(b *testing.B) {
	d := fleetDatabase(b)
	db := tenanttest.OpenDatabase(b, d, func(o *tenantdb.Options) {
		o.MaxOpenConns, o.MaxIdleConns = 8, 8
		o.AllowUnbound = true // the baseline
	})
	ctx := context.Background()
	tenants, err := db.Tenants(ctx)
	if err != nil {
		b.Fatal(err)
	}
	list := func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		ps, err := c.Product.Query().Limit(20).All(ctx)
		if err == nil && len(ps) != 20 {
			return fmt.Errorf("%d products", len(ps))
		}
		return err
	}
	pool := tenantdb.Pool(db)
	variants := []struct {
		name string
		run  func(t *tenantdb.Tenant) error
	}{
		{"unbound", func(t *tenantdb.Tenant) error {
			ctx, err := db.Unbound(ctx, t)
			if err != nil {
				return err
			}
			return list(ctx)
		}},
		{"tx-only", func(t *tenantdb.Tenant) error {
			tx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				return err
			}
			defer tx.Rollback() //nolint:errcheck
			rows, err := tx.QueryContext(ctx, `SELECT id, sku, title, price_cents, currency, created_at, updated_at FROM "`+t.Schema+`".products LIMIT 20`)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			rows.Close()
			return tx.Commit()
		}},
		{"bound", func(t *tenantdb.Tenant) error { return db.ReadTx(ctx, t, list) }},
	}
	// Warm every backend's catalogue cache for every tenant first.
	for range 8 {
		for _, t := range tenants {
			if err := variants[0].run(t); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := v.run(tenants[rand.IntN(len(tenants))]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}
