package letzshop

import (
	"slices"
	"strconv"
	"strings"
)

// Localized is what a feed says in its own language; the files of one vendor
// differ here and only here.
type Localized struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Link        string `json:"link,omitempty"`
	ProductType string `json:"product_type,omitempty"`
	Color       string `json:"color,omitempty"`
	Size        string `json:"size,omitempty"`
	Gender      string `json:"gender,omitempty"`
	AgeGroup    string `json:"age_group,omitempty"`
	Material    string `json:"material,omitempty"`
	Pattern     string `json:"pattern,omitempty"`
}

// Localized returns the item's language-dependent fields.
func (it Item) Localized() Localized {
	return Localized{
		Title: it.Title, Description: it.Description, Link: it.Link, ProductType: it.ProductType,
		Color: it.Color, Size: it.Size, Gender: it.Gender, AgeGroup: it.AgeGroup, Material: it.Material, Pattern: it.Pattern,
	}
}

// Shared returns the fields every language's file should agree on, each as
// a comparable string ("" when absent), keyed by column name. An import
// compares them across a vendor's files and reports where they differ
// (which id, which field, which languages) rather than picking one.
func (it Item) Shared() map[string]string {
	money := func(m *Money) string {
		if m == nil {
			return ""
		}
		return strconv.FormatInt(m.Cents, 10) + " " + m.Currency
	}
	num := func(n *int) string {
		if n == nil {
			return ""
		}
		return strconv.Itoa(*n)
	}
	flag := func(b *bool) string {
		if b == nil {
			return ""
		}
		return strconv.FormatBool(*b)
	}
	boost := ""
	if it.BoostSort != nil {
		boost = strconv.FormatFloat(*it.BoostSort, 'f', -1, 64)
	}
	return map[string]string{
		"item_group_id":            it.ItemGroupID,
		"image_link":               it.ImageLink,
		"additional_image_link":    strings.Join(it.AdditionalImages, ","),
		"availability":             string(it.Availability),
		"price":                    money(it.Price),
		"sale_price":               money(it.SalePrice),
		"brand":                    it.Brand,
		"gtin":                     it.GTIN,
		"mpn":                      it.MPN,
		"condition":                it.Condition,
		"identifier_exists":        flag(it.IdentifierExists),
		"google_product_category":  it.GoogleCategory,
		"letzshop:tax_rate":        num(it.TaxRateBasis),
		"letzshop:quantity":        num(it.Quantity),
		"letzshop:delivery_method": it.DeliveryMethod,
		"letzshop:boost_sort":      boost,
		"letzshop:preorder_days":   num(it.PreorderDays),
	}
}

// Disagreement is one shared field on which a vendor's files differ.
type Disagreement struct {
	ID     string            `json:"id"`
	Field  string            `json:"field"`
	Values map[string]string `json:"values"` // language → value
}

// Compare lists the shared fields of one product on which its languages
// disagree, in the column order of Shared's keys sorted by name.
func Compare(id string, byLang map[string]Item) []Disagreement {
	var langs []string
	shared := map[string]map[string]string{}
	for lang, it := range byLang {
		langs = append(langs, lang)
		shared[lang] = it.Shared()
	}
	if len(langs) < 2 {
		return nil
	}
	var fields []string
	for f := range shared[langs[0]] {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	var out []Disagreement
	for _, f := range fields {
		values := map[string]string{}
		distinct := map[string]bool{}
		for _, l := range langs {
			values[l] = shared[l][f]
			distinct[shared[l][f]] = true
		}
		if len(distinct) > 1 {
			out = append(out, Disagreement{ID: id, Field: f, Values: values})
		}
	}
	return out
}
