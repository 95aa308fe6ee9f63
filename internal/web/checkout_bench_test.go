package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/tenantdb"
)

// BenchmarkCheckout measures checkout throughput over HTTP on 1,000 shops
// against a baseline in the same run. Each op is one checkout in a random
// shop: POST /api/v1/shop/checkout through the real server (the wall, the
// shopper middleware, the order service pricing the cart, taking the stock,
// numbering the order, writing it, its lines, its history, the day's
// figures and the confirmation mail, and closing the cart), from sellPool
// clients at once. The cart is filled beforehand, outside the timed part
// (one POST /api/v1/shop/cart/lines per product, one to three, for each of
// the round's orders), so that the op is the checkout request alone:
// filling a cart is separate requests a shopper makes over minutes, and the
// baseline writes no cart either.
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
