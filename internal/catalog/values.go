package catalog

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/internal/letzshop"
)

// The synced fields: what a product published from the marketplace takes from
// the feed, each under the key that names it in overrides, sources and drift
// reports. Titles and descriptions are per language: "title.fr".
const (
	FieldPrice     = "price"      // {"cents": 2490, "currency": "EUR"}
	FieldSalePrice = "sale_price" // {"cents": ..} or null
	FieldStock     = "stock"      // integer or null (not tracked)
	FieldVAT       = "vat_rate"   // basis points or null (the vendor's default)
	FieldBrand     = "brand"
	FieldGTIN      = "gtin"
	FieldImages    = "images"
	FieldGroup     = "item_group_id"
	titlePrefix    = "title."
	descPrefix     = "description."
)

// TitleField and DescriptionField name one language's text.
func TitleField(lang string) string       { return titlePrefix + lang }
func DescriptionField(lang string) string { return descPrefix + lang }

// Values is a set of synced fields, each as JSON.
type Values map[string]json.RawMessage

// state is a product's synced fields in Go form; get and set translate
// between it and Values keys.
type state struct {
	Title       map[string]string
	Description map[string]string
	PriceCents  int64
	Currency    string
	SalePrice   *int64
	Stock       *int
	VAT         *int
	Brand       string
	GTIN        string
	Images      []string
	Group       string
}

func stateOf(p *tenant.Product) *state {
	return &state{
		Title: clone(p.Title), Description: clone(p.Description),
		PriceCents: p.PriceCents, Currency: p.Currency, SalePrice: p.SalePriceCents,
		Stock: p.Stock, VAT: p.VatRateBp, Brand: p.Brand, GTIN: p.Gtin, Images: p.Images, Group: p.ItemGroupID,
	}
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain values are marshalled here
	}
	return b
}

// keys lists the fields s holds (languages included), sorted.
func (s *state) keys() []string {
	ks := []string{FieldPrice, FieldSalePrice, FieldStock, FieldVAT, FieldBrand, FieldGTIN, FieldImages, FieldGroup}
	for l := range s.Title {
		ks = append(ks, TitleField(l))
	}
	for l := range s.Description {
		ks = append(ks, DescriptionField(l))
	}
	slices.Sort(ks)
	return ks
}

func (s *state) get(key string) json.RawMessage {
	switch key {
	case FieldPrice:
		return mustJSON(letzshop.Money{Cents: s.PriceCents, Currency: s.Currency})
	case FieldSalePrice:
		if s.SalePrice == nil {
			return json.RawMessage("null")
		}
		return mustJSON(letzshop.Money{Cents: *s.SalePrice, Currency: s.Currency})
	case FieldStock:
		return mustJSON(s.Stock)
	case FieldVAT:
		return mustJSON(s.VAT)
	case FieldBrand:
		return mustJSON(s.Brand)
	case FieldGTIN:
		return mustJSON(s.GTIN)
	case FieldImages:
		if s.Images == nil {
			return mustJSON([]string{})
		}
		return mustJSON(s.Images)
	case FieldGroup:
		return mustJSON(s.Group)
	}
	if l, ok := strings.CutPrefix(key, titlePrefix); ok {
		if v, ok := s.Title[l]; ok {
			return mustJSON(v)
		}
		return json.RawMessage("null")
	}
	if l, ok := strings.CutPrefix(key, descPrefix); ok {
		if v, ok := s.Description[l]; ok {
			return mustJSON(v)
		}
	}
	return json.RawMessage("null")
}

// set assigns one field from its JSON; null clears it (a language's text
// is removed).
func (s *state) set(key string, v json.RawMessage) error {
	null := len(v) == 0 || string(v) == "null"
	switch key {
	case FieldPrice:
		var m letzshop.Money
		if null {
			return fmt.Errorf("price cannot be cleared")
		}
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		s.PriceCents, s.Currency = m.Cents, m.Currency
		return nil
	case FieldSalePrice:
		if null {
			s.SalePrice = nil
			return nil
		}
		var m letzshop.Money
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		s.SalePrice = &m.Cents
		return nil
	case FieldStock:
		s.Stock = nil
		if null {
			return nil
		}
		return json.Unmarshal(v, &s.Stock)
	case FieldVAT:
		s.VAT = nil
		if null {
			return nil
		}
		return json.Unmarshal(v, &s.VAT)
	case FieldBrand:
		s.Brand = ""
		if null {
			return nil
		}
		return json.Unmarshal(v, &s.Brand)
	case FieldGTIN:
		s.GTIN = ""
		if null {
			return nil
		}
		return json.Unmarshal(v, &s.GTIN)
	case FieldImages:
		s.Images = nil
		if null {
			return nil
		}
		return json.Unmarshal(v, &s.Images)
	case FieldGroup:
		s.Group = ""
		if null {
			return nil
		}
		return json.Unmarshal(v, &s.Group)
	}
	text := func(m map[string]string, lang string) error {
		if null {
			delete(m, lang)
			return nil
		}
		var t string
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		m[lang] = t
		return nil
	}
	if l, ok := strings.CutPrefix(key, titlePrefix); ok {
		return text(s.Title, l)
	}
	if l, ok := strings.CutPrefix(key, descPrefix); ok {
		return text(s.Description, l)
	}
	return fmt.Errorf("unknown field %q", key)
}

// sameJSON compares two JSON values by meaning: jsonb hands back what it
// was given re-spaced, and a missing value is null.
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if len(a) > 0 {
		if json.Unmarshal(a, &x) != nil {
			return false
		}
	}
	if len(b) > 0 {
		if json.Unmarshal(b, &y) != nil {
			return false
		}
	}
	return reflect.DeepEqual(x, y)
}

// SourceOf is what the feed says for each synced field of a staged product:
// shared fields from the first language of order that has the product (the
// primary language wins where files disagree; the import reports those),
// texts from every language.
func SourceOf(items map[string]letzshop.Item, order []string) Values {
	langs := make([]string, 0, len(items))
	for l := range items {
		langs = append(langs, l)
	}
	slices.SortFunc(langs, func(a, b string) int {
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		if ia < 0 {
			ia = len(order)
		}
		if ib < 0 {
			ib = len(order)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	out := Values{}
	if len(langs) == 0 {
		return out
	}
	p := items[langs[0]]
	if p.Price != nil {
		out[FieldPrice] = mustJSON(p.Price)
	} else {
		out[FieldPrice] = json.RawMessage("null")
	}
	out[FieldSalePrice] = mustJSON(p.SalePrice)
	stock := p.Quantity
	if stock == nil && p.Availability == letzshop.OutOfStock {
		zero := 0
		stock = &zero
	}
	out[FieldStock] = mustJSON(stock)
	out[FieldVAT] = mustJSON(p.TaxRateBasis)
	out[FieldBrand] = mustJSON(p.Brand)
	out[FieldGTIN] = mustJSON(p.GTIN)
	images := []string{}
	if p.ImageLink != "" {
		images = append(images, p.ImageLink)
	}
	images = append(images, p.AdditionalImages...)
	out[FieldImages] = mustJSON(images)
	out[FieldGroup] = mustJSON(p.ItemGroupID)
	for _, l := range langs {
		it := items[l]
		out[TitleField(l)] = mustJSON(it.Title)
		if it.Description != "" {
			out[DescriptionField(l)] = mustJSON(it.Description)
		}
	}
	return out
}
