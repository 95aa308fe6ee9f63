package web

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// BenchmarkHotSKU races 100 buyers for one product: one shop, one product
// with hotStock units, and each buyer, over loopback HTTP, puts one unit in
// a new cart and checks out, again and again, until the shop refuses (the
// cart or the checkout: out of stock). A refusal can only mean the stock is
// gone (it never grows during the race), so every unit must be sold, and
// none twice. Each iteration races for a new product. The server's pool
// has the production default of 40 connections, so 40 checkouts at a time
// queue on the product's row lock and the rest for a connection.
//
// It reports orders/s over the race (wall time from the start to the last
// refusal; each order's time includes its cart, filled in the race as a
// shopper would), the checkout request's p50 and p99 under that contention,
// and oversold: the orders the database holds for the product beyond its
// stock. A correctness violation — an order too many or too few, the stock
// not 0 at the end or seen below 0 during the race (a watcher reads it every
// millisecond), an order number missing or repeated — fails the benchmark.
func BenchmarkHotSKU(b *testing.B) {
	const (
		buyers   = 100
		hotStock = 300
		pool     = 40 // config/defaults.yaml database.max_open_conns
	)
	ctx := context.Background()
	db := tenanttest.Open(b, func(o *tenantdb.Options) { o.MaxOpenConns, o.MaxIdleConns = pool, pool })
	raw := tenanttest.SQL(b, tenanttest.PackageDatabase(b))
	ts := start(b, db, setup{opts: sellOptions()})
	shop := tenanttest.Tenant(b, db, "hot")
	host := hostOf(shop)
	schema := pq.QuoteIdentifier(shop.Schema)
	hc := &shopClient{hc: &fasthttp.HostClient{Addr: ts.addr, MaxConns: buyers}}

	var (
		orders, round int
		elapsed       time.Duration
		oversold      int64
		checkouts     []time.Duration
	)
	for b.Loop() {
		round++
		product := sell(b, db, shop, sale{sku: fmt.Sprintf("HOT-%d", round), price: 1999, vat: ptr(1700), stock: ptr(hotStock)})
		var before int64
		if err := raw.QueryRowContext(ctx, `SELECT "last" FROM `+schema+`."order_counters" WHERE "name" = 'order'`).Scan(&before); err != nil {
			b.Fatal(err)
		}
		// The watcher: the stock as committed, every millisecond.
		stop := make(chan struct{})
		var lowest atomic.Int64
		lowest.Store(hotStock)
		watched := make(chan error, 1)
		go func() {
			var err error
			for err == nil {
				select {
				case <-stop:
					watched <- nil
					return
				case <-time.After(time.Millisecond):
				}
				var s int64
				if err = raw.QueryRowContext(ctx, `SELECT "stock" FROM `+schema+`."products" WHERE "id" = $1`, product).Scan(&s); err == nil && s < lowest.Load() {
					lowest.Store(s)
				}
			}
			watched <- err
		}()

		var won atomic.Int64
		var mu sync.Mutex
		var wg sync.WaitGroup
		line := fmt.Appendf(nil, `{"product_id":%d,"quantity":1}`, product)
		began := time.Now()
		for i := range buyers {
			wg.Go(func() {
				body := checkoutJSON(orderSpec{email: fmt.Sprintf("hot-%d-%d@example.lu", round, i), pickup: i%2 == 0})
				var mine []time.Duration
				defer func() {
					mu.Lock()
					checkouts = append(checkouts, mine...)
					mu.Unlock()
				}()
				for !b.Failed() {
					st, rb, cart, err := hc.send("POST", host, "/api/v1/shop/cart/lines", "", line)
					switch {
					case err != nil:
						b.Error(err)
						return
					case st == 409 && errorCode(string(rb)) == "insufficient_stock":
						return // sold out
					case st != 200 || cart == "":
						b.Errorf("buyer %d, cart: %d %s", i, st, rb)
						return
					}
					s := time.Now()
					st, rb, _, err = hc.send("POST", host, "/api/v1/shop/checkout", cart, body)
					mine = append(mine, time.Since(s))
					switch code := errorCode(string(rb)); {
					case err != nil:
						b.Error(err)
						return
					case st == 201:
						won.Add(1)
					case st == 409 && (code == "insufficient_stock" || code == "cart_unavailable"):
						return // sold out
					default:
						b.Errorf("buyer %d, checkout: %d %s", i, st, rb)
						return
					}
				}
			})
		}
		wg.Wait()
		took := time.Since(began)
		close(stop)
		if err := <-watched; err != nil {
			b.Fatal(err)
		}
		if b.Failed() {
			return
		}

		// What the database holds: the orders of the product, its stock,
		// and the order numbers the race took.
		var placed, units, after, distinct, low, high int64
		var stock *int64
		if err := raw.QueryRowContext(ctx, `SELECT count(DISTINCT l."order_id"), coalesce(sum(l."quantity"), 0),
			count(DISTINCT o."number"), coalesce(min(o."number"), 0), coalesce(max(o."number"), 0)
			FROM `+schema+`."order_lines" l JOIN `+schema+`."orders" o ON o."id" = l."order_id" WHERE l."product_id" = $1`, product).
			Scan(&placed, &units, &distinct, &low, &high); err != nil {
			b.Fatal(err)
		}
		if err := raw.QueryRowContext(ctx, `SELECT "stock" FROM `+schema+`."products" WHERE "id" = $1`, product).Scan(&stock); err != nil {
			b.Fatal(err)
		}
		if err := raw.QueryRowContext(ctx, `SELECT "last" FROM `+schema+`."order_counters" WHERE "name" = 'order'`).Scan(&after); err != nil {
			b.Fatal(err)
		}
		oversold += units - hotStock
		switch {
		case units > hotStock:
			b.Fatalf("oversold: %d units in %d orders for a stock of %d", units, placed, hotStock)
		case lowest.Load() < 0 || stock == nil || *stock < 0:
			b.Fatalf("stock below zero: lowest seen %d, now %v", lowest.Load(), stock)
		case units < hotStock || *stock != 0:
			b.Fatalf("undersold: %d units in %d orders, stock left %d, yet every buyer was refused", units, placed, *stock)
		case won.Load() != placed:
			b.Fatalf("%d checkouts answered 201, %d orders in the database", won.Load(), placed)
		case distinct != placed || low != before+1 || high != before+placed || after != high:
			b.Fatalf("order numbers %d..%d (%d distinct) for %d orders after number %d; the counter says %d", low, high, distinct, placed, before, after)
		}
		orders += int(placed)
		elapsed += took
	}
	b.ReportMetric(float64(orders)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(float64(oversold), "oversold")
	b.ReportMetric(quantileMs(checkouts, 0.50), "checkout-p50-ms")
	b.ReportMetric(quantileMs(checkouts, 0.99), "checkout-p99-ms")
}
