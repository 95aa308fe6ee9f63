package order

import (
	"context"
	"maps"
	"slices"
	"time"
	_ "time/tzdata" // the shop's days are Luxembourg's, on any host

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/tenant"
)

// The shop's sales figures are kept per day as orders happen, in the
// order's own transaction: sales_days (orders, revenue, units, carts made)
// and product_sales_days (units and revenue per product). The analytics then
// read one row per day (and per product sold that day) instead of every
// order. A checkout touches them last, just before commit, so a day's row
// lock — the one thing all of a shop's checkouts share — is held for the
// commit alone. (A new cart counts itself in the day's row when it is made,
// mid-request: adding to a new cart holds that row a little longer.)

// shopZone is where a shop's day starts and ends: Bazaar's shops are in
// Luxembourg.
var shopZone = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Luxembourg"); err == nil {
		return l
	}
	return time.UTC
}()

// dayOf is the calendar day of t in the shop's zone, as a UTC midnight (the
// date column's value).
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(shopZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayDelta is a change to a day's figures.
type dayDelta struct {
	orders, revenue, units, carts int64
}

func bumpDay(ctx context.Context, c *tenant.Client, at time.Time, d dayDelta) error {
	_, err := c.ExecContext(ctx, `INSERT INTO "sales_days" AS s ("day", "orders", "revenue_cents", "units", "carts")
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT ("day") DO UPDATE SET "orders" = s."orders" + EXCLUDED."orders",
	"revenue_cents" = s."revenue_cents" + EXCLUDED."revenue_cents",
	"units" = s."units" + EXCLUDED."units", "carts" = s."carts" + EXCLUDED."carts"`,
		dayOf(at), d.orders, d.revenue, d.units, d.carts)
	return err
}

// productDelta is a change to one product's figures of a day.
type productDelta struct {
	productID    int
	sku, title   string
	units, cents int64
}

func bumpProducts(ctx context.Context, c *tenant.Client, at time.Time, ds []productDelta) error {
	if len(ds) == 0 {
		return nil
	}
	// One statement for every product of the order, in product order (two
	// orders of the same products lock their rows in the same order).
	slices.SortFunc(ds, func(a, b productDelta) int { return a.productID - b.productID })
	ids, skus, titles := make([]int64, len(ds)), make([]string, len(ds)), make([]string, len(ds))
	units, cents := make([]int64, len(ds)), make([]int64, len(ds))
	for i, d := range ds {
		ids[i], skus[i], titles[i], units[i], cents[i] = int64(d.productID), d.sku, d.title, d.units, d.cents
	}
	_, err := c.ExecContext(ctx, `INSERT INTO "product_sales_days" AS s ("day", "product_id", "sku", "title", "units", "revenue_cents")
SELECT $1, p, k, t, u, r FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS x(p, k, t, u, r)
ON CONFLICT ("day", "product_id") DO UPDATE SET "units" = s."units" + EXCLUDED."units",
	"revenue_cents" = s."revenue_cents" + EXCLUDED."revenue_cents", "sku" = EXCLUDED."sku", "title" = EXCLUDED."title"`,
		dayOf(at), pq.Array(ids), pq.Array(skus), pq.Array(titles), pq.Array(units), pq.Array(cents))
	return err
}

// pick is the text of m in lang, else in the first language it has in a
// fixed order (so a title is never empty while the product has one).
func pick(m map[string]string, lang string) string {
	if v := m[lang]; v != "" {
		return v
	}
	for _, l := range []string{"en", "fr", "de", "lb"} {
		if v := m[l]; v != "" {
			return v
		}
	}
	for _, l := range slices.Sorted(maps.Keys(m)) {
		if m[l] != "" {
			return m[l]
		}
	}
	return ""
}
