package web

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/valyala/fasthttp"

	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// analyticsOrders is the year of orders BenchmarkAnalytics' shop has.
const analyticsOrders = 100_000

// BenchmarkAnalytics measures a shop's sales analytics over HTTP (GET
// /api/v1/analytics, as its Owner) for a year of 100,000 orders: from a year
// ago to today by day (366 buckets) and by week, one after the other in each
// iteration, one client. It reports each one's p50 and p99 in milliseconds.
//
// The year is written straight into the shop's schema as the application
// role, in a few set-based statements, not through HTTP (100,000 checkouts
// would take most of an hour here): 400 products, 30,000 customers, the
// 100,000 orders at random moments of the last 365 days (numbered in order;
// 85% completed, fulfilled or paid, 5% awaiting payment, 5% cancelled) with
// one to four lines each (popular products sold far more often) and their
// history event — so the tables the analytics live beside are their real
// size — and then the daily rollups those orders would have made
// (sales_days: orders, revenue, units and three carts an order, cancelled
// orders left out; product_sales_days: about 200 products a day), which are
// all internal/order's analytics read.
func BenchmarkAnalytics(b *testing.B) {
	ctx := context.Background()
	db := tenanttest.Open(b)
	ts := start(b, db, setup{opts: sellOptions()})
	shop := tenanttest.Tenant(b, db, "figures")
	raw := tenanttest.SQL(b, tenanttest.PackageDatabase(b))
	began := time.Now()
	s := pq.QuoteIdentifier(shop.Schema)
	for _, q := range []string{
		`SELECT setseed(0.12)`,
		`INSERT INTO ` + s + `."products" ("sku", "title", "price_cents", "currency", "status", "vat_rate_bp", "created_at", "updated_at")
			SELECT 'SKU-' || g, jsonb_build_object('en', 'Product number ' || g), 500 + (g * 7919) % 9500, 'EUR', 'active',
				(ARRAY[1700, 1400, 800, 300])[1 + g % 4], now() - interval '400 days', now()
			FROM generate_series(1, 400) g`,
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
			FROM (SELECT g, now() - random() * interval '365 days' AS t FROM generate_series(1, %d) g) o`, analyticsOrders),
		`INSERT INTO ` + s + `."order_lines" ("order_id", "product_id", "sku", "title", "quantity", "unit_price_cents", "vat_rate_bp",
			"total_cents", "vat_cents")
			SELECT o."id", p."id", p."sku", p."title"->>'en', x.q, p."price_cents", p."vat_rate_bp", x.q * p."price_cents",
				x.q * p."price_cents" * p."vat_rate_bp" / (10000 + p."vat_rate_bp")
			FROM ` + s + `."orders" o
			CROSS JOIN LATERAL (SELECT DISTINCT ON (pid) pid, 1 + floor(random() * 3)::int AS q
				FROM (SELECT 1 + floor(400 * power(random(), 4))::int AS pid FROM generate_series(1, 1 + (o."id" * 7) % 4)) r) x
			JOIN ` + s + `."products" p ON p."id" = x.pid`,
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
	var orders, days, lines, perDay int64
	if err := raw.QueryRowContext(ctx, `SELECT (SELECT sum("orders") FROM `+s+`."sales_days"), (SELECT count(*) FROM `+s+`."sales_days"),
		(SELECT count(*) FROM `+s+`."order_lines"), (SELECT count(*) FROM `+s+`."product_sales_days")`).Scan(&orders, &days, &lines, &perDay); err != nil {
		b.Fatal(err)
	}
	perDay /= days
	b.Logf("%d orders (%d not cancelled, %d lines) over %d days, %d products sold a day, written in %s",
		analyticsOrders, orders, lines, days, perDay, time.Since(began).Round(time.Millisecond))

	owner, _ := ts.member(b, shop, "owner")
	hc := &fasthttp.HostClient{Addr: ts.addr, MaxConns: 1}
	today := time.Now().In(luxembourg)
	from, to := today.AddDate(0, 0, -365).Format(time.DateOnly), today.Format(time.DateOnly)
	get := func(interval string) time.Duration {
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://bazaar/api/v1/analytics?from=" + from + "&to=" + to + "&interval=" + interval)
		req.SetHost(hostOf(shop))
		req.Header.Set("Authorization", "Bearer "+owner)
		s := time.Now()
		err := hc.Do(req, resp)
		took := time.Since(s)
		if err != nil || resp.StatusCode() != 200 {
			b.Fatalf("analytics by %s: %d %s %v", interval, resp.StatusCode(), resp.Body(), err)
		}
		var a order.Analytics
		if err := json.Unmarshal(resp.Body(), &a); err != nil {
			b.Fatal(err)
		}
		if a.Totals.Orders != orders || len(a.TopProducts) != 10 || interval == "day" && len(a.Series) != 366 {
			b.Fatalf("analytics by %s: %d orders, want %d; %d buckets, %d top products", interval, a.Totals.Orders, orders, len(a.Series), len(a.TopProducts))
		}
		return took
	}
	get("day") // the policy and the relations, loaded once
	var byDay, byWeek []time.Duration
	for b.Loop() {
		byDay = append(byDay, get("day"))
		byWeek = append(byWeek, get("week"))
	}
	b.ReportMetric(quantileMs(byDay, 0.50), "day-p50-ms")
	b.ReportMetric(quantileMs(byDay, 0.99), "day-p99-ms")
	b.ReportMetric(quantileMs(byWeek, 0.50), "week-p50-ms")
	b.ReportMetric(quantileMs(byWeek, 0.99), "week-p99-ms")
}
