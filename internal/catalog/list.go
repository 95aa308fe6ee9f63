package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/predicate"
	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/ent/tenant/stagedproduct"
	"github.com/bazaar/bazaar/internal/page"
)

// Page limits of the product listings.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Limits bound a product listing's pages.
var Limits = page.Bounds{Default: DefaultLimit, Max: MaxLimit}

// Sorts a listing accepts; a leading "-" sorts descending.
var sorts = map[string]string{
	"created": product.FieldID, // ids grow with creation
	"price":   product.FieldPriceCents,
	"sku":     product.FieldSku,
	"updated": product.FieldUpdatedAt,
}

// ListParams select a page of products.
type ListParams struct {
	Limit      int    // 1..MaxLimit; 0 means DefaultLimit
	Cursor     string // from a previous Page
	Sort       string // created (default), price, sku, updated; "-" prefix for descending
	Query      string // matches SKU, brand, GTIN or a title in any language
	Status     string // draft, active, archived
	Brand      string
	Group      string // variants: the products of one item group
	Imported   *bool  // published from the marketplace or made by hand
	Overridden *bool  // has fields that no longer follow the feed
	Drift      *bool  // has drift reports waiting
	// SourceMissing: published from a staged product the latest feed no
	// longer lists.
	SourceMissing *bool
	MinPrice      *int64
	MaxPrice      *int64
}

// cursor is where a page ended: the sort value and id of its last row. It
// travels through the client, so a decoded one is checked like any input: its
// value must have the sort column's type and be one a row can hold.
type cursor struct {
	Sort  string          `json:"s"`
	Value json.RawMessage `json:"v"`
	ID    int             `json:"i"`
}

// List returns a page of the vendor's products matching p in a stable order
// (keyset pagination on the sort column and id: pages neither skip nor
// repeat rows when products are added meanwhile).
func (s *Service) List(ctx context.Context, p ListParams) (page.Page[Product], error) {
	return list(ctx, p, false, view)
}

// ListShop is a shopper's listing: active products only, none of the
// vendor's bookkeeping filters, each product as ShopProduct.
func (s *Service) ListShop(ctx context.Context, p ListParams) (page.Page[ShopProduct], error) {
	return list(ctx, p, true, func(r *tenant.Product) ShopProduct { return shopView(view(r)) })
}

func list[T any](ctx context.Context, p ListParams, public bool, as func(*tenant.Product) T) (page.Page[T], error) {
	bad := map[string]string{}
	limit := Limits.Size(p.Limit, bad)
	if p.Sort == "" {
		p.Sort = "created"
	}
	desc := strings.HasPrefix(p.Sort, "-")
	col, ok := sorts[strings.TrimPrefix(p.Sort, "-")]
	if !ok {
		bad["sort"] = "must be created, price, sku or updated, with - for descending"
	}
	var after *position
	if p.Cursor != "" {
		if after = decodeCursor(p.Cursor, p.Sort, col); after == nil {
			bad[page.CursorField] = page.CursorProblem
		}
	}
	if p.Status != "" && product.StatusValidator(product.Status(p.Status)) != nil {
		bad["status"] = "must be draft, active or archived"
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[T]{}, err
	}
	c, err := client(ctx)
	if err != nil {
		return page.Page[T]{}, err
	}
	if public {
		p.Status, p.Imported, p.Overridden, p.Drift, p.SourceMissing = string(product.StatusActive), nil, nil, nil, nil
	}
	q := c.Product.Query().Where(filters(p)...)
	if after != nil {
		q.Where(keyset(col, desc, after))
	}
	if desc {
		q.Order(product.OrderOption(sql.OrderByField(col, sql.OrderDesc()).ToFunc()), product.ByID(sql.OrderDesc()))
	} else {
		q.Order(product.OrderOption(sql.OrderByField(col).ToFunc()), product.ByID())
	}
	if !public {
		q.WithStaged(withMissing)
	}
	rows, err := q.Limit(limit + 1).All(ctx)
	if err != nil {
		return page.Page[T]{}, fmt.Errorf("catalog: list products: %w", err)
	}
	return page.Of(rows, limit, as, func(last *tenant.Product) string {
		return encodeCursor(p.Sort, sortValue(col, last.ID, last.PriceCents, last.Sku, last.UpdatedAt), last.ID)
	}), nil
}

func sortValue(col string, id int, price int64, sku string, updated time.Time) any {
	switch col {
	case product.FieldPriceCents:
		return price
	case product.FieldSku:
		return sku
	case product.FieldUpdatedAt:
		return updated.Format(time.RFC3339Nano)
	}
	return id
}

// position is a decoded cursor: the sort column's value, typed for the
// query, and the id of the last row seen.
type position struct {
	value any
	id    int
}

func keyset(col string, desc bool, after *position) predicate.Product {
	return func(s *sql.Selector) {
		cmp := sql.GT
		if desc {
			cmp = sql.LT
		}
		s.Where(sql.Or(cmp(s.C(col), after.value), sql.And(sql.EQ(s.C(col), after.value), cmp(s.C(product.FieldID), after.id))))
	}
}

func filters(p ListParams) []predicate.Product {
	var ps []predicate.Product
	if q := strings.TrimSpace(p.Query); q != "" {
		like := "%" + escapeLike(q) + "%"
		ps = append(ps, func(s *sql.Selector) {
			s.Where(sql.Or(
				foldedLike(s.C(product.FieldSku), like),
				foldedLike(s.C(product.FieldBrand), like),
				sql.EQ(s.C(product.FieldGtin), q),
				sql.P(func(b *sql.Builder) {
					b.WriteString("EXISTS (SELECT 1 FROM jsonb_each_text(").Ident(s.C(product.FieldTitle)).
						WriteString(") AS t(lang, text) WHERE ")
					b.Join(foldedLike(`"t"."text"`, like)).WriteString(")")
				}),
			))
		})
	}
	if p.Status != "" {
		ps = append(ps, product.StatusEQ(product.Status(p.Status)))
	}
	if p.Brand != "" {
		ps = append(ps, product.BrandEqualFold(p.Brand))
	}
	if p.Group != "" {
		ps = append(ps, product.ItemGroupID(p.Group))
	}
	if p.Imported != nil {
		if *p.Imported {
			ps = append(ps, product.StagedProductIDNotNil())
		} else {
			ps = append(ps, product.StagedProductIDIsNil())
		}
	}
	if p.Overridden != nil {
		ps = append(ps, func(s *sql.Selector) {
			cond := sql.P(func(b *sql.Builder) {
				b.WriteString("jsonb_array_length(coalesce(").Ident(s.C(product.FieldOverridden)).WriteString(", '[]'::jsonb)) > 0")
			})
			if !*p.Overridden {
				cond = sql.Not(cond)
			}
			s.Where(cond)
		})
	}
	if p.Drift != nil {
		if *p.Drift {
			ps = append(ps, product.HasDrifts())
		} else {
			ps = append(ps, product.Not(product.HasDrifts()))
		}
	}
	if p.SourceMissing != nil {
		gone := product.HasStagedWith(stagedproduct.MissingSinceJobNotNil())
		if !*p.SourceMissing {
			gone = product.Not(gone)
		}
		ps = append(ps, gone)
	}
	if p.MinPrice != nil {
		ps = append(ps, product.PriceCentsGTE(*p.MinPrice))
	}
	if p.MaxPrice != nil {
		ps = append(ps, product.PriceCentsLTE(*p.MaxPrice))
	}
	return ps
}

// foldedLike is col ILIKE pattern as PostgreSQL computes it in a UTF-8
// database — both sides lowercased, then LIKE — written out so that the
// pattern is lowercased once per query rather than once per row and column.
// A search that matches none of 10,000 products reads them all; alternating
// the two forms 25–40 times on such a table, this one took 13–20% less
// (BenchmarkBackOffice in internal/web measures the whole request).
func foldedLike(col, pattern string) *sql.Predicate {
	return sql.P(func(b *sql.Builder) {
		b.WriteString("lower(").Ident(col).WriteString(") LIKE lower(").Arg(pattern).WriteString(")")
	})
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func encodeCursor(sort string, value any, id int) string {
	v, _ := json.Marshal(value)
	return page.Encode(cursor{Sort: sort, Value: v, ID: id})
}

// decodeCursor reads a cursor of the listing sorted by sort (on column col),
// or returns nil when s is not one such a listing could have returned: not
// base64 JSON of the right shape (page.Decode), another sort, an id that is
// not positive, a value of the wrong type or one no row holds (a fraction for
// a price, a NUL in a SKU, a time that does not parse). Nothing forged
// reaches the query.
func decodeCursor(s, sort, col string) *position {
	var c cursor
	if !page.Decode(s, &c) || c.Sort != sort || c.ID < 1 || len(c.Value) == 0 || string(c.Value) == "null" {
		return nil
	}
	switch col {
	case product.FieldPriceCents:
		var v int64
		if json.Unmarshal(c.Value, &v) != nil {
			return nil
		}
		return &position{value: v, id: c.ID}
	case product.FieldSku:
		var v string
		if json.Unmarshal(c.Value, &v) != nil || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return nil
		}
		return &position{value: v, id: c.ID}
	case product.FieldUpdatedAt:
		var v string
		if json.Unmarshal(c.Value, &v) != nil {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil
		}
		return &position{value: t, id: c.ID}
	case product.FieldID:
		var v int
		if json.Unmarshal(c.Value, &v) != nil || v < 1 {
			return nil
		}
		return &position{value: v, id: c.ID}
	}
	return nil
}
