package marketplace

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importchange"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/predicate"
	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/ent/tenant/stagedproduct"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// MaxSelect bounds the ids of one select call.
const MaxSelect = 1000

// StagedLimits bound a page of the staging view.
var StagedLimits = page.Bounds{Default: 50, Max: 200}

// stagedList pages the staging view by id, in id order.
var stagedList = page.ByID{List: "staged", Bounds: StagedLimits}

// StagedParams filter the staging view.
type StagedParams struct {
	Query        string // feed id, GTIN, brand or title
	Availability string
	Brand        string
	Category     string // prefix of the category path
	Selected     *bool
	Published    *bool
	Missing      *bool // no longer in the latest feed
	Changed      bool  // changed by the latest import
	JobID        int   // only products this import read (set by the job's view)
}

// Staged is a staged product in a listing.
type Staged struct {
	ID           int                      `json:"id"`
	FeedID       string                   `json:"feed_id"`
	ItemGroupID  string                   `json:"item_group_id"`
	Title        string                   `json:"title"`
	Brand        string                   `json:"brand"`
	Availability string                   `json:"availability"`
	Category     string                   `json:"category"`
	PriceCents   *int64                   `json:"price_cents"`
	Currency     string                   `json:"currency"`
	Languages    []string                 `json:"languages"`
	Selected     bool                     `json:"selected"`
	ProductID    *int                     `json:"product_id"`
	Missing      bool                     `json:"missing"`
	CreatedJob   int                      `json:"created_job"`
	ChangedJob   int                      `json:"changed_job"`
	UpdatedAt    time.Time                `json:"updated_at"`
	Items        map[string]letzshop.Item `json:"items,omitempty"` // one product's view only
	Raw          map[string][][2]string   `json:"raw,omitempty"`
}

func stagedView(sp *tenant.StagedProduct) Staged {
	langs := make([]string, 0, len(sp.Items))
	for l := range sp.Items {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	v := Staged{
		ID: sp.ID, FeedID: sp.FeedID, ItemGroupID: sp.ItemGroupID, Title: sp.Title, Brand: sp.Brand,
		Availability: sp.Availability, Category: sp.Category, PriceCents: sp.PriceCents, Currency: sp.Currency,
		Languages: langs, Selected: sp.Edges.Selection != nil, Missing: sp.MissingSinceJob != nil,
		CreatedJob: sp.CreatedJob, ChangedJob: sp.ChangedJob, UpdatedAt: sp.UpdatedAt,
	}
	if sp.Edges.Product != nil {
		v.ProductID = &sp.Edges.Product.ID
	}
	return v
}

// StagedProducts lists the staging area matching p, a page at a time in id
// order.
func (s *Service) StagedProducts(ctx context.Context, p StagedParams, r page.Request) (page.Page[Staged], error) {
	bad := map[string]string{}
	limit, after := stagedList.Start(r, bad)
	if err := page.Invalid(bad); err != nil {
		return page.Page[Staged]{}, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return page.Page[Staged]{}, err
	}
	preds, err := stagedFilters(ctx, c, p)
	if err != nil {
		return page.Page[Staged]{}, err
	}
	rows, err := c.StagedProduct.Query().Where(preds...).Where(stagedproduct.IDGT(after)).
		WithSelection().WithProduct(func(q *tenant.ProductQuery) { q.Select(product.FieldID, product.FieldStagedProductID) }).
		Order(stagedproduct.ByID()).Limit(limit + 1).All(ctx)
	if err != nil {
		return page.Page[Staged]{}, fmt.Errorf("marketplace: staged products: %w", err)
	}
	return page.Of(rows, limit, stagedView, func(last *tenant.StagedProduct) string { return stagedList.Cursor(last.ID) }), nil
}

// StagedProduct returns one staged product with every language's item and
// raw columns.
func (s *Service) StagedProduct(ctx context.Context, id int) (Staged, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return Staged{}, err
	}
	sp, err := c.StagedProduct.Query().Where(stagedproduct.ID(id)).WithSelection().
		WithProduct(func(q *tenant.ProductQuery) { q.Select(product.FieldID, product.FieldStagedProductID) }).Only(ctx)
	if tenant.IsNotFound(err) {
		return Staged{}, fault.New(fault.NotFound, "imported product %d not found", id)
	}
	if err != nil {
		return Staged{}, fmt.Errorf("marketplace: staged product: %w", err)
	}
	v := stagedView(sp)
	v.Items, v.Raw = sp.Items, sp.Raw
	return v, nil
}

func stagedFilters(ctx context.Context, c *tenant.Client, p StagedParams) ([]predicate.StagedProduct, error) {
	var ps []predicate.StagedProduct
	if q := strings.TrimSpace(p.Query); q != "" {
		ps = append(ps, stagedproduct.Or(
			stagedproduct.FeedID(q),
			stagedproduct.TitleContainsFold(q),
			stagedproduct.BrandContainsFold(q),
			func(s *sql.Selector) {
				s.Where(sql.P(func(b *sql.Builder) {
					b.WriteString("EXISTS (SELECT 1 FROM jsonb_each(").Ident(s.C(stagedproduct.FieldItems)).
						WriteString(") AS i(lang, item) WHERE i.item ->> 'gtin' = ").Arg(q).WriteString(")")
				}))
			},
		))
	}
	if p.Availability != "" {
		ps = append(ps, stagedproduct.Availability(p.Availability))
	}
	if p.Brand != "" {
		ps = append(ps, stagedproduct.BrandEqualFold(p.Brand))
	}
	if p.Category != "" {
		ps = append(ps, stagedproduct.CategoryHasPrefix(p.Category))
	}
	if p.Selected != nil {
		if *p.Selected {
			ps = append(ps, stagedproduct.HasSelection())
		} else {
			ps = append(ps, stagedproduct.Not(stagedproduct.HasSelection()))
		}
	}
	if p.Published != nil {
		if *p.Published {
			ps = append(ps, stagedproduct.HasProduct())
		} else {
			ps = append(ps, stagedproduct.Not(stagedproduct.HasProduct()))
		}
	}
	if p.Missing != nil {
		if *p.Missing {
			ps = append(ps, stagedproduct.MissingSinceJobNotNil())
		} else {
			ps = append(ps, stagedproduct.MissingSinceJobIsNil())
		}
	}
	if p.Changed {
		last, err := c.ImportJob.Query().
			Where(importjob.DryRun(false), importjob.StatusIn(importjob.StatusSucceeded, importjob.StatusPartiallyFailed)).
			Order(importjob.ByID(sql.OrderDesc())).First(ctx)
		switch {
		case tenant.IsNotFound(err):
			ps = append(ps, stagedproduct.ID(-1))
		case err != nil:
			return nil, err
		default:
			ps = append(ps, stagedproduct.ChangedJob(last.ID))
		}
	}
	if p.JobID > 0 {
		job := p.JobID
		ps = append(ps, func(s *sql.Selector) {
			t := sql.Table(importchange.Table)
			s.Where(sql.Exists(sql.Select(t.C(importchange.FieldID)).From(t).
				Where(sql.And(sql.EQ(t.C(importchange.FieldJobID), job), sql.ColumnsEQ(t.C(importchange.FieldFeedID), s.C(stagedproduct.FieldFeedID))))))
		})
	}
	return ps, nil
}

// Select marks staged products as chosen for publishing (selected true) or
// not, by ids or by every product matching a filter; it returns how many
// changed.
func (s *Service) Select(ctx context.Context, ids []int, filter *StagedParams, selected bool) (int, error) {
	if len(ids) > MaxSelect {
		return 0, fault.Fields("too many ids", map[string]string{"ids": fmt.Sprintf("at most %d per call; select by filter for more", MaxSelect)})
	}
	if len(ids) == 0 && filter == nil {
		return 0, fault.Fields("nothing to select", map[string]string{"ids": "give ids or a filter"})
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return 0, err
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids))) // an id given twice is one product
	q := c.StagedProduct.Query()
	if filter != nil {
		preds, err := stagedFilters(ctx, c, *filter)
		if err != nil {
			return 0, err
		}
		q.Where(preds...)
	}
	if len(ids) > 0 {
		q.Where(stagedproduct.IDIn(ids...))
	}
	found, err := q.IDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("marketplace: select: %w", err)
	}
	if len(ids) > 0 && len(found) < len(ids) {
		missing := []string{}
		have := map[int]bool{}
		for _, id := range found {
			have[id] = true
		}
		for _, id := range ids {
			if !have[id] {
				missing = append(missing, fmt.Sprint(id))
			}
		}
		return 0, fault.Fields("unknown imported products", map[string]string{"ids": "not found: " + strings.Join(missing, ", ")})
	}
	// Each chunk is one array parameter, however many products a filter
	// matched (one parameter per id would stop at PostgreSQL's 65,535).
	stmt := `INSERT INTO staged_selections (staged_product_id, selected_at)
		SELECT unnest($1::bigint[]), now() ON CONFLICT (staged_product_id) DO NOTHING`
	if !selected {
		stmt = `DELETE FROM staged_selections WHERE staged_product_id = ANY($1::bigint[])`
	}
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for chunk := range slices.Chunk(found, 1000) {
		res, err := tx.ExecContext(ctx, stmt, intArray(chunk))
		if err != nil {
			return 0, fmt.Errorf("marketplace: select: %w", err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}
