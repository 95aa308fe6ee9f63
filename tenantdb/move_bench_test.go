package tenantdb_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// BenchmarkMove moves one shop of 10,000 products and 50,000 staged rows
// between the two clusters and back, b.N round trips, while 4 clients keep
// writing to it (each write a product; refused writes are retried), and
// reports the whole move's time and how long its writes were refused —
// the freeze, which copies again the tables written meanwhile (products,
// 10,000+ rows, at every move).
func BenchmarkMove(b *testing.B) {
	d := tenanttest.NewDatabase(b)
	o := tenanttest.SecondCluster(b, d)
	ctx := context.Background()
	db, err := tenantdb.Open(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigratePlatform(ctx); err != nil {
		b.Fatal(err)
	}
	tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: "mover", Name: "Mover"})
	if err != nil {
		b.Fatal(err)
	}
	benchShop(b, db, tn)
	if _, err := db.FillSpares(ctx, 2); err != nil {
		b.Fatal(err)
	}
	var (
		stop   atomic.Bool
		wg     sync.WaitGroup
		writes atomic.Int64
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				cur, err := db.TenantBySlug(ctx, tn.Slug)
				if err == nil {
					err = db.Tx(ctx, cur, func(ctx context.Context) error {
						tx, err := tenantdb.SQLTx(ctx)
						if err != nil {
							return err
						}
						_, err = tx.ExecContext(ctx, `INSERT INTO products (sku, title, price_cents, created_at, updated_at) VALUES ($1, '{}', 1, now(), now())`,
							fmt.Sprintf("W%d-%d", w, i))
						return err
					})
				}
				if err == nil {
					writes.Add(1)
				} else if !tenantdb.ReadOnly(err) {
					b.Error(err)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	defer func() { stop.Store(true); wg.Wait() }()
	var frozen, total []time.Duration
	b.ResetTimer()
	for range b.N {
		for _, to := range []string{tenanttest.SecondClusterName, "main"} {
			res, err := db.Move(ctx, tn.Slug, tenantdb.MoveOptions{To: to, Grace: 100 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			frozen = append(frozen, res.Frozen)
			total = append(total, res.Total-100*time.Millisecond) // the grace is a wait, not work
			b.Logf("to %s: %d rows, copy %s, frozen %s (recopied %v), total %s",
				to, res.Rows, res.Copied.Round(time.Millisecond), res.Frozen.Round(time.Millisecond), res.Recopied, res.Total.Round(time.Millisecond))
		}
	}
	b.StopTimer()
	slices.Sort(frozen)
	slices.Sort(total)
	b.ReportMetric(float64(frozen[len(frozen)/2].Milliseconds()), "frozen-p50-ms")
	b.ReportMetric(float64(frozen[len(frozen)-1].Milliseconds()), "frozen-max-ms")
	b.ReportMetric(total[len(total)/2].Seconds(), "move-p50-s")
	b.ReportMetric(float64(writes.Load()), "writes")
}
