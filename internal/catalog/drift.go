package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/productdrift"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
)

// Drift is an overridden field whose feed value changed.
type Drift struct {
	ProductID    int             `json:"product_id"`
	SKU          string          `json:"sku"`
	Title        string          `json:"title"`
	Field        string          `json:"field"`
	SourceBefore json.RawMessage `json:"source_before"`
	SourceNow    json.RawMessage `json:"source_now"`
	Override     json.RawMessage `json:"override"`
	JobID        int             `json:"job_id"`
	DetectedAt   time.Time       `json:"detected_at"`
}

// DriftLimits bound a drift listing's pages.
var DriftLimits = page.Bounds{Default: 100, Max: 500}

// driftCursor is where a page of drift reports ended: the detection time and
// id of its last report.
type driftCursor struct {
	List       string `json:"l"`
	DetectedAt string `json:"t"` // RFC 3339 with nanoseconds
	ID         int    `json:"i"`
}

const driftList = "drift"

// Drifts lists drift reports in the order they were detected (a report
// detected again moves to the end), optionally of one product.
func (s *Service) Drifts(ctx context.Context, productID int, r page.Request) (page.Page[Drift], error) {
	bad := map[string]string{}
	limit := DriftLimits.Size(r.Limit, bad)
	var at time.Time
	var afterID int // 0: the first page
	if r.Cursor != "" {
		var ok bool
		if at, afterID, ok = decodeDriftCursor(r.Cursor); !ok {
			bad[page.CursorField] = page.CursorProblem
		}
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[Drift]{}, err
	}
	c, err := client(ctx)
	if err != nil {
		return page.Page[Drift]{}, err
	}
	q := c.ProductDrift.Query().WithProduct().Order(productdrift.ByDetectedAt(), productdrift.ByID()).Limit(limit + 1)
	if productID > 0 {
		q.Where(productdrift.ProductID(productID))
	}
	if afterID > 0 {
		q.Where(productdrift.Or(productdrift.DetectedAtGT(at), productdrift.And(productdrift.DetectedAt(at), productdrift.IDGT(afterID))))
	}
	ds, err := q.All(ctx)
	if err != nil {
		return page.Page[Drift]{}, fmt.Errorf("catalog: drift: %w", err)
	}
	return page.Of(ds, limit, driftView, func(last *tenant.ProductDrift) string {
		return page.Encode(driftCursor{List: driftList, DetectedAt: last.DetectedAt.Format(time.RFC3339Nano), ID: last.ID})
	}), nil
}

// decodeDriftCursor reads a drift listing's cursor, or reports that s is not
// one: not its shape, another list's, an id that is not positive, a time that
// does not parse.
func decodeDriftCursor(s string) (at time.Time, id int, ok bool) {
	var c driftCursor
	if !page.Decode(s, &c) || c.List != driftList || c.ID < 1 {
		return time.Time{}, 0, false
	}
	at, err := time.Parse(time.RFC3339Nano, c.DetectedAt)
	return at, c.ID, err == nil
}

func driftView(d *tenant.ProductDrift) Drift {
	return Drift{
		ProductID: d.ProductID, SKU: d.Edges.Product.Sku, Title: pick(d.Edges.Product.Title), Field: d.Field,
		SourceBefore: d.SourceBefore, SourceNow: d.SourceNow, Override: d.Override, JobID: d.JobID, DetectedAt: d.DetectedAt,
	}
}

// Drift resolutions.
const (
	Accept = "accept" // take the feed's new value; the field follows the feed again
	Keep   = "keep"   // keep the vendor's value; the report is dismissed
)

// ResolveDrift settles one drift report.
func (s *Service) ResolveDrift(ctx context.Context, productID int, field, action string) (Product, error) {
	if action != Accept && action != Keep {
		return Product{}, fault.Fields("invalid resolution", map[string]string{"action": "must be accept or keep"})
	}
	c, err := client(ctx)
	if err != nil {
		return Product{}, err
	}
	n, err := c.ProductDrift.Delete().Where(productdrift.ProductID(productID), productdrift.Field(field)).Exec(ctx)
	if err != nil {
		return Product{}, fmt.Errorf("catalog: resolve drift: %w", err)
	}
	if n == 0 {
		return Product{}, fault.New(fault.NotFound, "no drift report for field %q of product %d", field, productID)
	}
	if action == Keep {
		return s.Get(ctx, productID)
	}
	return s.Reset(ctx, productID, []string{field})
}

// Reset sets fields of a published product back to the feed's values and
// lets them follow the feed again; no fields means every override.
func (s *Service) Reset(ctx context.Context, id int, fields []string) (Product, error) {
	c, p, err := lockProduct(ctx, id)
	if err != nil {
		return Product{}, err
	}
	if p.StagedProductID == nil {
		return Product{}, fault.New(fault.Invalid, "product %d was not published from the marketplace: it has no feed values to reset to", id)
	}
	if len(fields) == 0 {
		fields = p.Overridden
	}
	st := stateOf(p)
	bad := map[string]string{}
	for _, f := range fields {
		v, ok := p.Source[f]
		if !ok && !slices.Contains(p.Overridden, f) {
			bad[f] = "is not a field the feed gives"
			continue
		}
		if f == FieldPrice && string(v) == "null" {
			bad[f] = "the feed gives no price"
			continue
		}
		if err := st.set(f, v); err != nil {
			bad[f] = err.Error()
		}
	}
	if err := fault.Fields("the fields cannot be reset", bad); err != nil {
		return Product{}, err
	}
	p, err = updateFrom(p.Update(), st).SetOverridden(overrides(st, p.Source)).Save(ctx)
	if err != nil {
		return Product{}, constraintError(err)
	}
	if err := s.dropSettledDrift(ctx, c, p); err != nil {
		return Product{}, err
	}
	return s.Get(ctx, p.ID)
}

// dropSettledDrift removes drift reports of fields no longer overridden.
func (s *Service) dropSettledDrift(ctx context.Context, c *tenant.Client, p *tenant.Product) error {
	q := c.ProductDrift.Delete().Where(productdrift.ProductID(p.ID))
	if len(p.Overridden) > 0 {
		q.Where(productdrift.FieldNotIn(p.Overridden...))
	}
	_, err := q.Exec(ctx)
	return err
}
