package order

import (
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/schema"
)

// View is an order as the team sees it. ForShopper is the shopper's part
// of it.
type View struct {
	ID              int              `json:"id"`
	Number          int64            `json:"number"`
	Status          string           `json:"status"`
	Source          string           `json:"source"` // shop or staff
	Email           string           `json:"email"`
	Language        string           `json:"language"`
	CustomerID      *int             `json:"customer_id"`
	Guest           bool             `json:"guest"`
	BillingAddress  Address          `json:"billing_address"`
	ShippingAddress *Address         `json:"shipping_address"`
	ShippingMethod  string           `json:"shipping_method"`
	ShippingName    string           `json:"shipping_name"`
	ShippingCents   int64            `json:"shipping_cents"`
	SubtotalCents   int64            `json:"subtotal_cents"`
	VATCents        int64            `json:"vat_cents"`
	TotalCents      int64            `json:"total_cents"`
	RefundedCents   int64            `json:"refunded_cents"`
	VATBreakdown    []schema.VATLine `json:"vat_breakdown"`
	Currency        string           `json:"currency"`
	Units           int              `json:"units"`
	PaymentMethod   string           `json:"payment_method"`
	PaymentRef      string           `json:"payment_ref,omitempty"`
	TrackingNumber  string           `json:"tracking_number"`
	ExpiresAt       *time.Time       `json:"expires_at,omitempty"`
	PaidAt          *time.Time       `json:"paid_at,omitempty"`
	FulfilledAt     *time.Time       `json:"fulfilled_at,omitempty"`
	CompletedAt     *time.Time       `json:"completed_at,omitempty"`
	CancelledAt     *time.Time       `json:"cancelled_at,omitempty"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	Lines           []Line           `json:"lines,omitempty"`
	History         []Event          `json:"history,omitempty"`
	// Allowed are the statuses the order may move to next.
	Allowed []string `json:"allowed_transitions,omitempty"`
}

// Line is a product of an order as it was sold.
type Line struct {
	ProductID      int    `json:"product_id"`
	SKU            string `json:"sku"`
	Title          string `json:"title"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	VATRateBP      int    `json:"vat_rate_bp"`
	TotalCents     int64  `json:"total_cents"`
	VATCents       int64  `json:"vat_cents"`
}

// Event is an entry of the order's history.
type Event struct {
	At          time.Time `json:"at"`
	Kind        string    `json:"kind"` // placed, status, payment, refund, note, tracking
	FromStatus  string    `json:"from_status,omitempty"`
	ToStatus    string    `json:"to_status,omitempty"`
	AmountCents int64     `json:"amount_cents,omitempty"`
	Note        string    `json:"note,omitempty"`
	Actor       string    `json:"actor"`
}

func orderView(o *tenant.Order) *View {
	v := &View{
		ID: o.ID, Number: o.Number, Status: string(o.Status), Source: string(o.Source), Email: o.Email, Language: o.Language,
		CustomerID: o.CustomerID, Guest: o.Guest, BillingAddress: o.BillingAddress, ShippingMethod: o.ShippingMethod,
		ShippingName: o.ShippingName, ShippingCents: o.ShippingCents, SubtotalCents: o.SubtotalCents, VATCents: o.VatCents,
		TotalCents: o.TotalCents, RefundedCents: o.RefundedCents, VATBreakdown: o.VatBreakdown, Currency: o.Currency,
		Units: o.Units, PaymentMethod: o.PaymentMethod, PaymentRef: o.PaymentRef, TrackingNumber: o.TrackingNumber,
		ExpiresAt: o.ExpiresAt, PaidAt: o.PaidAt, FulfilledAt: o.FulfilledAt, CompletedAt: o.CompletedAt,
		CancelledAt: o.CancelledAt, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		Allowed: transitions[string(o.Status)],
	}
	if v.Allowed == nil {
		v.Allowed = []string{}
	}
	if o.ShippingAddress.Line1 != "" || o.ShippingAddress.Name != "" {
		sa := o.ShippingAddress
		v.ShippingAddress = &sa
	}
	if v.VATBreakdown == nil {
		v.VATBreakdown = []schema.VATLine{}
	}
	if o.Status != "pending_payment" {
		v.ExpiresAt = nil
	}
	for _, l := range o.Edges.Lines {
		v.Lines = append(v.Lines, Line{ProductID: l.ProductID, SKU: l.Sku, Title: l.Title, Quantity: l.Quantity,
			UnitPriceCents: l.UnitPriceCents, VATRateBP: l.VatRateBp, TotalCents: l.TotalCents, VATCents: l.VatCents})
	}
	for _, e := range o.Edges.Events {
		v.History = append(v.History, Event{At: e.CreatedAt, Kind: e.Kind, FromStatus: e.FromStatus, ToStatus: e.ToStatus,
			AmountCents: e.AmountCents, Note: e.Note, Actor: e.Actor})
	}
	return v
}

// ForShopper is what the shopper who placed the order sees: no payment
// reference, no team notes, no names of the team members who acted, and no
// next steps (those are the team's).
func (v *View) ForShopper() *View {
	out := *v
	out.PaymentRef, out.Allowed = "", nil
	out.History = nil
	for _, e := range v.History {
		if e.Kind == "note" {
			continue
		}
		e.Note = ""
		if e.Actor != "shopper" {
			e.Actor = "shop"
		}
		out.History = append(out.History, e)
	}
	return &out
}
