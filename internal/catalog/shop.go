package catalog

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/fault"
)

// ShopProduct is what a shopper sees of a product: what it is, what it costs
// and whether it can be had — nothing of how the vendor runs the catalogue
// (status, stock counts, where it was imported from, what was overridden).
type ShopProduct struct {
	ID             int               `json:"id"`
	SKU            string            `json:"sku"`
	Title          map[string]string `json:"title"`
	Description    map[string]string `json:"description"`
	PriceCents     int64             `json:"price_cents"` // VAT included
	SalePriceCents *int64            `json:"sale_price_cents"`
	Currency       string            `json:"currency"`
	VATRateBP      *int              `json:"vat_rate_bp"`
	Images         []string          `json:"images"`
	Brand          string            `json:"brand"`
	GTIN           string            `json:"gtin"`
	ItemGroupID    string            `json:"item_group_id"`
	Availability   string            `json:"availability"` // in_stock or out_of_stock
}

// Availabilities a shopper is told.
const (
	InStock    = "in_stock"
	OutOfStock = "out_of_stock"
)

// shopView is p as a shopper sees it. Stock that is not tracked (nil) never
// runs out.
func shopView(p Product) ShopProduct {
	avail := InStock
	if p.Stock != nil && *p.Stock <= 0 {
		avail = OutOfStock
	}
	return ShopProduct{
		ID: p.ID, SKU: p.SKU, Title: p.Title, Description: p.Description,
		PriceCents: p.PriceCents, SalePriceCents: p.SalePriceCents, Currency: p.Currency, VATRateBP: p.VATRateBP,
		Images: p.Images, Brand: p.Brand, GTIN: p.GTIN, ItemGroupID: p.ItemGroupID, Availability: avail,
	}
}

// Name is the title in the first of langs the product has, else any.
func (p ShopProduct) Name(langs ...string) string {
	return pick(p.Title, langs...)
}

// Price formats the price for display, e.g. "24.90 EUR".
func (p ShopProduct) Price() string { return money(p.PriceCents, p.Currency) }

// OnSale reports a sale price below the price.
func (p ShopProduct) OnSale() bool {
	return p.SalePriceCents != nil && *p.SalePriceCents < p.PriceCents
}

// SalePrice formats the sale price.
func (p ShopProduct) SalePrice() string {
	if p.SalePriceCents == nil {
		return ""
	}
	return money(*p.SalePriceCents, p.Currency)
}

// GetShopGroup is an active product with the active products of its item
// group (itself among them, by SKU; at most limit of them), in one query:
// the product page's content. A product in no group comes alone.
func (s *Service) GetShopGroup(ctx context.Context, id, limit int) (ShopProduct, []ShopProduct, error) {
	c, err := client(ctx)
	if err != nil {
		return ShopProduct{}, nil, err
	}
	rows, err := c.Product.Query().Where(product.StatusEQ(product.StatusActive), func(s *sql.Selector) {
		// The product itself, or one of its group: the group is read in a
		// subquery, so the page costs one round trip.
		group := sql.Select(product.FieldItemGroupID).From(sql.Table(product.Table)).
			Where(sql.And(sql.EQ(product.FieldID, id), sql.NEQ(product.FieldItemGroupID, "")))
		s.Where(sql.Or(sql.EQ(s.C(product.FieldID), id), sql.In(s.C(product.FieldItemGroupID), group)))
	}).Order(product.BySku(), product.ByID()).Limit(limit + 1).All(ctx)
	if err != nil {
		return ShopProduct{}, nil, fmt.Errorf("catalog: product and group: %w", err)
	}
	var self *ShopProduct
	group := make([]ShopProduct, 0, len(rows))
	for _, r := range rows {
		v := shopView(view(r))
		if r.ID == id {
			self = &v
		}
		if len(group) < limit || r.ID == id {
			group = append(group, v)
		}
	}
	if self == nil {
		return ShopProduct{}, nil, fault.New(fault.NotFound, "product not found")
	}
	if len(group) > limit { // the product itself came past the limit
		group = group[len(group)-limit:]
	}
	return *self, group, nil
}

// MaxBrands bounds the brands a shop's filter offers.
const MaxBrands = 200

// Brands are the brands of the shop's active products, in alphabetical
// order, at most MaxBrands: the choices of the shop's brand filter.
func (s *Service) Brands(ctx context.Context) ([]string, error) {
	c, err := client(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	err = c.Product.Query().Where(product.StatusEQ(product.StatusActive), product.BrandNEQ("")).
		Unique(true).Order(product.ByBrand()).Limit(MaxBrands).Select(product.FieldBrand).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("catalog: brands: %w", err)
	}
	return out, nil
}

// MaxSitemap bounds a shop's sitemap: the protocol's limit of URLs in one
// file.
const MaxSitemap = 50000

// Listed is an active product's id and when it last changed, for the
// shop's sitemap.
type Listed struct {
	ID        int
	UpdatedAt time.Time
}

// Sitemap lists the shop's active products, newest change first, at most
// MaxSitemap.
func (s *Service) Sitemap(ctx context.Context) ([]Listed, error) {
	c, err := client(ctx)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID        int       `json:"id"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	err = c.Product.Query().Where(product.StatusEQ(product.StatusActive)).
		Order(product.ByUpdatedAt(sql.OrderDesc()), product.ByID()).Limit(MaxSitemap).
		Select(product.FieldID, product.FieldUpdatedAt).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("catalog: sitemap: %w", err)
	}
	out := make([]Listed, len(rows))
	for i, r := range rows {
		out[i] = Listed(r)
	}
	return out, nil
}
