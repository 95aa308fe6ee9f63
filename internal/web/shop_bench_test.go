package web

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// BenchmarkShopLatency measures what shoppers wait for on 1,000 shops with
// 32 clients at once over loopback HTTP, each request for a random shop: a
// mix of browsing — the product list (GET /api/v1/shop/products?limit=20,
// 35%) and the shop's home page rendered on the server (GET /, its 8
// newest products, 15%) — and cart requests — the cart priced now (GET
// /api/v1/shop/cart with the cart cookie, 30%) and a product put in it
// (POST /api/v1/shop/cart/lines, 20%: half in a cart the client already
// holds, half in a shop where it may hold none, which makes a cart). It
// reports each kind's p50 and p99 in milliseconds and the requests per
// second of the whole mix. The server is BenchmarkCheckout's (sellEnv),
// its pool of sellPool connections.
func BenchmarkShopLatency(b *testing.B) {
	const (
		clients = 32
		period  = 20 * time.Second
	)
	e := newSellEnv(b)
	hc := e.client(clients)
	kinds := []string{"products", "home", "cart", "add"}
	weights := []int{35, 15, 30, 20}
	times := make([][]time.Duration, len(kinds))
	var mu sync.Mutex
	total := 0
	var elapsed time.Duration
	for b.Loop() {
		deadline := time.Now().Add(period)
		start := time.Now()
		var wg sync.WaitGroup
		for w := range clients {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
				mine := map[int]string{} // shop → the cart cookie this client holds there
				var held []int
				local := make([][]time.Duration, len(kinds))
				for time.Now().Before(deadline) && !b.Failed() {
					k, roll := 0, rng.IntN(100)
					for roll >= weights[k] {
						roll -= weights[k]
						k++
					}
					if kinds[k] == "cart" && len(held) == 0 {
						k = 3 // nothing to look at yet: put something in
					}
					shop := rng.IntN(len(e.tenants))
					var method, path, cart string
					var body []byte
					switch kinds[k] {
					case "products":
						method, path = "GET", "/api/v1/shop/products?limit=20"
					case "home":
						method, path = "GET", "/"
					case "cart":
						shop = held[rng.IntN(len(held))]
						method, path, cart = "GET", "/api/v1/shop/cart", mine[shop]
					case "add":
						if len(held) > 0 && rng.IntN(2) == 0 {
							shop = held[rng.IntN(len(held))]
						}
						p := e.products[shop][rng.IntN(len(e.products[shop]))]
						method, path, cart = "POST", "/api/v1/shop/cart/lines", mine[shop]
						body = fmt.Appendf(nil, `{"product_id":%d,"quantity":1}`, p.id)
					}
					s := time.Now()
					st, rb, set, err := hc.send(method, hostOf(e.tenants[shop]), path, cart, body)
					d := time.Since(s)
					if err != nil || st != 200 || len(rb) < 20 {
						b.Errorf("%s %s on %s: %d %s %v", method, path, e.tenants[shop].Slug, st, rb, err)
						return
					}
					if set != "" {
						if _, ok := mine[shop]; !ok {
							held = append(held, shop)
						}
						mine[shop] = set
					}
					local[k] = append(local[k], d)
				}
				mu.Lock()
				defer mu.Unlock()
				for k := range kinds {
					times[k] = append(times[k], local[k]...)
					total += len(local[k])
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
	}
	if b.Failed() {
		return
	}
	for k, name := range kinds {
		b.ReportMetric(quantileMs(times[k], 0.50), name+"-p50-ms")
		b.ReportMetric(quantileMs(times[k], 0.99), name+"-p99-ms")
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "req/s")
}
