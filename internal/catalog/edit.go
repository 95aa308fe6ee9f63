package catalog

import (
	"context"
	"slices"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/fault"
)

// Create adds a product the vendor makes by hand. sku, title and price_cents
// are required; status defaults to active, currency to EUR.
func (s *Service) Create(ctx context.Context, in Input) (Product, error) {
	bad := map[string]string{}
	if in.SKU == nil {
		bad["sku"] = "is required"
	}
	if in.PriceCents == nil {
		bad["price_cents"] = "is required"
	}
	st := &state{Title: map[string]string{}, Description: map[string]string{}, Currency: "EUR"}
	sku, status := "", product.StatusActive
	in.apply(st, &sku, &status, bad)
	if err := fault.Fields("the product is not valid", bad); err != nil {
		return Product{}, err
	}
	c, err := client(ctx)
	if err != nil {
		return Product{}, err
	}
	p, err := createFrom(c.Product.Create(), st).SetSku(sku).SetStatus(status).Save(ctx)
	if err != nil {
		return Product{}, constraintError(err)
	}
	return view(p), nil
}

func createFrom(b *tenant.ProductCreate, st *state) *tenant.ProductCreate {
	return b.SetTitle(st.Title).SetDescription(st.Description).
		SetPriceCents(st.PriceCents).SetCurrency(st.Currency).SetNillableSalePriceCents(st.SalePrice).
		SetNillableVatRateBp(st.VAT).SetNillableStock(st.Stock).SetImages(st.Images).
		SetBrand(st.Brand).SetGtin(st.GTIN).SetItemGroupID(st.Group)
}

func updateFrom(b *tenant.ProductUpdateOne, st *state) *tenant.ProductUpdateOne {
	b.SetTitle(st.Title).SetDescription(st.Description).
		SetPriceCents(st.PriceCents).SetCurrency(st.Currency).SetImages(st.Images).
		SetBrand(st.Brand).SetGtin(st.GTIN).SetItemGroupID(st.Group)
	if st.SalePrice != nil {
		b.SetSalePriceCents(*st.SalePrice)
	} else {
		b.ClearSalePriceCents()
	}
	if st.VAT != nil {
		b.SetVatRateBp(*st.VAT)
	} else {
		b.ClearVatRateBp()
	}
	if st.Stock != nil {
		b.SetStock(*st.Stock)
	} else {
		b.ClearStock()
	}
	return b
}

// Update changes a product. On a product published from the marketplace,
// every synced field whose value now differs from the feed's becomes an
// override (kept through re-imports), and one set back to the feed's value
// follows the feed again.
func (s *Service) Update(ctx context.Context, id int, in Input) (Product, error) {
	c, p, err := lockProduct(ctx, id)
	if err != nil {
		return Product{}, err
	}
	st := stateOf(p)
	sku, status := p.Sku, p.Status
	bad := map[string]string{}
	in.apply(st, &sku, &status, bad)
	if err := fault.Fields("the product is not valid", bad); err != nil {
		return Product{}, err
	}
	b := updateFrom(p.Update(), st).SetSku(sku).SetStatus(status)
	if p.StagedProductID != nil {
		b.SetOverridden(overrides(st, p.Source))
	}
	p, err = b.Save(ctx)
	if err != nil {
		return Product{}, constraintError(err)
	}
	if err := s.dropSettledDrift(ctx, c, p); err != nil {
		return Product{}, err
	}
	return s.Get(ctx, p.ID)
}

// lockProduct reads a product to change it, locking its row until the
// transaction ends.
func lockProduct(ctx context.Context, id int) (*tenant.Client, *tenant.Product, error) {
	c, err := client(ctx)
	if err != nil {
		return nil, nil, err
	}
	p, err := c.Product.Query().Where(product.ID(id)).ForUpdate().Only(ctx)
	if err != nil {
		return nil, nil, notFound(err, "product")
	}
	return c, p, nil
}

// overrides lists the synced fields whose value differs from the source.
func overrides(st *state, source Values) []string {
	keys := st.keys()
	for k := range source {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := []string{}
	for _, k := range keys {
		if !sameJSON(st.get(k), source[k]) {
			out = append(out, k)
		}
	}
	return out
}
