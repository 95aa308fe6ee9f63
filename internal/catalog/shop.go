package catalog

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
