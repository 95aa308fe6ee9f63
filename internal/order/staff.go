package order

import (
	"context"
	"fmt"
	"slices"

	entorder "github.com/bazaar/bazaar/ent/tenant/order"
	"github.com/bazaar/bazaar/tenantdb"
)

// StaffInput is an order a team member enters (a phone order, a sale at the
// counter): the products and quantities, who it is for, how it travels and
// how it is paid. Prices come from the catalogue, as in the shop.
type StaffInput struct {
	Email           string      `json:"email"`
	CustomerID      int         `json:"customer_id"` // optional: an existing customer of the shop
	Lines           []StaffLine `json:"lines"`
	BillingAddress  *Address    `json:"billing_address"`
	ShippingAddress *Address    `json:"shipping_address"`
	ShippingMethod  string      `json:"shipping_method"`
	PaymentMethod   string      `json:"payment_method"` // bank_transfer, or paid (settled at the counter)
	Language        string      `json:"language"`
}

// StaffLine is a product and quantity of a staff order.
type StaffLine struct {
	ProductID int `json:"product_id"`
	Quantity  int `json:"quantity"`
}

// PaidAtCounter is the payment method of a staff order settled when it was
// entered.
const PaidAtCounter = "paid"

// CreateStaff places an order entered by a team member, in the bound
// transaction: stock taken, numbered and mailed like a shopper's.
func (s *Service) CreateStaff(ctx context.Context, a Actor, shop Shop, in StaffInput) (*View, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	bad := map[string]string{}
	checkEmail(in.Email, bad)
	if len(in.Lines) == 0 {
		bad["lines"] = "needs at least one product"
	}
	if len(in.Lines) > s.o.CartMaxLines {
		bad["lines"] = fmt.Sprintf("at most %d products", s.o.CartMaxLines)
	}
	seen := map[int]bool{}
	wants := make([]want, 0, len(in.Lines))
	for i, l := range in.Lines {
		switch {
		case l.ProductID <= 0:
			bad[fmt.Sprintf("lines[%d].product_id", i)] = "is required"
		case seen[l.ProductID]:
			bad[fmt.Sprintf("lines[%d].product_id", i)] = "is given twice"
		}
		seen[l.ProductID] = true
		if l.Quantity < 1 || l.Quantity > s.o.MaxQuantity {
			bad[fmt.Sprintf("lines[%d].quantity", i)] = fmt.Sprintf("must be a whole number from 1 to %d", s.o.MaxQuantity)
		}
		wants = append(wants, want{ProductID: l.ProductID, Quantity: l.Quantity})
	}
	if in.PaymentMethod != BankTransfer && in.PaymentMethod != PaidAtCounter {
		bad["payment_method"] = "must be bank_transfer or paid"
	}
	if in.Language != "" && !slices.Contains(shop.Languages, in.Language) && in.Language != shop.DefaultLanguage {
		bad["language"] = "must be one of the shop's languages"
	}
	method, err := s.shippingMethod(ctx, c, in.ShippingMethod)
	if err != nil {
		return nil, err
	}
	if method == nil {
		bad["shipping_method"] = "is not an active shipping method of this shop"
	}
	billing, shipping := checkAddresses(in.BillingAddress, in.ShippingAddress, method, bad)
	if in.CustomerID != 0 {
		if _, err := c.Customer.Get(ctx, in.CustomerID); err != nil {
			bad["customer_id"] = "is not a customer of this shop"
		}
	}
	if err := invalid("invalid order", bad); err != nil {
		return nil, err
	}
	lang := chooseLanguage(in.Language, shop)
	lines, currency, t, err := s.priceOrder(ctx, wants, lang, shop.Currency, *method)
	if err != nil {
		return nil, err
	}
	p := placement{lines: lines, totals: t, currency: currency, email: normalEmail(in.Email), lang: lang, billing: billing,
		shipping: shipping, method: *method, payment: in.PaymentMethod, paid: in.PaymentMethod == PaidAtCounter,
		source: entorder.SourceStaff, createdBy: a.UserID, customerID: in.CustomerID, guest: true, actor: a}
	if p.customerID == 0 {
		if p.customerID, err = s.customers.Guest(ctx, p.email, firstName(billing.Name), lastName(billing.Name)); err != nil {
			return nil, err
		}
	}
	v, err := s.place(ctx, c, p, shop)
	if err != nil {
		return nil, err
	}
	if err := auditVendor(ctx, a.event("order.create", "order", fmt.Sprint(v.Number), nil,
		map[string]any{"number": v.Number, "total_cents": v.TotalCents, "payment_method": v.PaymentMethod, "email": v.Email})); err != nil {
		return nil, err
	}
	return v, nil
}
