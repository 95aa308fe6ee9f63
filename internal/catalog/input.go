package catalog

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/internal/locale"
)

// Nullable is a JSON field that may be absent (leave as is), null (clear) or
// a value.
type Nullable[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON records that the field was present.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// Of returns a Nullable holding v.
func Of[T any](v T) Nullable[T] { return Nullable[T]{Set: true, Value: &v} }

// Input creates or changes a product. Absent fields are left as they are; a
// null title or description of one language removes that language.
type Input struct {
	SKU            *string            `json:"sku"`
	Title          map[string]*string `json:"title"`
	Description    map[string]*string `json:"description"`
	PriceCents     *int64             `json:"price_cents"`
	SalePriceCents Nullable[int64]    `json:"sale_price_cents"`
	Currency       *string            `json:"currency"`
	VATRateBP      Nullable[int]      `json:"vat_rate_bp"`
	Stock          Nullable[int]      `json:"stock"`
	Status         *string            `json:"status"`
	Images         *[]string          `json:"images"`
	Brand          *string            `json:"brand"`
	GTIN           *string            `json:"gtin"`
	ItemGroupID    *string            `json:"item_group_id"`
}

// Limits of product fields (the feed format's, where it has them).
const (
	MaxSKU         = 50
	MaxTitle       = 150
	MaxDescription = 5000
	MaxImages      = 20
	MaxPriceCents  = 100_000_000_00 // a hundred million
	MaxStock       = 1_000_000_000
)

// apply validates in and applies it to st, sku and status, naming every bad
// field in bad. Each part checks one kind of field.
func (in *Input) apply(st *state, sku *string, status *product.Status, bad map[string]string) {
	in.applySKU(sku, bad)
	in.applyTexts(st, bad)
	in.applyPricing(st, bad)
	in.applyStockAndStatus(st, status, bad)
	in.applyDetails(st, bad)
}

func (in *Input) applySKU(sku *string, bad map[string]string) {
	if in.SKU == nil {
		return
	}
	v := strings.TrimSpace(*in.SKU)
	switch {
	case v == "":
		bad["sku"] = "is required"
	case len(v) > MaxSKU:
		bad["sku"] = fmt.Sprintf("must be at most %d characters", MaxSKU)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		bad["sku"] = "must not contain control characters"
	default:
		*sku = v
	}
}

// applyTexts sets or removes the title and description per language; a
// product keeps a title in at least one.
func (in *Input) applyTexts(st *state, bad map[string]string) {
	texts := func(name string, in map[string]*string, out map[string]string, max int) {
		for lang, v := range in {
			key := name + "." + lang
			switch {
			case !locale.IsLanguage(lang):
				bad[key] = "is not a two-letter language code"
			case v == nil:
				delete(out, lang)
			case strings.TrimSpace(*v) == "":
				bad[key] = "must not be empty (send null to remove the language)"
			case len([]rune(*v)) > max:
				bad[key] = fmt.Sprintf("must be at most %d characters", max)
			default:
				out[lang] = *v
			}
		}
	}
	texts("title", in.Title, st.Title, MaxTitle)
	texts("description", in.Description, st.Description, MaxDescription)
	if len(st.Title) == 0 {
		bad["title"] = "needs a title in at least one language"
	}
}

// applyPricing sets the price, sale price, currency and VAT rate; a sale
// price is checked against the price the product ends up with.
func (in *Input) applyPricing(st *state, bad map[string]string) {
	if in.PriceCents != nil {
		if *in.PriceCents < 0 || *in.PriceCents > MaxPriceCents {
			bad["price_cents"] = fmt.Sprintf("must be between 0 and %d", int64(MaxPriceCents))
		} else {
			st.PriceCents = *in.PriceCents
		}
	}
	if in.SalePriceCents.Set {
		st.SalePrice = in.SalePriceCents.Value
	}
	if st.SalePrice != nil && (*st.SalePrice < 0 || *st.SalePrice > st.PriceCents) {
		bad["sale_price_cents"] = "must be between 0 and the price"
	}
	if in.Currency != nil {
		if !locale.IsCurrency(*in.Currency) {
			bad["currency"] = "must be an ISO 4217 code such as EUR"
		} else {
			st.Currency = *in.Currency
		}
	}
	if in.VATRateBP.Set {
		if v := in.VATRateBP.Value; v != nil && (*v < 0 || *v > 10000) {
			bad["vat_rate_bp"] = "must be between 0 and 10000 basis points (17% is 1700)"
		} else {
			st.VAT = v
		}
	}
}

func (in *Input) applyStockAndStatus(st *state, status *product.Status, bad map[string]string) {
	if in.Stock.Set {
		if v := in.Stock.Value; v != nil && (*v < 0 || *v > MaxStock) {
			bad["stock"] = fmt.Sprintf("must be between 0 and %d (null: not tracked)", MaxStock)
		} else {
			st.Stock = v
		}
	}
	if in.Status != nil {
		if err := product.StatusValidator(product.Status(*in.Status)); err != nil {
			bad["status"] = "must be draft, active or archived"
		} else {
			*status = product.Status(*in.Status)
		}
	}
}

// applyDetails sets the images, brand, GTIN and item group.
func (in *Input) applyDetails(st *state, bad map[string]string) {
	if in.Images != nil {
		imgs := *in.Images
		if len(imgs) > MaxImages {
			bad["images"] = fmt.Sprintf("at most %d images", MaxImages)
		}
		for i, u := range imgs {
			if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(u) > 2000 {
				bad[fmt.Sprintf("images[%d]", i)] = "must be an http or https URL"
			}
		}
		st.Images = imgs
	}
	if in.Brand != nil {
		if len([]rune(*in.Brand)) > 150 {
			bad["brand"] = "must be at most 150 characters"
		} else {
			st.Brand = strings.TrimSpace(*in.Brand)
		}
	}
	if in.GTIN != nil {
		v := strings.TrimSpace(*in.GTIN)
		if v != "" {
			if p := letzshop.GTINProblem(v); p != "" {
				bad["gtin"] = p
			}
		}
		st.GTIN = v
	}
	if in.ItemGroupID != nil {
		if len(*in.ItemGroupID) > MaxSKU {
			bad["item_group_id"] = fmt.Sprintf("must be at most %d characters", MaxSKU)
		} else {
			st.Group = strings.TrimSpace(*in.ItemGroupID)
		}
	}
}
