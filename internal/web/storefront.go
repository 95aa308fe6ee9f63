package web

import (
	"encoding/json"
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/page"
)

// storefront is the shop front shoppers see in a browser: pages rendered on
// the server from the catalogue and the selling services, in the shop's
// languages ("/fr/…" beside the default language's "/…", see langPrefix)
// and theme. Reading works without JavaScript; the cart, checkout and
// account forms call the shop's JSON API from public/static/js/shop.js.
type storefront struct {
	caller
	catalog   *catalog.Service
	orders    *order.Service
	customers *customer.Service
}

// routes are the shop's pages. Shopper routes read the shopper's cookies
// (the header shows the cart and who is signed in).
func (h *storefront) routes() []route {
	return []route{
		{"GET", "/", Shopper, readTx, h.home},
		{"GET", "/products", Shopper, readTx, h.products},
		{"GET", "/products/:id", Shopper, readTx, h.product},
		{"GET", "/cart", Shopper, readTx, h.cart},
		{"GET", "/checkout", Shopper, readTx, h.checkout},
		{"GET", "/orders/:number", Shopper, readTx, h.receipt},
		{"GET", "/account", Shopper, readTx, h.account},
		{"GET", "/account/reset-password", Shopper, readTx, h.resetPassword},
		{"GET", "/sitemap.xml", Public, readTx, h.sitemap},
		{"GET", "/robots.txt", Public, noTx, h.robots},
		{"GET", "/theme/:file", Public, noTx, h.theme},
	}
}

// homeProducts is how many of the newest products the home page shows.
const homeProducts = 8

// productsPerPage is how many products a page of the product list shows.
const productsPerPage = 24

func (h *storefront) home(c *fiber.Ctx) error {
	p, err := h.newShopPage(c, "home", "/")
	if err != nil {
		return err
	}
	pg, err := h.catalog.ListShop(c.UserContext(), catalog.ListParams{Limit: homeProducts, Sort: "-created"})
	if err != nil {
		return err
	}
	p.Title = p.Shop.Name
	p.Description = p.Tf("home.description", p.Shop.Name)
	p.Body = struct{ Products []productCard }{h.cards(p, pg.Items)}
	return sendPage(c, "shop/home.html", p, pageCSP(false))
}

// productCard is a product in a grid.
type productCard struct {
	URL, Image, Name, Brand, OutOfStock string
	Price                               priceView
	InStock                             bool
}

// priceView is a price as the "price" template shows it.
type priceView struct {
	Regular, Sale, WasLabel, NowLabel string
}

func (h *storefront) cards(p *shopPage, items []catalog.ShopProduct) []productCard {
	out := make([]productCard, len(items))
	for i, it := range items {
		out[i] = productCard{
			URL: p.Href("/products/" + strconv.Itoa(it.ID)), Name: it.Name(p.Lang), Brand: it.Brand,
			Price: priceOf(p, it), InStock: it.Availability == catalog.InStock, OutOfStock: p.T("product.out_of_stock"),
		}
		if len(it.Images) > 0 {
			out[i].Image = it.Images[0]
		}
	}
	return out
}

func priceOf(p *shopPage, it catalog.ShopProduct) priceView {
	v := priceView{Regular: p.Money(it.PriceCents, it.Currency), WasLabel: p.T("price.was"), NowLabel: p.T("price.now")}
	if it.OnSale() {
		v.Sale = p.Money(*it.SalePriceCents, it.Currency)
	}
	return v
}

// listFilter is the product list's query, as the form shows it.
type listFilter struct {
	Query, Brand, Min, Max, Sort, Cursor string
}

type sortOption struct {
	Value, Label string
	Selected     bool
}

// shopSorts are the product list's orders: the form's value and the
// catalogue's sort.
var shopSorts = []struct{ value, sort, label string }{
	{"newest", "-created", "sort.newest"},
	{"price", "price", "sort.price_asc"},
	{"-price", "-price", "sort.price_desc"},
}

// products renders the product list: a search, a brand, a price range in
// whole currency units, an order, and pages by cursor. A filter it cannot
// read is named on the page and left out, rather than failing the page.
func (h *storefront) products(c *fiber.Ctx) error {
	ctx := c.UserContext()
	q := func(key string) string { return strings.Clone(strings.TrimSpace(c.Query(key))) }
	f := listFilter{Query: q("q"), Brand: q("brand"), Min: q("min"), Max: q("max"), Sort: q("sort"), Cursor: q("cursor")}
	p, err := h.newShopPage(c, "products", "/products")
	if err != nil {
		return err
	}
	params := catalog.ListParams{Limit: productsPerPage, Query: f.Query, Brand: f.Brand, Cursor: f.Cursor, Sort: "-created"}
	var bad []string
	known := false
	for _, s := range shopSorts {
		if s.value == f.Sort {
			params.Sort, known = s.sort, true
		}
	}
	if !known {
		if f.Sort != "" {
			bad = append(bad, "sort")
		}
		f.Sort = "newest"
	}
	whole := func(name, v string) *int64 {
		if v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 10_000_000 {
			bad = append(bad, name)
			return nil
		}
		n *= 100
		return &n
	}
	params.MinPrice, params.MaxPrice = whole("min", f.Min), whole("max", f.Max)
	if len(f.Query) > 200 {
		bad, params.Query = append(bad, "q"), ""
	}
	pg, err := h.catalog.ListShop(ctx, params)
	if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid && params.Cursor != "" {
		bad, params.Cursor, f.Cursor = append(bad, page.CursorField), "", ""
		pg, err = h.catalog.ListShop(ctx, params)
	}
	if err != nil {
		return err
	}
	brands, err := h.catalog.Brands(ctx)
	if err != nil {
		return err
	}
	filtered := f.Query != "" || f.Brand != "" || f.Min != "" || f.Max != "" || f.Sort != "newest"
	query := func(cursor string) string {
		sort := f.Sort
		if sort == "newest" {
			sort = ""
		}
		return p.Href("/products") + pageQuery("q", f.Query, "brand", f.Brand, "min", f.Min, "max", f.Max, "sort", sort, "cursor", cursor)
	}
	body := struct {
		Filter            listFilter
		Brands            []string
		Sorts             []sortOption
		Currency, Problem string
		Products          []productCard
		Paged             bool
		FirstURL, NextURL string
	}{Filter: f, Brands: brands, Currency: siteOf(c).Tenant.Shop.Currency, Products: h.cards(p, pg.Items),
		Paged: f.Cursor != "", FirstURL: query("")}
	for _, s := range shopSorts {
		body.Sorts = append(body.Sorts, sortOption{Value: s.value, Label: p.T(s.label), Selected: s.value == f.Sort})
	}
	if pg.NextCursor != "" {
		body.NextURL = query(pg.NextCursor)
	}
	if len(bad) > 0 {
		body.Problem = p.Tf("list.bad_filter", strings.Join(bad, ", "))
	}
	p.Title = p.T("list.title") + " · " + p.Shop.Name
	if f.Query != "" {
		p.Title = p.Tf("list.results_for", f.Query) + " · " + p.Shop.Name
	}
	p.Query = f.Query
	// A search, a filtered list or a later page is not a page of its own
	// for a search engine: the first page of the list is.
	p.NoIndex = filtered || f.Cursor != ""
	p.Body = body
	return sendPage(c, "shop/products.html", p, pageCSP(false))
}

// productView is the product page's content.
type productView struct {
	ID                     int
	Name, Brand, SKU, GTIN string
	Description            template.HTML // feedHTML: simple formatting kept, anything else as text
	VATNote                string
	Images                 []string
	Price                  priceView
	InStock                bool
	Variants               []variantLink
	Shipping               []string
}

type variantLink struct {
	URL, Name, Price string
	InStock, Current bool
}

// maxVariants bounds the variants a product page lists.
const maxVariants = 50

func (h *storefront) product(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, err := strconv.Atoi(c.Params("id"))
	if err != nil || id <= 0 {
		return fault.New(fault.NotFound, "no such product")
	}
	it, group, err := h.catalog.GetShopGroup(ctx, id, maxVariants)
	if err != nil {
		return err
	}
	path := "/products/" + strconv.Itoa(id)
	p, err := h.newShopPage(c, "products", path)
	if err != nil {
		return err
	}
	lang := p.Lang
	v := productView{ID: it.ID, Name: it.Name(lang), Brand: it.Brand, SKU: it.SKU, GTIN: it.GTIN,
		Description: feedHTML(pickText(it.Description, lang)), Images: it.Images, Price: priceOf(p, it), InStock: it.Availability == catalog.InStock,
		VATNote: p.T("product.vat")}
	if it.VATRateBP != nil {
		v.VATNote = p.Tf("product.vat_rate", vatRate(*it.VATRateBP, lang))
	}
	if len(group) > 1 {
		for _, g := range group {
			pr := priceOf(p, g)
			price := pr.Regular
			if pr.Sale != "" {
				price = pr.Sale
			}
			v.Variants = append(v.Variants, variantLink{URL: p.Href("/products/" + strconv.Itoa(g.ID)), Name: g.Name(lang),
				Price: price, InStock: g.Availability == catalog.InStock, Current: g.ID == it.ID})
		}
	}
	methods, err := h.orders.ShippingMethods(ctx, true)
	if err != nil {
		return err
	}
	for _, m := range methods {
		v.Shipping = append(v.Shipping, shippingNote(p, m, it.Currency))
	}
	p.Title = v.Name + " · " + p.Shop.Name
	desc := stripTags(pickText(it.Description, lang))
	p.Description = summary(desc, 160)
	p.OG = ogInfo{Type: "product", PriceCurrency: it.Currency}
	paid := it.PriceCents
	if it.OnSale() {
		paid = *it.SalePriceCents
	}
	p.OG.PriceAmount = decimal(paid)
	if len(it.Images) > 0 {
		p.OG.Image = it.Images[0]
	}
	ld, err := productLD(it, v, desc, p.Canonical, paid)
	if err != nil {
		return err
	}
	p.JSONLD = ld
	p.Body = v
	return sendPage(c, "shop/product.html", p, pageCSP(false))
}

func shippingNote(p *shopPage, m order.ShippingMethod, currency string) string {
	name := pickText(m.Name, p.Lang)
	price := p.T("ship.free")
	if m.PriceCents > 0 {
		price = p.Money(m.PriceCents, currency)
	}
	if m.Kind == order.ShipFreeAbove && m.FreeAboveCents != nil && m.PriceCents > 0 {
		return p.Tf("ship.free_from", name, price, p.Money(*m.FreeAboveCents, currency))
	}
	return p.Tf("ship.price", name, price)
}

// productLD is the product's schema.org Product in JSON-LD, for search
// engines: what it is, its price as sold, its availability.
func productLD(it catalog.ShopProduct, v productView, desc, url string, paid int64) (template.JS, error) {
	avail := "https://schema.org/InStock"
	if !v.InStock {
		avail = "https://schema.org/OutOfStock"
	}
	doc := map[string]any{
		"@context": "https://schema.org", "@type": "Product", "name": v.Name, "sku": v.SKU, "url": url,
		"offers": map[string]any{"@type": "Offer", "url": url, "price": decimal(paid), "priceCurrency": it.Currency,
			"availability": avail, "itemCondition": "https://schema.org/NewCondition"},
	}
	if desc != "" {
		doc["description"] = desc
	}
	if len(v.Images) > 0 {
		doc["image"] = v.Images
	}
	if v.Brand != "" {
		doc["brand"] = map[string]any{"@type": "Brand", "name": v.Brand}
	}
	if v.GTIN != "" {
		doc["gtin"] = v.GTIN
	}
	if it.ItemGroupID != "" {
		doc["inProductGroupWithID"] = it.ItemGroupID
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	return template.JS(b), nil //nolint:gosec // json.Marshal escapes <, > and &: nothing in it can end the script element
}
