package order

import (
	"context"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Analytics are the shop's sales over a range of days (the shop's days,
// both ends included), in buckets of a day, a week (from Monday) or a
// month. Revenue is what orders charged less what was refunded; cancelled
// orders count for nothing. Conversion is orders per cart made.
type Analytics struct {
	From        string       `json:"from"`
	To          string       `json:"to"`
	Interval    string       `json:"interval"`
	Totals      Figures      `json:"totals"`
	Series      []Bucket     `json:"series"`
	TopProducts []TopProduct `json:"top_products"`
}

// Figures are the sales of a span.
type Figures struct {
	RevenueCents           int64   `json:"revenue_cents"`
	Orders                 int64   `json:"orders"`
	AverageOrderValueCents int64   `json:"average_order_value_cents"`
	Units                  int64   `json:"units"`
	Carts                  int64   `json:"carts"`
	Conversion             float64 `json:"conversion"` // orders / carts; 0 without carts
}

// Bucket is the figures of one day, week or month.
type Bucket struct {
	Start string `json:"start"`
	Figures
}

// TopProduct is a product among the best sold of the range (by revenue).
type TopProduct struct {
	ProductID    int    `json:"product_id"`
	SKU          string `json:"sku"`
	Title        string `json:"title"`
	Units        int64  `json:"units"`
	RevenueCents int64  `json:"revenue_cents"`
}

// maxAnalyticsDays bounds a range (three years of days).
const maxAnalyticsDays = 3 * 366

// topProducts is how many best sellers are listed.
const topProducts = 10

func (f *Figures) finish() {
	if f.Orders > 0 {
		f.AverageOrderValueCents = f.RevenueCents / f.Orders
	}
	if f.Carts > 0 {
		f.Conversion = float64(f.Orders) / float64(f.Carts)
	}
}

// Analytics reads the shop's figures from the daily rollups: one row per day
// and one per product sold that day, whatever the number of orders. from and
// to are dates (YYYY-MM-DD); empty, they are the last 30 days.
func (s *Service) Analytics(ctx context.Context, from, to, interval string) (*Analytics, error) {
	bad := map[string]string{}
	today := dayOf(s.now())
	first, last := today.AddDate(0, 0, -29), today
	parse := func(field, v string, d *time.Time) {
		if v == "" {
			return
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			bad[field] = "must be a date such as 2026-01-31"
			return
		}
		*d = t
	}
	parse("from", from, &first)
	parse("to", to, &last)
	if interval == "" {
		interval = "day"
	}
	if interval != "day" && interval != "week" && interval != "month" {
		bad["interval"] = "must be day, week or month"
	}
	if _, ok := bad["to"]; !ok && last.Before(first) {
		bad["to"] = "must not be before from"
	}
	if last.Sub(first) > maxAnalyticsDays*24*time.Hour {
		bad["from"] = fmt.Sprintf("a range is at most %d days", maxAnalyticsDays)
	}
	if err := fault.Fields("invalid analytics parameters", bad); err != nil {
		return nil, err
	}
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return nil, err
	}
	a := &Analytics{From: first.Format(time.DateOnly), To: last.Format(time.DateOnly), Interval: interval,
		Series: []Bucket{}, TopProducts: []TopProduct{}}
	rows, err := tx.QueryContext(ctx, `SELECT date_trunc($1, "day")::date, sum("orders"), sum("revenue_cents"), sum("units"), sum("carts")
FROM "sales_days" WHERE "day" BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1`, interval, first, last)
	if err != nil {
		return nil, err
	}
	got := map[string]Figures{}
	for rows.Next() {
		var d time.Time
		var f Figures
		if err := rows.Scan(&d, &f.Orders, &f.RevenueCents, &f.Units, &f.Carts); err != nil {
			rows.Close()
			return nil, err
		}
		got[d.Format(time.DateOnly)] = f
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for b := bucketStart(first, interval); !b.After(last); b = nextBucket(b, interval) {
		f := got[b.Format(time.DateOnly)]
		a.Totals.Orders += f.Orders
		a.Totals.RevenueCents += f.RevenueCents
		a.Totals.Units += f.Units
		a.Totals.Carts += f.Carts
		f.finish()
		a.Series = append(a.Series, Bucket{Start: b.Format(time.DateOnly), Figures: f})
	}
	a.Totals.finish()
	top, err := tx.QueryContext(ctx, `SELECT "product_id", max("sku"), max("title"), sum("units"), sum("revenue_cents")
FROM "product_sales_days" WHERE "day" BETWEEN $1 AND $2 GROUP BY "product_id"
HAVING sum("units") > 0 ORDER BY sum("revenue_cents") DESC, "product_id" LIMIT $3`, first, last, topProducts)
	if err != nil {
		return nil, err
	}
	defer top.Close()
	for top.Next() {
		var p TopProduct
		if err := top.Scan(&p.ProductID, &p.SKU, &p.Title, &p.Units, &p.RevenueCents); err != nil {
			return nil, err
		}
		a.TopProducts = append(a.TopProducts, p)
	}
	return a, top.Err()
}

// bucketStart is the start of the bucket holding day d (PostgreSQL's
// date_trunc: weeks start on Monday).
func bucketStart(d time.Time, interval string) time.Time {
	switch interval {
	case "week":
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case "month":
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return d
}

func nextBucket(d time.Time, interval string) time.Time {
	switch interval {
	case "week":
		return d.AddDate(0, 0, 7)
	case "month":
		return d.AddDate(0, 1, 0)
	}
	return d.AddDate(0, 0, 1)
}
