package vendor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/predicate"
	entvendor "github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// ListLimits bound a page of the vendor list.
var ListLimits = page.Bounds{Default: 50, Max: 200}

// ListParams select and order the vendor list.
type ListParams struct {
	Query  string // in the name, the slug, the business e-mail or a member's e-mail
	Status string // active or suspended; "" for both
	Sort   string // name, slug or created (the default), with - for descending
	page.Request
}

// The sorts of the list and their columns.
var listSorts = map[string]string{"name": entvendor.FieldName, "slug": entvendor.FieldSlug, "created": entvendor.FieldCreatedAt}

// listCursor is where a page ended: the sort, its column's value, the id.
type listCursor struct {
	Sort  string `json:"s"`
	Value string `json:"v"`
	ID    int    `json:"i"`
}

// List returns a page of vendors matching p, each with its figures, keyset
// paged on the sort column and id.
func (s *Service) List(ctx context.Context, p ListParams) (page.Page[Vendor], error) {
	bad := map[string]string{}
	limit := ListLimits.Size(p.Limit, bad)
	if p.Sort == "" {
		p.Sort = "created"
	}
	desc := strings.HasPrefix(p.Sort, "-")
	col, ok := listSorts[strings.TrimPrefix(p.Sort, "-")]
	if !ok {
		bad["sort"] = "must be name, slug or created, with - for descending"
	}
	if p.Status != "" && entvendor.StatusValidator(entvendor.Status(p.Status)) != nil {
		bad["status"] = "must be active or suspended"
	}
	if len(p.Query) > 254 {
		bad["q"] = "must be at most 254 characters"
	}
	var after *listCursor
	var afterValue any
	if p.Cursor != "" && ok {
		var c listCursor
		if !page.Decode(p.Cursor, &c) || c.Sort != p.Sort || c.ID < 1 {
			bad[page.CursorField] = page.CursorProblem
		} else if afterValue = cursorValue(col, c.Value); afterValue == nil {
			bad[page.CursorField] = page.CursorProblem
		} else {
			after = &c
		}
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[Vendor]{}, err
	}
	q := s.db.Platform().Vendor.Query()
	if t := strings.TrimSpace(p.Query); t != "" {
		q.Where(matching(t))
	}
	if p.Status != "" {
		q.Where(entvendor.StatusEQ(entvendor.Status(p.Status)))
	}
	if after != nil {
		q.Where(func(sel *sql.Selector) {
			cmp := sql.GT
			if desc {
				cmp = sql.LT
			}
			sel.Where(sql.Or(cmp(sel.C(col), afterValue),
				sql.And(sql.EQ(sel.C(col), afterValue), cmp(sel.C(entvendor.FieldID), after.ID))))
		})
	}
	if desc {
		q.Order(entvendor.OrderOption(sql.OrderByField(col, sql.OrderDesc()).ToFunc()), entvendor.ByID(sql.OrderDesc()))
	} else {
		q.Order(entvendor.OrderOption(sql.OrderByField(col).ToFunc()), entvendor.ByID())
	}
	rows, err := q.Limit(limit + 1).All(ctx)
	if err != nil {
		return page.Page[Vendor]{}, fmt.Errorf("vendor: list: %w", err)
	}
	pg := page.Of(rows, limit, s.view, func(last *platform.Vendor) string {
		v := last.Name
		switch col {
		case entvendor.FieldSlug:
			v = last.Slug
		case entvendor.FieldCreatedAt:
			v = last.CreatedAt.UTC().Format(time.RFC3339Nano)
		}
		return page.Encode(listCursor{Sort: p.Sort, Value: v, ID: last.ID})
	})
	if err := s.withFigures(ctx, pg.Items); err != nil {
		return page.Page[Vendor]{}, err
	}
	return pg, nil
}

// cursorValue is a cursor's value typed for its column, or nil when it is
// not one a row can hold.
func cursorValue(col, v string) any {
	switch col {
	case entvendor.FieldCreatedAt:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil
		}
		return t
	case entvendor.FieldSlug:
		if tenantdb.ValidateSlug(v) != nil {
			return nil
		}
	}
	if v == "" || len(v) > 200 {
		return nil
	}
	return v
}

// matching finds t in a vendor's name, slug or business e-mail, or in the
// e-mail of one of its members (case-insensitive).
func matching(t string) predicate.Vendor {
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(t) + "%"
	return func(s *sql.Selector) {
		s.Where(sql.Or(
			sql.ContainsFold(s.C(entvendor.FieldName), t),
			sql.ContainsFold(s.C(entvendor.FieldSlug), t),
			sql.ContainsFold(s.C(entvendor.FieldBusinessEmail), t),
			sql.P(func(b *sql.Builder) {
				b.WriteString("EXISTS (SELECT 1 FROM ").Ident(tenantdb.PlatformSchema).WriteString(".memberships m JOIN ").
					Ident(tenantdb.PlatformSchema).WriteString(".users u ON u.id = m.user_id WHERE m.vendor_id = ").
					Ident(s.C(entvendor.FieldID)).WriteString(" AND u.email ILIKE ").Arg(like).WriteString(")")
			}),
		))
	}
}
