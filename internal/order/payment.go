package order

import (
	"context"
	"fmt"
	"strings"

	"github.com/bazaar/bazaar/ent/tenant"
	entorder "github.com/bazaar/bazaar/ent/tenant/order"
	"github.com/bazaar/bazaar/tenantdb"
)

// PaymentEvent is what a payment provider says happened to a payment,
// verified by the provider package (its signature checked with the shop's
// own webhook secret). The shop is the request's host; nothing in the event
// names it.
type PaymentEvent struct {
	Provider    string
	ID          string
	Type        string // payment_intent.succeeded, payment_intent.payment_failed, ...
	Ref         string // the payment (PaymentIntent id)
	AmountCents int64
	Currency    string
}

// Outcomes of a payment event, recorded with it.
const (
	OutcomePaid          = "paid"
	OutcomeAlreadyPaid   = "already_paid"
	OutcomeUnknown       = "unknown_payment" // no order of this shop has the payment
	OutcomeMismatch      = "amount_mismatch"
	OutcomeAfterCancel   = "paid_after_cancel"
	OutcomeFailed        = "payment_failed"
	OutcomeIgnored       = "ignored"
	OutcomeNotCardMethod = "not_a_card_order"
)

// ApplyPayment moves the order a payment event is about, in the bound
// transaction, and reports the outcome. Events arrive in any order and any
// number of times: the caller records each event id once (a repeat never
// reaches here), and each outcome depends only on the order's state, so a
// late "failed" after "succeeded" changes nothing. A payment this shop
// does not know (another shop's, a forged reference) changes nothing.
func (s *Service) ApplyPayment(ctx context.Context, shop Shop, ev PaymentEvent) (orderID *int, outcome string, err error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, "", err
	}
	if ev.Ref == "" {
		return nil, OutcomeIgnored, nil
	}
	o, err := c.Order.Query().Where(entorder.PaymentRef(ev.Ref)).ForUpdate().Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, OutcomeUnknown, nil
	}
	if err != nil {
		return nil, "", err
	}
	id := o.ID
	a := Actor{Kind: ev.Provider}
	switch ev.Type {
	case "payment_intent.succeeded":
	case "payment_intent.payment_failed":
		return &id, OutcomeFailed, s.history(ctx, c, o.ID, a, "payment", "", "", 0, "the card payment failed ("+ev.ID+")")
	default:
		return &id, OutcomeIgnored, nil
	}
	if o.PaymentMethod != Card {
		return &id, OutcomeNotCardMethod, nil
	}
	if ev.AmountCents != o.TotalCents || !strings.EqualFold(ev.Currency, o.Currency) {
		note := fmt.Sprintf("payment %s of %s does not match the order's %s; not marked paid", ev.ID, money(ev.AmountCents, strings.ToUpper(ev.Currency)), money(o.TotalCents, o.Currency))
		return &id, OutcomeMismatch, s.history(ctx, c, o.ID, a, "payment", "", "", ev.AmountCents, note)
	}
	switch o.Status {
	case entorder.StatusPendingPayment:
	case entorder.StatusCancelled:
		// Paid after it expired: the stock went back and may be sold; the
		// team decides (ship if it can, or refund). Say so in its history.
		return &id, OutcomeAfterCancel, s.history(ctx, c, o.ID, a, "payment", "", "", ev.AmountCents,
			"paid after the order was cancelled: refund it, or ship it if the stock allows")
	default:
		return &id, OutcomeAlreadyPaid, nil
	}
	now := s.now()
	if err := c.Order.UpdateOne(o).SetStatus(entorder.StatusPaid).SetPaidAt(now).ClearExpiresAt().SetUpdatedAt(now).Exec(ctx); err != nil {
		return nil, "", err
	}
	if err := s.history(ctx, c, o.ID, a, "status", string(o.Status), "paid", ev.AmountCents, "payment "+ev.ID); err != nil {
		return nil, "", err
	}
	v, err := s.get(ctx, c, o.ID)
	if err != nil {
		return nil, "", err
	}
	if err := auditVendor(ctx, a.event("order.paid", "order", fmt.Sprint(o.Number),
		map[string]any{"status": string(o.Status)}, map[string]any{"status": "paid", "event": ev.ID})); err != nil {
		return nil, "", err
	}
	return &id, OutcomePaid, s.mailStatus(ctx, v, shop.Name)
}
