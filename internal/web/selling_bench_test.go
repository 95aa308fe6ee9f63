package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// The selling benchmarks of issue 12: checkout throughput against the same
// rows written bare (checkout_bench_test.go) and the shop's latency under a
// mix of browsing and cart requests (shop_bench_test.go), both over
// loopback HTTP on benchFleet's 1,000 tenants, share what this file builds:
// the shops made ready to sell, one warm server over them, a shopper's HTTP
// client. One hot SKU (hotsku_bench_test.go) and the analytics of a year of
// orders (analytics_bench_test.go) have a shop of their own.

// sellPool is the server's pool in the fleet benchmarks, and the baseline's:
// eight backends already keep this machine's two cores busy.
const sellPool = 8

// sellShops is benchFleet made ready to sell, for BenchmarkCheckout and
// BenchmarkShopLatency (which share one server over it, sellEnv):
//
//   - every product tracks its stock (a million: no checkout runs short, and
//     each takes its stock by the conditional UPDATE a real sale makes) and
//     has one of Luxembourg's VAT rates;
//   - each shop has one cart the baseline marks ordered, as a checkout marks
//     its cart.
type sellShops struct {
	d        *tenanttest.Database
	tenants  []*tenantdb.Tenant
	products [][]benchItem   // per shop, its products in id order
	base     []*baselineShop // per shop, the baseline's statements
}

// benchItem is a fleet product as an order line snapshots it.
type benchItem struct {
	id    int
	sku   string
	title string
	price int64
	vat   int
}

var (
	sellOnce  sync.Once
	sellShopz *sellShops
)

// sellFleet makes benchFleet's shops ready to sell, once per test binary.
func sellFleet(b *testing.B) *sellShops {
	d, tenants := benchFleet(b)
	sellOnce.Do(func() {
		began := time.Now()
		raw := tenanttest.SQL(b, d)
		raw.SetMaxOpenConns(sellPool)
		e := &sellShops{d: d, tenants: tenants, products: make([][]benchItem, len(tenants)), base: make([]*baselineShop, len(tenants))}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range sellPool {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < len(tenants) && !b.Failed(); i = int(next.Add(1)) - 1 {
					if err := e.prepare(raw, i); err != nil {
						b.Errorf("%s: %v", tenants[i].Slug, err)
					}
				}
			})
		}
		wg.Wait()
		if !b.Failed() {
			sellShopz = e
			b.Logf("%d shops ready to sell in %s", len(tenants), time.Since(began).Round(time.Millisecond))
		}
	})
	if sellShopz == nil {
		b.FailNow()
	}
	return sellShopz
}

// sellEnv is a server (real services, bank transfer) over sellShops on a
// pool of sellPool connections, and for the baseline a plain pool of as
// many as the application role. Every backend of both has touched every
// shop's selling tables (warm), and the server has resolved every shop's
// host. Warming 1,000 shops' tables in every backend is most of the setup
// (a minute or more on this machine), so the server and its pools are built
// once per test binary — the baseline's pool when a benchmark first asks for
// it — and live until the process ends.
type sellEnv struct {
	*sellShops
	db       *tenantdb.DB
	ts       *testServer
	raw      *sql.DB // the baseline's pool; nil until baseline
	baseOnce sync.Once
}

var (
	envOnce sync.Once
	sellE   *sellEnv
)

// sellOptions are the test server's options but for the request timeout:
// a minute rather than 10 s, because on a machine shared with other work a
// checkpoint syncing every file of 1,000 shops (130,000 of them) can stall
// commits for tens of seconds, and a benchmark is not the place to fail on
// that (the stall still shows in its figures).
func sellOptions() Options {
	o := defaultOptions()
	o.RequestTimeout = time.Minute
	return o
}

// forever is a testing.TB whose cleanups never run: what is opened with it
// outlives the benchmark that opened it, until the process ends (when
// tenanttest.Main drops the database, ending its sessions).
type forever struct{ testing.TB }

func (forever) Cleanup(func()) {}

func newSellEnv(b *testing.B) *sellEnv {
	shops := sellFleet(b)
	envOnce.Do(func() {
		began := time.Now()
		e := &sellEnv{sellShops: shops}
		e.db = tenanttest.OpenDatabase(forever{b}, e.d, func(o *tenantdb.Options) { o.MaxOpenConns, o.MaxIdleConns = sellPool, sellPool })
		// A 5xx's cause, should one come, is logged on stderr.
		e.ts = start(forever{b}, e.db, setup{opts: sellOptions(), log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
		var conns []*sql.Conn
		for range sellPool {
			c, err := e.db.LockSession(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		e.warm(b, conns)
		hc := e.client(sellPool)
		for _, tn := range e.tenants {
			if st, body, _, err := hc.send("GET", hostOf(tn), "/api/v1/shop/cart", "", nil); err != nil || st != 200 {
				b.Fatalf("%s: %d %s %v", tn.Slug, st, body, err)
			}
		}
		b.Logf("server up, its pool warm, in %s", time.Since(began).Round(time.Millisecond))
		sellE = e
	})
	if sellE == nil {
		b.FailNow()
	}
	return sellE
}

// baseline is the baseline's pool, warm.
func (e *sellEnv) baseline(b *testing.B) *sql.DB {
	e.baseOnce.Do(func() {
		began := time.Now()
		raw := tenanttest.SQL(forever{b}, e.d)
		raw.SetMaxOpenConns(sellPool)
		raw.SetMaxIdleConns(sellPool)
		var conns []*sql.Conn
		for range sellPool {
			c, err := raw.Conn(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		e.warm(b, conns)
		b.Logf("baseline pool warm in %s", time.Since(began).Round(time.Millisecond))
		e.raw = raw
	})
	if e.raw == nil {
		b.FailNow()
	}
	return e.raw
}

// prepare gives shop i's products their stock and VAT rates, makes the
// baseline's cart and notes the products.
func (e *sellShops) prepare(raw *sql.DB, i int) error {
	ctx := context.Background()
	tn := e.tenants[i]
	s := pq.QuoteIdentifier(tn.Schema)
	if _, err := raw.ExecContext(ctx, `UPDATE `+s+`."products" SET "stock" = 1000000,
		"vat_rate_bp" = (ARRAY[1700, 1400, 800, 300])[1 + "id" % 4]`); err != nil {
		return err
	}
	var cart int
	if err := raw.QueryRowContext(ctx, `INSERT INTO `+s+`."carts" ("token_hash", "created_at", "updated_at")
		VALUES (sha256(convert_to($1, 'UTF8')), now(), now()) RETURNING "id"`, "baseline "+tn.Slug).Scan(&cart); err != nil {
		return err
	}
	rows, err := raw.QueryContext(ctx, `SELECT "id", "sku", "title"->>'en', "price_cents", "vat_rate_bp" FROM `+s+`."products" ORDER BY "id"`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var it benchItem
		if err := rows.Scan(&it.id, &it.sku, &it.title, &it.price, &it.vat); err != nil {
			return err
		}
		e.products[i] = append(e.products[i], it)
	}
	e.base[i] = newBaselineShop(tn, cart)
	return rows.Err()
}

// warm makes the backends of conns (one pool's, all held) touch every
// shop's selling tables: for every shop, each writes an order's rows and
// rolls them back (the relations, their indexes and the foreign keys'
// checks) and reads what a checkout reads besides (carts, cart lines,
// shipping methods), in one round trip (baselineShop.warm). The server's
// backends are reached the same way, as the application role through
// tenantdb's pool: a backend's caches are its own, whatever the role.
func (e *sellShops) warm(b *testing.B, conns []*sql.Conn) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for w, c := range conns {
		wg.Go(func() {
			defer c.Close()
			for j := range e.tenants { // each from its own start: the shop's counter row is locked while one warms it
				i := (j + w*len(e.tenants)/len(conns)) % len(e.tenants)
				if _, err := c.ExecContext(ctx, e.base[i].warm); err != nil {
					b.Errorf("warm %s: %v", e.tenants[i].Slug, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

// orderSpec is one order of a benchmark: a shop, its lines (distinct
// products, in id order), the shopper's e-mail and how the goods travel.
type orderSpec struct {
	shop   int
	lines  []specLine
	email  string
	pickup bool
}

type specLine struct{ item, qty int } // item: index in the shop's products

// randomOrder is an order of one to three products of shop, one to three
// of each, delivered two times in three.
func (e *sellShops) randomOrder(rng *rand.Rand, shop int, email string) orderSpec {
	items := rng.Perm(len(e.products[shop]))[:1+rng.IntN(3)]
	slices.Sort(items)
	s := orderSpec{shop: shop, email: email, pickup: rng.IntN(3) == 0}
	for _, it := range items {
		s.lines = append(s.lines, specLine{item: it, qty: 1 + rng.IntN(3)})
	}
	return s
}

// checkoutJSON is the checkout request of spec.
func checkoutJSON(spec orderSpec) []byte {
	ship := "standard"
	if spec.pickup {
		ship = "pickup"
	}
	j, _ := json.Marshal(checkoutBody(spec.email, ship, "bank_transfer"))
	return j
}

// cookie's token.
func (e *sellEnv) fillCart(hc *shopClient, s orderSpec) (string, error) {
	host := hostOf(e.tenants[s.shop])
	token := ""
	for _, l := range s.lines {
		body := fmt.Appendf(nil, `{"product_id":%d,"quantity":%d}`, e.products[s.shop][l.item].id, l.qty)
		st, rb, set, err := hc.send("POST", host, "/api/v1/shop/cart/lines", token, body)
		if err != nil {
			return "", err
		}
		if st != 200 {
			return "", fmt.Errorf("cart line in %s: %d %s", e.tenants[s.shop].Slug, st, rb)
		}
		if set != "" {
			token = set
		}
	}
	if token == "" {
		return "", fmt.Errorf("no cart cookie from %s", host)
	}
	return token, nil
}

// shopClient sends shop requests over loopback as a browser would, with
// the cart cookie it holds.
type shopClient struct{ hc *fasthttp.HostClient }

func (e *sellEnv) client(conns int) *shopClient {
	return &shopClient{hc: &fasthttp.HostClient{Addr: e.ts.addr, MaxConns: conns}}
}

// send sends a request (a JSON body when body is not nil) with the cart
// cookie when cart is not empty, and returns the status, a copy of the body
// and the cart cookie the answer set, if any.
func (c *shopClient) send(method, host, path, cart string, body []byte) (int, []byte, string, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI("http://bazaar" + path)
	req.SetHost(host)
	if cart != "" {
		req.Header.SetCookie(cartCookie, cart)
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	if err := c.hc.Do(req, resp); err != nil {
		return 0, nil, "", err
	}
	set := ""
	ck := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(ck)
	ck.SetKey(cartCookie)
	if resp.Header.Cookie(ck) {
		set = string(ck.Value())
	}
	return resp.StatusCode(), slices.Clone(resp.Body()), set, nil
}

// luxembourg is the shops' zone: their days are Luxembourg's.
var luxembourg = func() *time.Location {
	l, err := time.LoadLocation("Europe/Luxembourg")
	if err != nil {
		panic(err)
	}
	return l
}()

// dayOfLux is t's calendar day in Luxembourg, as the date column holds it.
func dayOfLux(t time.Time) time.Time {
	y, m, d := t.In(luxembourg).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// quantileMs is the q quantile of ds in milliseconds (ds is sorted).
func quantileMs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) / 1e3
}
