package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/tenantdb"
)

// The demo's sales: in each demo shop, customers and an order in every
// status, placed and moved through the real order service (carts, stock,
// numbering, history, mails). A shop that has orders is left alone, so
// running the demo again adds none.

// SalesSeeded is what SeedSales made in one shop.
type SalesSeeded struct {
	Vendor   Vendor
	Orders   int    // 0: the shop had orders already
	Customer string // the customer account made, signed in with Password
}

// demoBuyers place the demo orders: the first has an account in each demo
// shop (password Password) and orders signed in, the others as guests.
var demoBuyers = []struct{ email, name string }{
	{"marie.schmit@example.lu", "Marie Schmit"},
	{"paul.weber@example.lu", "Paul Weber"},
	{"lea.muller@example.lu", "Léa Muller"},
}

// orderSteps are the demo orders: the status each is moved to, in order.
var orderSteps = [][]string{
	{},                    // pending_payment: a bank transfer on its way
	{"paid"},              // to be sent
	{"paid", "fulfilled"}, // on its way
	{"paid", "fulfilled", "completed"},
	{"cancelled"},
	{"paid", "refunded"},
}

// SeedSales places the demo orders in every demo shop that has none yet.
func SeedSales(ctx context.Context, db *tenantdb.DB, orders *order.Service, customers *customer.Service) ([]SalesSeeded, error) {
	var out []SalesSeeded
	for _, v := range Vendors {
		t, err := db.TenantBySlug(ctx, v.Slug)
		if err != nil {
			return out, fmt.Errorf("demo: sales for %s: %w", v.Slug, err)
		}
		s := SalesSeeded{Vendor: v}
		err = db.Tx(ctx, t, func(ctx context.Context) error {
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			if n, err := c.Order.Query().Count(ctx); err != nil || n > 0 {
				return err
			}
			ids, err := c.Product.Query().Where(product.StatusEQ(product.StatusActive), product.Or(product.StockIsNil(), product.StockGTE(5))).Order(product.ByID()).Limit(6).IDs(ctx)
			if err != nil || len(ids) == 0 {
				return err
			}
			shop := order.Shop{Name: v.Name, DefaultLanguage: v.Languages[0], Languages: v.Languages, Currency: "EUR"}
			staff := order.Actor{Kind: "system"}
			first, _, _ := strings.Cut(demoBuyers[0].name, " ")
			last := strings.TrimPrefix(demoBuyers[0].name, first+" ")
			account, err := customers.Register(ctx, customer.Registration{Email: demoBuyers[0].email, Password: Password,
				FirstName: first, LastName: last, Language: shop.DefaultLanguage}, "")
			if err != nil {
				return err
			}
			s.Customer = demoBuyers[0].email
			for i, steps := range orderSteps {
				buyer := demoBuyers[i%len(demoBuyers)]
				ref := order.CartRef{}
				if i%len(demoBuyers) == 0 {
					ref.CustomerID = account.Profile.ID
				}
				ch, err := orders.AddLine(ctx, ref, shop.DefaultLanguage, ids[i%len(ids)], 1+i%2)
				if err != nil {
					return err
				}
				ref.Token = ch.Token
				if _, err := orders.AddLine(ctx, ref, shop.DefaultLanguage, ids[(i+1)%len(ids)], 1); err != nil {
					return err
				}
				shipping := "standard"
				if i%3 == 2 {
					shipping = "pickup"
				}
				placed, err := orders.Checkout(ctx, order.Actor{Kind: "shopper"}, ref, shop, order.CheckoutInput{
					Email: buyer.email, ShippingMethod: shipping, PaymentMethod: order.BankTransfer,
					BillingAddress: &order.Address{Name: buyer.name, Line1: fmt.Sprintf("%d rue de la Gare", 3+i), PostalCode: "L-1611", City: "Luxembourg", Country: "LU"},
				})
				if err != nil {
					return err
				}
				for _, st := range steps {
					if _, err := orders.Update(ctx, staff, shop, placed.Order.ID, order.Change{Status: &st}); err != nil {
						return err
					}
				}
				s.Orders++
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("demo: sales for %s: %w", v.Slug, err)
		}
		out = append(out, s)
	}
	return out, nil
}
