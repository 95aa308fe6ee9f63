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
// rows written bare (BenchmarkCheckout), and the shop's latency under a mix
// of browsing and cart requests (BenchmarkShopLatency), both over loopback
// HTTP on benchFleet's 1,000 tenants; one hot SKU (BenchmarkHotSKU) and the
// analytics of a year of orders (BenchmarkAnalytics) in their own files.

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

// BenchmarkCheckout measures checkout throughput over HTTP on 1,000 shops
// against a baseline in the same run. Each op is one checkout in a random
// shop: POST /api/v1/shop/checkout through the real server (the wall, the
// shopper middleware, the order service pricing the cart, taking the stock,
// numbering the order, writing it, its lines, its history, the day's
// figures and the confirmation mail, and closing the cart), from sellPool
// clients at once. The cart is filled beforehand, outside the timed part
// (two to four POST /api/v1/shop/cart/lines per cart, for the round's
// orders), so that the op is the checkout request alone: filling a cart is
// separate requests a shopper makes over minutes, and the baseline writes
// no cart either.
//
// The baseline writes the same rows for the same orders — the stock taken
// by the same conditional UPDATE per product, the guest customer, the
// counter, the order, its lines, its history event, the product and day
// rollups, the mail's hand-off row and the cart marked ordered — in one
// bare transaction per order as the application role, schema-qualified,
// with bind parameters, from as many clients on as many connections: no
// HTTP, no wall, no reads but the RETURNINGs the rows need, no ORM.
//
// The two alternate in rounds of the same orders (the order of the pair
// swapped each round) so the machine's other load hits both alike. It
// reports checkout-orders/s, baseline-orders/s, their ratio over the whole
// run and the median of the rounds' ratios.
func BenchmarkCheckout(b *testing.B) {
	const (
		clients  = sellPool
		rounds   = 10
		perRound = 320
	)
	e := newSellEnv(b)
	raw := e.baseline(b)
	ctx := context.Background()
	hc := e.client(clients)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	var seq atomic.Int64
	newSpecs := func(kind string) []orderSpec {
		specs := make([]orderSpec, perRound)
		for i := range specs {
			specs[i] = e.randomOrder(rng, rng.IntN(len(e.tenants)), fmt.Sprintf("%s-%d@example.lu", kind, seq.Add(1)))
		}
		return specs
	}
	// run runs do for each spec from `clients` goroutines and returns how
	// long it took.
	run := func(specs []orderSpec, do func(i int, s orderSpec) error) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(specs) || b.Failed() {
						return
					}
					if err := do(i, specs[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		if b.Failed() {
			b.FailNow()
		}
		return took
	}
	checkout := func() time.Duration {
		specs := newSpecs("buyer")
		carts := make([]string, len(specs))
		run(specs, func(i int, s orderSpec) (err error) { // untimed: the carts
			carts[i], err = e.fillCart(hc, s)
			return err
		})
		bodies := make([][]byte, len(specs))
		for i, s := range specs {
			bodies[i] = checkoutJSON(s)
		}
		return run(specs, func(i int, s orderSpec) error {
			st, body, _, err := hc.send("POST", hostOf(e.tenants[s.shop]), "/api/v1/shop/checkout", carts[i], bodies[i])
			if err == nil && st != 201 {
				err = fmt.Errorf("checkout in %s: %d %s", e.tenants[s.shop].Slug, st, body)
			}
			return err
		})
	}
	baseline := func() time.Duration {
		specs := newSpecs("base")
		return run(specs, func(_ int, s orderSpec) error {
			return e.base[s.shop].place(ctx, raw, s, e.products[s.shop], true)
		})
	}

	var took [2]time.Duration
	var ratios []float64
	b.ResetTimer()
	for r := range rounds {
		var c, bl time.Duration
		if r%2 == 0 {
			c, bl = checkout(), baseline()
		} else {
			bl, c = baseline(), checkout()
		}
		took[0] += c
		took[1] += bl
		ratios = append(ratios, bl.Seconds()/c.Seconds())
	}
	b.StopTimer()
	slices.Sort(ratios)
	co := float64(rounds*perRound) / took[0].Seconds()
	bo := float64(rounds*perRound) / took[1].Seconds()
	b.ReportMetric(co, "checkout-orders/s")
	b.ReportMetric(bo, "baseline-orders/s")
	b.ReportMetric(co/bo, "ratio")
	b.ReportMetric((ratios[len(ratios)/2-1]+ratios[len(ratios)/2])/2, "median-round-ratio")
}

// fillCart puts spec's lines in a new cart of its shop and returns the cart
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

// baselineShop is one shop's baseline: the statements that write an order's
// rows straight into its schema.
type baselineShop struct {
	role                                                    string
	cart                                                    int
	stock, customer, counter, order, event, day, mail, done string
	lines, products                                         [4]string // by number of lines
	// warm writes an order's rows and rolls them back, and reads what a
	// checkout reads besides, in one simple query (sellEnv.warm).
	warm string
}

func newBaselineShop(tn *tenantdb.Tenant, cart int) *baselineShop {
	s := pq.QuoteIdentifier(tn.Schema)
	bs := &baselineShop{role: tn.Role, cart: cart,
		stock: `UPDATE ` + s + `."products" SET "stock" = "stock" - $2 WHERE "id" = $1 AND "status" = 'active' AND "stock" >= $2`,
		customer: `INSERT INTO ` + s + `."customers" ("email", "first_name", "last_name", "created_at", "updated_at") VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT ("email") DO UPDATE SET "updated_at" = EXCLUDED."updated_at" RETURNING "id"`,
		counter: `UPDATE ` + s + `."order_counters" SET "last" = "last" + 1 WHERE "name" = 'order' RETURNING "last"`,
		order: `INSERT INTO ` + s + `."orders" ("number", "status", "source", "customer_id", "guest", "email", "language",
			"billing_address", "shipping_address", "shipping_method", "shipping_name", "shipping_cents", "shipping_vat_bp",
			"subtotal_cents", "vat_cents", "total_cents", "vat_breakdown", "currency", "units", "payment_method", "payment_ref",
			"refunded_cents", "tracking_number", "request_hash", "cart_id", "created_by", "stock_released", "expires_at",
			"created_at", "updated_at")
			VALUES ($1, 'pending_payment', 'shop', $2, true, $3, 'en', $4, $5, $6, $7, $8, 1700, $9, $10, $11, $12, 'EUR', $13,
			'bank_transfer', '', 0, '', $14, $15, 0, false, $16, $17, $17) RETURNING "id"`,
		event: `INSERT INTO ` + s + `."order_events" ("kind", "from_status", "to_status", "amount_cents", "note", "actor", "created_at", "order_id")
			VALUES ('placed', '', 'pending_payment', $1, '', 'shopper', $2, $3)`,
		day: `INSERT INTO ` + s + `."sales_days" AS s ("day", "orders", "revenue_cents", "units", "carts") VALUES ($1, 1, $2, $3, 0)
			ON CONFLICT ("day") DO UPDATE SET "orders" = s."orders" + 1, "revenue_cents" = s."revenue_cents" + EXCLUDED."revenue_cents",
			"units" = s."units" + EXCLUDED."units"`,
		mail: `INSERT INTO "` + tenantdb.ReportsSchema + `"."mails" ("db_role", "kind", "to", "subject", "body") VALUES ($1, 'order_confirmation', $2, $3, $4)`,
		done: `UPDATE ` + s + `."carts" SET "order_id" = $1 WHERE "id" = $2`,
	}
	bs.warm = `BEGIN;
		UPDATE ` + s + `."products" SET "stock" = "stock" - 1 WHERE "id" = 1 AND "status" = 'active' AND "stock" >= 1;
		INSERT INTO ` + s + `."customers" ("email", "first_name", "last_name", "created_at", "updated_at")
			VALUES ('warm@example.lu', 'Anna', 'Muller', now(), now()) ON CONFLICT ("email") DO UPDATE SET "updated_at" = EXCLUDED."updated_at";
		UPDATE ` + s + `."order_counters" SET "last" = "last" + 1 WHERE "name" = 'order';
		INSERT INTO ` + s + `."orders" ("number", "customer_id", "email", "language", "billing_address", "shipping_method",
			"shipping_cents", "shipping_vat_bp", "subtotal_cents", "vat_cents", "total_cents", "vat_breakdown", "currency", "units",
			"payment_method", "cart_id", "expires_at", "created_at", "updated_at")
			VALUES ((SELECT "last" FROM ` + s + `."order_counters" WHERE "name" = 'order'),
			(SELECT "id" FROM ` + s + `."customers" WHERE "email" = 'warm@example.lu'), 'warm@example.lu', 'en', '{}', 'pickup',
			0, 1700, 100, 15, 100, '[]', 'EUR', 1, 'bank_transfer', ` + fmt.Sprint(cart) + `, now(), now(), now());
		INSERT INTO ` + s + `."order_lines" ("order_id", "product_id", "sku", "title", "quantity", "unit_price_cents",
			"vat_rate_bp", "total_cents", "vat_cents") SELECT max("id"), 1, 'SKU-1', 'warm', 1, 100, 1700, 100, 15 FROM ` + s + `."orders";
		INSERT INTO ` + s + `."order_events" ("kind", "actor", "created_at", "order_id") SELECT 'placed', 'warm', now(), max("id") FROM ` + s + `."orders";
		INSERT INTO ` + s + `."product_sales_days" AS s ("day", "product_id", "sku", "title", "units", "revenue_cents")
			VALUES (current_date, 1, 'SKU-1', 'warm', 1, 100) ON CONFLICT ("day", "product_id") DO UPDATE SET "units" = s."units" + 1;
		INSERT INTO ` + s + `."sales_days" AS s ("day", "orders") VALUES (current_date, 1)
			ON CONFLICT ("day") DO UPDATE SET "orders" = s."orders" + 1;
		INSERT INTO "` + tenantdb.ReportsSchema + `"."mails" ("db_role", "kind", "to", "subject", "body")
			VALUES (` + pq.QuoteLiteral(tn.Role) + `, 'order_confirmation', 'warm@example.lu', 'warm', 'warm');
		UPDATE ` + s + `."carts" SET "order_id" = (SELECT max("id") FROM ` + s + `."orders") WHERE "id" = ` + fmt.Sprint(cart) + `;
		SELECT (SELECT count(*) FROM ` + s + `."shipping_methods" WHERE "code" = 'standard' AND "active"),
			(SELECT count(*) FROM ` + s + `."carts" WHERE "token_hash" = '\x00' AND "order_id" IS NULL),
			(SELECT count(*) FROM ` + s + `."cart_lines" WHERE "cart_id" = 0),
			(SELECT count(*) FROM ` + s + `."order_lines" l JOIN ` + s + `."orders" o ON o."id" = l."order_id" WHERE o."id" = 0),
			(SELECT count(*) FROM ` + s + `."order_events" WHERE "order_id" = 0);
		ROLLBACK`
	for n := 1; n <= 3; n++ {
		var lv, pv string
		for i := range n {
			sep := ""
			if i > 0 {
				sep = ", "
			}
			lv += fmt.Sprintf("%s($1, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", sep, 2+8*i, 3+8*i, 4+8*i, 5+8*i, 6+8*i, 7+8*i, 8+8*i, 9+8*i)
			pv += fmt.Sprintf("%s($1, $%d, $%d, $%d, $%d, $%d)", sep, 2+5*i, 3+5*i, 4+5*i, 5+5*i, 6+5*i)
		}
		bs.lines[n] = `INSERT INTO ` + s + `."order_lines" ("order_id", "product_id", "sku", "title", "quantity", "unit_price_cents",
			"vat_rate_bp", "total_cents", "vat_cents") VALUES ` + lv
		bs.products[n] = `INSERT INTO ` + s + `."product_sales_days" AS s ("day", "product_id", "sku", "title", "units", "revenue_cents")
			VALUES ` + pv + ` ON CONFLICT ("day", "product_id") DO UPDATE SET "units" = s."units" + EXCLUDED."units",
			"revenue_cents" = s."revenue_cents" + EXCLUDED."revenue_cents", "sku" = EXCLUDED."sku", "title" = EXCLUDED."title"`
	}
	return bs
}

// txBeginner is a pool or one of its connections.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// place writes spec's rows in one transaction on db, and commits it (or,
// to warm a backend up, rolls it back).
func (bs *baselineShop) place(ctx context.Context, db txBeginner, spec orderSpec, items []benchItem, commit bool) error {
	now := time.Now()
	day := dayOfLux(now)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	var subtotal, vat int64
	units := 0
	lineArgs := []any{nil}
	dayArgs := []any{day}
	for _, l := range spec.lines {
		it := items[l.item]
		if res, err := tx.ExecContext(ctx, bs.stock, it.id, l.qty); err != nil {
			return err
		} else if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("baseline: product %d short", it.id)
		}
		total := it.price * int64(l.qty)
		lv := total * int64(it.vat) / int64(10000+it.vat)
		subtotal, vat, units = subtotal+total, vat+lv, units+l.qty
		lineArgs = append(lineArgs, it.id, it.sku, it.title, l.qty, it.price, it.vat, total, lv)
		dayArgs = append(dayArgs, it.id, it.sku, it.title, l.qty, total)
	}
	var customer int
	if err := tx.QueryRowContext(ctx, bs.customer, spec.email, "Anna", "Muller", now).Scan(&customer); err != nil {
		return err
	}
	var number int64
	if err := tx.QueryRowContext(ctx, bs.counter).Scan(&number); err != nil {
		return err
	}
	addr, _ := json.Marshal(testAddress)
	ship, shipName, shipping := "pickup", "Pickup at the shop", int64(0)
	var shipTo any
	if !spec.pickup {
		ship, shipName, shipTo = "standard", "Standard delivery", addr
		if subtotal < 7500 {
			shipping = 490
		}
	}
	total := subtotal + shipping
	breakdown, _ := json.Marshal([]map[string]int64{{"rate_bp": 1700, "gross_cents": total, "vat_cents": vat, "net_cents": total - vat}})
	hash := make([]byte, 32)
	var id int
	if err := tx.QueryRowContext(ctx, bs.order, number, customer, spec.email, addr, shipTo, ship, shipName, shipping,
		subtotal, vat, total, breakdown, units, hash, bs.cart, now.Add(7*24*time.Hour), now).Scan(&id); err != nil {
		return err
	}
	lineArgs[0] = id
	if _, err := tx.ExecContext(ctx, bs.lines[len(spec.lines)], lineArgs...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, bs.event, total, now, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, bs.products[len(spec.lines)], dayArgs...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, bs.day, day, total, units); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, bs.mail, bs.role, spec.email, fmt.Sprintf("Your order %d at Fleet shop", number),
		"Hello Anna,\n\nthank you for your order.\n"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, bs.done, id, bs.cart); err != nil {
		return err
	}
	if !commit {
		return tx.Rollback()
	}
	return tx.Commit()
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

// BenchmarkShopLatency measures what shoppers wait for on 1,000 shops with
// 32 clients at once over loopback HTTP, each request for a random shop: a
// mix of browsing — the product list (GET /api/v1/shop/products?limit=20,
// 35%) and the shop's home page rendered on the server (GET /, its first
// 100 products, 15%) — and cart requests — the cart priced now (GET
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

// quantileMs is the q quantile of ds in milliseconds (ds is sorted).
func quantileMs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) / 1e3
}
