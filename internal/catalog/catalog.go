// Package catalog is a shop's product catalogue: products the vendor makes or
// publishes from the marketplace staging, the fields they override, and the
// drift a re-import finds under an override. Every method works on the tenant
// transaction bound to its context (tenantdb.Current) and so only ever
// sees the current vendor's products.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importconfig"
	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/ent/tenant/stagedproduct"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Service reads and writes the catalogue.
type Service struct{}

// New returns a catalogue service.
func New() *Service { return &Service{} }

// Product is a product as clients see it.
type Product struct {
	ID              int               `json:"id"`
	SKU             string            `json:"sku"`
	Title           map[string]string `json:"title"`
	Description     map[string]string `json:"description"`
	PriceCents      int64             `json:"price_cents"`
	SalePriceCents  *int64            `json:"sale_price_cents"`
	Currency        string            `json:"currency"`
	VATRateBP       *int              `json:"vat_rate_bp"`
	Stock           *int              `json:"stock"`
	Status          string            `json:"status"`
	Images          []string          `json:"images"`
	Brand           string            `json:"brand"`
	GTIN            string            `json:"gtin"`
	ItemGroupID     string            `json:"item_group_id"`
	StagedProductID *int              `json:"staged_product_id"`
	SourceMissing   bool              `json:"source_missing"` // the latest feed no longer lists it
	Overridden      []string          `json:"overridden"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
}

func money(cents int64, cur string) string {
	return fmt.Sprintf("%d.%02d %s", cents/100, cents%100, cur)
}

func pick(m map[string]string, langs ...string) string {
	for _, l := range append(langs, "en", "fr", "de") {
		if v := m[l]; v != "" {
			return v
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if m[k] != "" {
			return m[k]
		}
	}
	return ""
}

func view(p *tenant.Product) Product {
	ov := p.Overridden
	if ov == nil {
		ov = []string{}
	}
	images := p.Images
	if images == nil {
		images = []string{}
	}
	desc := p.Description
	if desc == nil {
		desc = map[string]string{}
	}
	missing := p.Edges.Staged != nil && p.Edges.Staged.MissingSinceJob != nil
	return Product{
		SourceMissing: missing,
		ID:            p.ID, SKU: p.Sku, Title: p.Title, Description: desc, PriceCents: p.PriceCents,
		SalePriceCents: p.SalePriceCents, Currency: p.Currency, VATRateBP: p.VatRateBp, Stock: p.Stock,
		Status: string(p.Status), Images: images, Brand: p.Brand, GTIN: p.Gtin, ItemGroupID: p.ItemGroupID,
		StagedProductID: p.StagedProductID, Overridden: ov, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func client(ctx context.Context) (*tenant.Client, error) { return tenantdb.Current(ctx) }

// Get returns one product.
func (s *Service) Get(ctx context.Context, id int) (Product, error) {
	c, err := client(ctx)
	if err != nil {
		return Product{}, err
	}
	p, err := c.Product.Query().Where(product.ID(id)).WithStaged(withMissing).Only(ctx)
	if err != nil {
		return Product{}, notFound(err, "product")
	}
	return view(p), nil
}

// withMissing loads of a product's staged product only what the view needs.
func withMissing(q *tenant.StagedProductQuery) {
	q.Select(stagedproduct.FieldID, stagedproduct.FieldMissingSinceJob)
}

// Delete removes a product; its drift reports go with it. The staged product
// it came from stays and may be published again.
func (s *Service) Delete(ctx context.Context, id int) error {
	c, err := client(ctx)
	if err != nil {
		return err
	}
	if err := c.Product.DeleteOneID(id).Exec(ctx); err != nil {
		return notFound(err, "product")
	}
	return nil
}

func notFound(err error, what string) error {
	if tenant.IsNotFound(err) {
		return fault.New(fault.NotFound, "%s not found", what)
	}
	return fmt.Errorf("catalog: %w", err)
}

// Languages is the vendor's feed languages in order (the first is primary);
// empty when imports are not configured.
func Languages(ctx context.Context) ([]string, error) {
	c, err := client(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := c.ImportConfig.Query().Where(importconfig.Marketplace("letzshop")).Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cfg.Feeds))
	for i, f := range cfg.Feeds {
		out[i] = f.Language
	}
	return out, nil
}

// constraintError turns a unique violation on sku into a field error.
func constraintError(err error) error {
	if tenant.IsConstraintError(err) && strings.Contains(err.Error(), "sku") {
		return fault.Fields("the product could not be saved", map[string]string{"sku": "is already used by another product"})
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("catalog: %w", err)
}
