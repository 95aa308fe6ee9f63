package web

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"
)

// year is what yearOfOrders wrote: the orders not cancelled, their lines
// (all orders'), the days they fall on and the products sold a day.
type year struct{ notCancelled, lines, days, perDay int64 }

// yearOfOrders writes n orders of the last 365 days into the shop's schema,
// around the products it already has, for BenchmarkAnalytics and
// BenchmarkBackOffice. It writes them as the application role in a few
// set-based statements, not through HTTP (100,000 checkouts would take most
// of an hour here): 30,000 customers, the orders at random moments of the
// last 365 days (numbered in order; 85% completed, fulfilled or paid, 5%
// awaiting payment, 10% cancelled) with one to four lines each (the first
// products in id order sold far more often than the last) and their history
// event — so the tables the analytics and the order list read are their
// real size — and then the daily rollups those orders would have made
// (sales_days: orders, revenue, units and three carts an order, cancelled
// orders left out; product_sales_days), which are all internal/order's
// analytics read. A product without a VAT rate of its own is sold at the
// shop's default, Luxembourg's 17%. The draws are seeded: every run writes the same year.
func yearOfOrders(b *testing.B, raw *sql.DB, schema string, n int) year {
	ctx := context.Background()
	began := time.Now()
	s := pq.QuoteIdentifier(schema)
	for _, q := range []string{
		`SELECT setseed(0.12)`,
		`INSERT INTO ` + s + `."customers" ("email", "first_name", "last_name", "created_at", "updated_at")
			SELECT 'customer' || g || '@example.lu', 'Anna', 'Muller', now() - interval '400 days', now() FROM generate_series(1, 30000) g`,
		fmt.Sprintf(`INSERT INTO `+s+`."orders" ("number", "status", "source", "customer_id", "guest", "email", "language",
			"billing_address", "shipping_address", "shipping_method", "shipping_name", "shipping_cents", "shipping_vat_bp",
			"subtotal_cents", "vat_cents", "total_cents", "vat_breakdown", "currency", "units", "payment_method",
			"request_hash", "paid_at", "created_at", "updated_at")
			SELECT row_number() OVER (ORDER BY t), (ARRAY['completed', 'completed', 'completed', 'completed', 'completed', 'completed',
				'completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed',
				'fulfilled', 'paid', 'pending_payment', 'cancelled', 'cancelled'])[1 + g %% 20],
				'shop', 1 + g %% 30000, g %% 3 = 0, 'customer' || (1 + g %% 30000) || '@example.lu', 'en',
				'{"name": "Anna Muller", "line1": "12 rue du Curé", "postal_code": "L-1368", "city": "Luxembourg", "country": "LU"}',
				'{"name": "Anna Muller", "line1": "12 rue du Curé", "postal_code": "L-1368", "city": "Luxembourg", "country": "LU"}',
				'standard', 'Standard delivery', 490, 1700, 0, 0, 0, '[]', 'EUR', 0, 'bank_transfer', sha256(g::text::bytea), t, t, t
			FROM (SELECT g, now() - random() * interval '365 days' AS t FROM generate_series(1, %d) g) o`, n),
		`INSERT INTO ` + s + `."order_lines" ("order_id", "product_id", "sku", "title", "quantity", "unit_price_cents", "vat_rate_bp",
			"total_cents", "vat_cents")
			SELECT o."id", p."id", p."sku", p."title"->>'en', x.q, p."price_cents", v.vat, x.q * p."price_cents",
				x.q * p."price_cents" * v.vat / (10000 + v.vat)
			FROM ` + s + `."orders" o
			CROSS JOIN LATERAL (SELECT DISTINCT ON (pid) pid, 1 + floor(random() * 3)::int AS q
				FROM (SELECT 1 + floor((SELECT count(*) FROM ` + s + `."products") * power(random(), 4))::int AS pid
					FROM generate_series(1, 1 + (o."id" * 7) % 4)) r) x
			JOIN ` + s + `."products" p ON p."id" = (SELECT array_agg("id" ORDER BY "id") FROM ` + s + `."products")[x.pid]
			CROSS JOIN LATERAL (SELECT coalesce(p."vat_rate_bp", 1700) AS vat) v`,
		`UPDATE ` + s + `."orders" o SET "subtotal_cents" = l.sub, "vat_cents" = l.vat, "units" = l.units,
			"shipping_cents" = CASE WHEN l.sub >= 7500 THEN 0 ELSE 490 END,
			"total_cents" = l.sub + CASE WHEN l.sub >= 7500 THEN 0 ELSE 490 END
			FROM (SELECT "order_id", sum("total_cents") AS sub, sum("vat_cents") AS vat, sum("quantity") AS units
				FROM ` + s + `."order_lines" GROUP BY 1) l WHERE l."order_id" = o."id"`,
		`INSERT INTO ` + s + `."order_events" ("kind", "to_status", "amount_cents", "actor", "created_at", "order_id")
			SELECT 'placed', 'pending_payment', "total_cents", 'shopper', "created_at", "id" FROM ` + s + `."orders"`,
		`UPDATE ` + s + `."order_counters" SET "last" = (SELECT max("number") FROM ` + s + `."orders") WHERE "name" = 'order'`,
		`INSERT INTO ` + s + `."sales_days" ("day", "orders", "revenue_cents", "units", "carts")
			SELECT ("created_at" AT TIME ZONE 'Europe/Luxembourg')::date, count(*) FILTER (WHERE "status" <> 'cancelled'),
				coalesce(sum("total_cents") FILTER (WHERE "status" <> 'cancelled'), 0),
				coalesce(sum("units") FILTER (WHERE "status" <> 'cancelled'), 0), 3 * count(*)
			FROM ` + s + `."orders" GROUP BY 1`,
		`INSERT INTO ` + s + `."product_sales_days" ("day", "product_id", "sku", "title", "units", "revenue_cents")
			SELECT (o."created_at" AT TIME ZONE 'Europe/Luxembourg')::date, l."product_id", max(l."sku"), max(l."title"),
				sum(l."quantity"), sum(l."total_cents")
			FROM ` + s + `."order_lines" l JOIN ` + s + `."orders" o ON o."id" = l."order_id"
			WHERE o."status" <> 'cancelled' GROUP BY 1, 2`,
		`ANALYZE ` + s + `."products", ` + s + `."customers", ` + s + `."orders", ` + s + `."order_lines", ` + s + `."order_events", ` +
			s + `."sales_days", ` + s + `."product_sales_days"`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	var y year
	if err := raw.QueryRowContext(ctx, `SELECT (SELECT sum("orders") FROM `+s+`."sales_days"), (SELECT count(*) FROM `+s+`."sales_days"),
		(SELECT count(*) FROM `+s+`."order_lines"), (SELECT count(*) FROM `+s+`."product_sales_days")`).Scan(&y.notCancelled, &y.days, &y.lines, &y.perDay); err != nil {
		b.Fatal(err)
	}
	y.perDay /= y.days
	b.Logf("%d orders (%d not cancelled, %d lines) over %d days, %d products sold a day, written in %s",
		n, y.notCancelled, y.lines, y.days, y.perDay, time.Since(began).Round(time.Millisecond))

	return y
}
