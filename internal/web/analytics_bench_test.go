package web

import (
	"context"
	"encoding/json"
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
// The shop has 400 products (an English title each) written straight into
// its schema, and the year around them is yearOfOrders': 30,000 customers,
// the 100,000 orders with their lines, history and daily rollups (about 200
// products sold a day).
func BenchmarkAnalytics(b *testing.B) {
	ctx := context.Background()
	db := tenanttest.Open(b)
	ts := start(b, db, setup{opts: sellOptions()})
	shop := tenanttest.Tenant(b, db, "figures")
	raw := tenanttest.SQL(b, tenanttest.PackageDatabase(b))
	if _, err := raw.ExecContext(ctx, `INSERT INTO `+pq.QuoteIdentifier(shop.Schema)+`."products" ("sku", "title", "price_cents", "currency", "status", "vat_rate_bp", "created_at", "updated_at")
		SELECT 'SKU-' || g, jsonb_build_object('en', 'Product number ' || g), 500 + (g * 7919) % 9500, 'EUR', 'active',
			(ARRAY[1700, 1400, 800, 300])[1 + g % 4], now() - interval '400 days', now()
		FROM generate_series(1, 400) g`); err != nil {
		b.Fatal(err)
	}
	orders := yearOfOrders(b, raw, shop.Schema, analyticsOrders).notCancelled

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
