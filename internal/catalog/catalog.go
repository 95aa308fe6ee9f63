// Package catalog is a shop's product catalogue. Every method works on the
// tenant transaction bound to its context (tenantdb.FromContext) and so only
// ever sees the current vendor's products.
package catalog

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Page limits.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Service reads and writes the catalogue.
type Service struct{}

// New returns a catalogue service.
func New() *Service { return &Service{} }

// Product is a product as clients see it.
type Product struct {
	ID         int    `json:"id"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
	Currency   string `json:"currency"`
}

// Price formats the price for display, e.g. "24.90 EUR".
func (p Product) Price() string {
	return fmt.Sprintf("%d.%02d %s", p.PriceCents/100, p.PriceCents%100, p.Currency)
}

// Page is one page of a listing; NextCursor is empty on the last page.
type Page struct {
	Products   []Product `json:"products"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// ListParams select a page of products.
type ListParams struct {
	Limit  int    // 1..MaxLimit; 0 means DefaultLimit
	Cursor string // from a previous Page
}

// List returns products in a stable order (oldest first), a page at a time.
func (s *Service) List(ctx context.Context, p ListParams) (Page, error) {
	limit := p.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	bad := map[string]string{}
	if limit < 1 || limit > MaxLimit {
		bad["limit"] = fmt.Sprintf("must be between 1 and %d", MaxLimit)
	}
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		bad["cursor"] = "is not a cursor this API returned"
	}
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return Page{}, err
	}
	db, err := tenantdb.FromContext(ctx)
	if err != nil {
		return Page{}, err
	}
	rows, err := db.Product.Query().
		Where(product.IDGT(after)).
		Order(product.ByID()).
		Limit(limit + 1).
		All(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("catalog: list products: %w", err)
	}
	page := Page{Products: make([]Product, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			page.NextCursor = encodeCursor(rows[i-1].ID)
			break
		}
		page.Products = append(page.Products, view(r))
	}
	return page, nil
}

func view(p *tenant.Product) Product {
	return Product{ID: p.ID, SKU: p.Sku, Name: p.Name, PriceCents: p.PriceCents, Currency: p.Currency}
}

// Cursors are opaque to clients; today they carry the last id seen.
func encodeCursor(id int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p" + strconv.Itoa(id)))
}

func decodeCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 2 || b[0] != 'p' {
		return 0, fault.New(fault.Invalid, "bad cursor")
	}
	id, err := strconv.Atoi(string(b[1:]))
	if err != nil || id < 0 {
		return 0, fault.New(fault.Invalid, "bad cursor")
	}
	return id, nil
}
