package letzshop

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bazaar/bazaar/internal/locale"
)

// Availability is a product's stock state, in one spelling.
type Availability string

// The availabilities a feed may give (either spelling).
const (
	InStock    Availability = "in_stock"
	OutOfStock Availability = "out_of_stock"
	Preorder   Availability = "preorder"
	Backorder  Availability = "backorder"
)

// Money is an amount in integer cents and an ISO 4217 currency.
type Money struct {
	Cents    int64  `json:"cents"`
	Currency string `json:"currency"`
}

// Item is one product line, normalized. Optional numbers are nil when the
// cell is empty.
type Item struct {
	ID               string       `json:"id"`
	ItemGroupID      string       `json:"item_group_id,omitempty"`
	Title            string       `json:"title"`
	Description      string       `json:"description,omitempty"`
	Link             string       `json:"link,omitempty"`
	ImageLink        string       `json:"image_link,omitempty"`
	AdditionalImages []string     `json:"additional_images,omitempty"`
	Availability     Availability `json:"availability,omitempty"`
	Price            *Money       `json:"price,omitempty"` // a product may be staged without one; publishing needs one
	SalePrice        *Money       `json:"sale_price,omitempty"`
	Brand            string       `json:"brand,omitempty"`
	GTIN             string       `json:"gtin,omitempty"`
	MPN              string       `json:"mpn,omitempty"`
	Condition        string       `json:"condition,omitempty"`
	IdentifierExists *bool        `json:"identifier_exists,omitempty"`
	GoogleCategory   string       `json:"google_product_category,omitempty"`
	ProductType      string       `json:"product_type,omitempty"`
	Color            string       `json:"color,omitempty"`
	Size             string       `json:"size,omitempty"`
	Gender           string       `json:"gender,omitempty"`
	AgeGroup         string       `json:"age_group,omitempty"`
	Material         string       `json:"material,omitempty"`
	Pattern          string       `json:"pattern,omitempty"`
	TaxRateBasis     *int         `json:"tax_rate_basis_points,omitempty"` // 17% is 1700
	Quantity         *int         `json:"quantity,omitempty"`
	DeliveryMethod   string       `json:"delivery_method,omitempty"`
	BoostSort        *float64     `json:"boost_sort,omitempty"` // 0–10
	PreorderDays     *int         `json:"preorder_days,omitempty"`
}

// DuplicateID is the reason given for an id seen before in the same file.
func DuplicateID(id string, firstLine int) string {
	return fmt.Sprintf("%s already appears on line %d", quote(id), firstLine)
}

// parseItem fills rec.Item from its fields and lists every problem.
func (r *Reader) parseItem(rec *Record) []Problem {
	p := itemParser{r: r, rec: rec}
	it := &rec.Item
	it.ID = p.text("id", 50, true)
	it.Title = p.text("title", 150, true)
	it.ItemGroupID = p.text("item_group_id", 50, false)
	it.Description = p.text("description", 5000, false)
	it.Link = p.link("link")
	it.ImageLink = p.link("image_link")
	it.AdditionalImages = p.images()
	it.Availability = p.availability()
	it.Price = p.money("price", false)
	it.SalePrice = p.money("sale_price", false)
	if it.SalePrice != nil && it.Price != nil && it.SalePrice.Currency != it.Price.Currency {
		p.bad("sale_price", fmt.Sprintf("is in %s while price is in %s", it.SalePrice.Currency, it.Price.Currency))
	}
	it.Brand = p.text("brand", 100, false)
	it.MPN = p.text("mpn", 70, false)
	it.Condition = p.oneOf("condition", "new", "used", "refurbished")
	it.IdentifierExists = p.boolean("identifier_exists")
	it.GTIN = p.gtin()
	it.GoogleCategory = p.text("google_product_category", 750, false)
	it.ProductType = p.text("product_type", 750, false)
	it.Color = p.text("color", 100, false)
	it.Size = p.text("size", 100, false)
	it.Gender = p.text("gender", 100, false)
	it.AgeGroup = p.text("age_group", 100, false)
	it.Material = p.text("material", 200, false)
	it.Pattern = p.text("pattern", 100, false)
	it.TaxRateBasis = p.percent("letzshop:tax_rate")
	it.Quantity = p.integer("letzshop:quantity", 0, 1<<31-1)
	it.DeliveryMethod = p.oneOf("letzshop:delivery_method", "nationwide", "package_delivery", "self_collect")
	it.BoostSort = p.decimal("letzshop:boost_sort", 0, 10)
	it.PreorderDays = p.integer("letzshop:preorder_days", 0, 3650)
	if it.ID != "" && !r.o.CallerChecksDuplicates {
		if first, dup := r.seen[it.ID]; dup {
			p.bad("id", DuplicateID(it.ID, first))
		} else if len(p.problems) == 0 {
			// A copy: it.ID shares the memory of the whole record's text.
			r.seen[strings.Clone(it.ID)] = rec.Line
		}
	}
	return p.problems
}

type itemParser struct {
	r        *Reader
	rec      *Record
	problems []Problem
}

// cell is the trimmed value of the first column called name ("" if absent).
func (p *itemParser) cell(name string) string {
	if i, ok := p.r.col[name]; ok && i < len(p.rec.Fields) {
		return strings.TrimSpace(p.rec.Fields[i].Value)
	}
	return ""
}

func (p *itemParser) bad(name, reason string) {
	col := 0
	if i, ok := p.r.col[name]; ok {
		col = i + 1
	}
	p.problems = append(p.problems, Problem{Column: col, Field: name, Reason: reason})
}

func (p *itemParser) text(name string, max int, required bool) string {
	v := p.cell(name)
	switch {
	case v == "" && required:
		p.bad(name, "is required")
	case utf8.RuneCountInString(v) > max:
		p.bad(name, fmt.Sprintf("is longer than %d characters", max))
	}
	return v
}

func (p *itemParser) link(name string) string {
	v := p.cell(name)
	if v != "" && !isHTTPURL(v) {
		p.bad(name, "is not an http(s) URL")
	}
	return v
}

func isHTTPURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// images collects additional_image_link: comma-separated in one cell, or the
// column repeated.
func (p *itemParser) images() []string {
	var out []string
	for i, f := range p.rec.Fields {
		if f.Name != "additional_image_link" {
			continue
		}
		for _, v := range strings.Split(f.Value, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			if !isHTTPURL(v) {
				p.problems = append(p.problems, Problem{Column: i + 1, Field: f.Name, Reason: quote(v) + " is not an http(s) URL"})
				continue
			}
			out = append(out, v)
		}
	}
	return out
}

func (p *itemParser) availability() Availability {
	v := strings.ToLower(p.cell("availability"))
	switch strings.ReplaceAll(v, " ", "_") {
	case "":
		return ""
	case "in_stock":
		return InStock
	case "out_of_stock":
		return OutOfStock
	case "preorder":
		return Preorder
	case "backorder":
		return Backorder
	}
	p.bad("availability", quote(v)+" is not one of in stock, out of stock, preorder, backorder")
	return ""
}

func (p *itemParser) money(name string, required bool) *Money {
	v := p.cell(name)
	if v == "" {
		if required {
			p.bad(name, "is required")
		}
		return nil
	}
	m, err := ParseMoney(v, p.r.o.DefaultCurrency)
	if err != nil {
		p.bad(name, err.Error())
		return nil
	}
	return &m
}

// ParseMoney reads "24.90 EUR", "24,90", "24.9" or "EUR 24.90" into cents
// and a currency (def when none is given).
func ParseMoney(s, def string) (Money, error) {
	amount, cur := strings.TrimSpace(s), def
	if f := strings.Fields(amount); len(f) == 2 {
		switch {
		case isCurrency(f[1]):
			amount, cur = f[0], f[1]
		case isCurrency(f[0]):
			amount, cur = f[1], f[0]
		default:
			return Money{}, fmt.Errorf("%s is not an amount with an ISO currency such as 24.90 EUR", quote(s))
		}
	} else if len(f) != 1 {
		return Money{}, fmt.Errorf("%s is not an amount such as 24.90 EUR", quote(s))
	}
	whole, frac, _ := strings.Cut(strings.Replace(amount, ",", ".", 1), ".")
	if whole == "" || len(whole) > 12 || !digits(whole) || len(frac) > 2 || (frac != "" && !digits(frac)) {
		return Money{}, fmt.Errorf("%s is not an amount with at most two decimals such as 24.90 EUR", quote(s))
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(whole+frac, 10, 64)
	return Money{Cents: cents, Currency: strings.ToUpper(cur)}, nil
}

// isCurrency reads a currency code liberally: a feed may write it in lower
// case (ParseMoney upper-cases it).
func isCurrency(s string) bool { return locale.IsCurrency(strings.ToUpper(s)) }

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func (p *itemParser) oneOf(name string, allowed ...string) string {
	v := strings.ToLower(p.cell(name))
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.bad(name, fmt.Sprintf("%s is not one of %s", quote(v), strings.Join(allowed, ", ")))
	return ""
}

func (p *itemParser) boolean(name string) *bool {
	v := strings.ToLower(p.cell(name))
	var b bool
	switch v {
	case "":
		return nil
	case "true", "yes", "oui", "ja", "1":
		b = true
	case "false", "no", "non", "nein", "0":
		b = false
	default:
		p.bad(name, quote(v)+" is not true or false (yes/no, oui/non, ja/nein)")
		return nil
	}
	return &b
}

func (p *itemParser) gtin() string {
	v := p.cell("gtin")
	if v == "" {
		return ""
	}
	if msg := GTINProblem(v); msg != "" {
		p.bad("gtin", msg)
		return ""
	}
	return v
}

// GTINProblem says what is wrong with a GTIN-8/12/13/14, or "".
func GTINProblem(v string) string {
	if !digits(v) {
		return quote(v) + " has characters other than digits"
	}
	switch len(v) {
	case 8, 12, 13, 14:
	default:
		return fmt.Sprintf("%s has %d digits; a GTIN has 8, 12, 13 or 14", quote(v), len(v))
	}
	sum := 0
	for i := len(v) - 2; i >= 0; i-- {
		d := int(v[i] - '0')
		if (len(v)-2-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	if want := (10 - sum%10) % 10; int(v[len(v)-1]-'0') != want {
		return fmt.Sprintf("%s has a wrong check digit (expected %d)", quote(v), want)
	}
	return ""
}

func (p *itemParser) integer(name string, lo, hi int) *int {
	v := p.cell(name)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.bad(name, fmt.Sprintf("%s is not a whole number from %d to %d", quote(v), lo, hi))
		return nil
	}
	return &n
}

func (p *itemParser) decimal(name string, lo, hi float64) *float64 {
	v := p.cell(name)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
	if err != nil || f < lo || f > hi {
		p.bad(name, fmt.Sprintf("%s is not a number from %g to %g", quote(v), lo, hi))
		return nil
	}
	return &f
}

// percent reads a VAT rate ("17", "17.0", "8,5") into basis points.
func (p *itemParser) percent(name string) *int {
	v := p.cell(name)
	if v == "" {
		return nil
	}
	m, err := ParseMoney(strings.TrimSuffix(v, "%"), "XXX")
	if err != nil || m.Cents > 100_00 {
		p.bad(name, quote(v)+" is not a percentage from 0 to 100")
		return nil
	}
	bp := int(m.Cents)
	return &bp
}
