package web

import (
	"context"
	"net/http"
	"testing"

	entproduct "github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/tenantdb"
)

// A shop's selling tests: products with prices, VAT and stock, and
// shoppers who keep their cookies like a browser.

// sale is a product to sell in a test.
type sale struct {
	sku   string
	title map[string]string
	price int64
	vat   *int // basis points; nil: the shop's default
	stock *int // nil: not tracked
}

// sell adds an active product to tn's catalogue and returns its id.
func sell(t testing.TB, db *tenantdb.DB, tn *tenantdb.Tenant, s sale) int {
	t.Helper()
	var id int
	err := db.Tx(context.Background(), tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		title := s.title
		if title == nil {
			title = map[string]string{"en": s.sku}
		}
		p, err := c.Product.Create().SetSku(s.sku).SetTitle(title).SetPriceCents(s.price).SetStatus(entproduct.StatusActive).
			SetNillableVatRateBp(s.vat).SetNillableStock(s.stock).Save(ctx)
		if err != nil {
			return err
		}
		id = p.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// stockOf is a product's stock now.
func stockOf(t testing.TB, db *tenantdb.DB, tn *tenantdb.Tenant, id int) *int {
	t.Helper()
	var s *int
	err := db.ReadTx(context.Background(), tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		p, err := c.Product.Get(ctx, id)
		if err != nil {
			return err
		}
		s = p.Stock
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// browser is a shopper on one shop host who keeps the cookies the shop
// sets, as a browser does.
type browser struct {
	ts   *testServer
	host string
	jar  map[string]*http.Cookie
}

func (ts *testServer) browser(host string) *browser {
	return &browser{ts: ts, host: host, jar: map[string]*http.Cookie{}}
}

// do sends a request with the browser's cookies and keeps the ones set.
func (b *browser) do(t testing.TB, method, path string, body any, header map[string]string) *resp {
	t.Helper()
	var cookies []*http.Cookie
	for _, c := range b.jar {
		cookies = append(cookies, c)
	}
	r := b.ts.do(t, req{method: method, host: b.host, path: path, body: body, header: header, cookies: cookies})
	for _, c := range r.cookies {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	return r
}

// must sends and fails the test unless the answer has status want.
func (b *browser) must(t testing.TB, want int, method, path string, body any) *resp {
	t.Helper()
	r := b.do(t, method, path, body, nil)
	if r.status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, want)
	}
	return r
}

// testAddress is a Luxembourg address.
var testAddress = map[string]any{"name": "Anna Muller", "line1": "12 rue du Curé", "postal_code": "L-1368", "city": "Luxembourg", "country": "LU"}

// checkoutBody is a valid checkout for email.
func checkoutBody(email, shipping, payment string) map[string]any {
	return map[string]any{"email": email, "billing_address": testAddress, "shipping_method": shipping, "payment_method": payment}
}

type placedOrder struct {
	Order struct {
		ID           int    `json:"id"`
		Number       int64  `json:"number"`
		Status       string `json:"status"`
		Email        string `json:"email"`
		TotalCents   int64  `json:"total_cents"`
		VATCents     int64  `json:"vat_cents"`
		Subtotal     int64  `json:"subtotal_cents"`
		Shipping     int64  `json:"shipping_cents"`
		Units        int    `json:"units"`
		PaymentRef   string `json:"payment_ref"`
		VATBreakdown []struct {
			RateBP int   `json:"rate_bp"`
			Gross  int64 `json:"gross_cents"`
			VAT    int64 `json:"vat_cents"`
		} `json:"vat_breakdown"`
		Lines []struct {
			SKU   string `json:"sku"`
			Title string `json:"title"`
			Qty   int    `json:"quantity"`
			Unit  int64  `json:"unit_price_cents"`
			VAT   int64  `json:"vat_cents"`
			Rate  int    `json:"vat_rate_bp"`
		} `json:"lines"`
	} `json:"order"`
	Payment struct {
		Method       string `json:"method"`
		ClientSecret string `json:"client_secret"`
		Reference    string `json:"reference"`
	} `json:"payment"`
	Replayed bool `json:"replayed"`
}
