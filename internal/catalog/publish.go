package catalog

import (
	"context"
	"fmt"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/ent/tenant/stagedproduct"
	"github.com/bazaar/bazaar/internal/fault"
)

// publishChunk is how many selected products one bulk publish writes per
// statement.
const publishChunk = 500

// Publish makes a product of a staged product: its fields from the feed
// (shared fields from the primary language, texts from every language),
// with in's fields as overrides. The SKU is the feed's id.
func (s *Service) Publish(ctx context.Context, stagedID int, in Input) (Product, error) {
	c, err := client(ctx)
	if err != nil {
		return Product{}, err
	}
	sp, err := c.StagedProduct.Query().Where(stagedproduct.ID(stagedID)).WithProduct().Only(ctx)
	if err != nil {
		return Product{}, notFound(err, "imported product")
	}
	if sp.Edges.Product != nil {
		return Product{}, fault.New(fault.Conflict, "imported product %d is already published as product %d", stagedID, sp.Edges.Product.ID)
	}
	order, err := Languages(ctx)
	if err != nil {
		return Product{}, err
	}
	bad := map[string]string{}
	if in.SKU != nil {
		bad["sku"] = "is the feed's id for an imported product and cannot be set"
	}
	b, bad := s.fromStaged(c, sp, order, &in, bad)
	if err := fault.Fields("the product cannot be published", bad); err != nil {
		return Product{}, err
	}
	p, err := b.Save(ctx)
	if err != nil {
		return Product{}, constraintError(err)
	}
	return view(p), nil
}

// fromStaged builds the create of sp's product with in applied (nil: none).
func (s *Service) fromStaged(c *tenant.Client, sp *tenant.StagedProduct, order []string, in *Input, bad map[string]string) (*tenant.ProductCreate, map[string]string) {
	src := SourceOf(sp.Items, order)
	st := &state{Title: map[string]string{}, Description: map[string]string{}, Currency: "EUR"}
	noPrice := string(src[FieldPrice]) == "null"
	for k, v := range src {
		if k == FieldPrice && noPrice {
			continue
		}
		if err := st.set(k, v); err != nil {
			bad[k] = "the feed's value is not usable: " + err.Error()
		}
	}
	status := product.StatusActive
	if in != nil {
		sku := sp.FeedID
		in.apply(st, &sku, &status, bad)
	}
	if noPrice && (in == nil || in.PriceCents == nil) {
		bad["price_cents"] = "the feed gives no price for this product: set one"
	}
	if len(st.Title) == 0 {
		bad["title"] = "the feed gives no title"
	}
	return createFrom(c.Product.Create(), st).
		SetSku(sp.FeedID).SetStatus(status).SetStagedProductID(sp.ID).
		SetSource(src).SetOverridden(overrides(st, src)), bad
}

// Skipped is a selected product a bulk publish left out, and why.
type Skipped struct {
	StagedProductID int    `json:"staged_product_id"`
	FeedID          string `json:"feed_id"`
	Reason          string `json:"reason"`
}

// PublishResult is what a bulk publish did.
type PublishResult struct {
	Published int       `json:"published"`
	Skipped   []Skipped `json:"skipped"`
}

// PublishSelected publishes every selected staged product that is not yet in
// the catalogue, a chunk of rows per statement. Products that cannot be
// published (no price, an SKU a hand-made product already uses) are listed
// with the reason and the rest go on.
func (s *Service) PublishSelected(ctx context.Context) (PublishResult, error) {
	res := PublishResult{Skipped: []Skipped{}}
	c, err := client(ctx)
	if err != nil {
		return res, err
	}
	order, err := Languages(ctx)
	if err != nil {
		return res, err
	}
	after := 0
	for {
		chunk, err := c.StagedProduct.Query().
			Where(stagedproduct.IDGT(after), stagedproduct.HasSelection(), stagedproduct.Not(stagedproduct.HasProduct())).
			Select(stagedproduct.FieldFeedID, stagedproduct.FieldItems). // not the raw columns: a third of the row
			Order(stagedproduct.ByID()).Limit(publishChunk).All(ctx)
		if err != nil {
			return res, fmt.Errorf("catalog: selected products: %w", err)
		}
		if len(chunk) == 0 {
			return res, nil
		}
		after = chunk[len(chunk)-1].ID
		skus := make([]string, len(chunk))
		for i, sp := range chunk {
			skus[i] = sp.FeedID
		}
		taken, err := c.Product.Query().Where(product.SkuIn(skus...)).Select(product.FieldSku).Strings(ctx)
		if err != nil {
			return res, fmt.Errorf("catalog: selected products: %w", err)
		}
		used := map[string]bool{}
		for _, sku := range taken {
			used[sku] = true
		}
		var creates []*tenant.ProductCreate
		for _, sp := range chunk {
			if used[sp.FeedID] {
				res.Skipped = append(res.Skipped, Skipped{sp.ID, sp.FeedID, "a product with this SKU already exists"})
				continue
			}
			b, bad := s.fromStaged(c, sp, order, nil, map[string]string{})
			if len(bad) > 0 {
				res.Skipped = append(res.Skipped, Skipped{sp.ID, sp.FeedID, firstReason(bad)})
				continue
			}
			creates = append(creates, b)
		}
		if len(creates) > 0 {
			if err := c.Product.CreateBulk(creates...).Exec(ctx); err != nil {
				return res, constraintError(err)
			}
		}
		res.Published += len(creates)
	}
}

func firstReason(bad map[string]string) string {
	keys := make([]string, 0, len(bad))
	for k := range bad {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return ""
	}
	k := keys[0]
	for _, x := range keys {
		if x < k {
			k = x
		}
	}
	return k + ": " + bad[k]
}
