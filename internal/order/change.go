package order

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bazaar/bazaar/ent/tenant"
	entorder "github.com/bazaar/bazaar/ent/tenant/order"
	"github.com/bazaar/bazaar/ent/tenant/orderline"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// transitions are where each status may go. pending_payment waits for the
// money (a bank transfer the team marks paid, a card payment the provider's
// webhook confirms) or is cancelled (by the team, or when it expires);
// refunded — in full — and cancelled are final. A partial refund keeps the
// status and adds to refunded_cents.
var transitions = map[string][]string{
	"pending_payment": {"paid", "cancelled"},
	"paid":            {"fulfilled", "refunded"},
	"fulfilled":       {"completed", "refunded"},
	"completed":       {"refunded"},
}

// Change is what the team changes on an order: any of a new status, a note
// for the history, a tracking number, a refund of part (or, with status
// refunded, the rest) of what was paid.
type Change struct {
	Status         *string `json:"status"`
	Note           *string `json:"note"`
	TrackingNumber *string `json:"tracking_number"`
	RefundCents    *int64  `json:"refund_cents"`
	// Restock puts the order's products back in stock with a refund (a
	// cancellation always does).
	Restock bool `json:"restock"`
}

// Update applies ch to order id, in the bound transaction, with a history
// entry per change and one audit event. A status it may not move to is a
// 409 naming the ones it may.
func (s *Service) Update(ctx context.Context, a Actor, shop Shop, id int, ch Change) (*View, error) {
	bad := map[string]string{}
	if ch.Status == nil && ch.Note == nil && ch.TrackingNumber == nil && ch.RefundCents == nil {
		bad["status"] = "give a status, note, tracking_number or refund_cents to change"
	}
	if ch.Note != nil && (strings.TrimSpace(*ch.Note) == "" || utf8.RuneCountInString(*ch.Note) > 2000 || strings.ContainsRune(*ch.Note, 0)) {
		bad["note"] = "must be 1 to 2000 characters"
	}
	if ch.TrackingNumber != nil && (len(*ch.TrackingNumber) > 100 || hasControl(*ch.TrackingNumber)) {
		bad["tracking_number"] = "must be at most 100 characters on one line"
	}
	if ch.RefundCents != nil && *ch.RefundCents <= 0 {
		bad["refund_cents"] = "must be a positive amount of cents"
	}
	if ch.Status != nil && entorder.StatusValidator(entorder.Status(*ch.Status)) != nil {
		bad["status"] = "must be pending_payment, paid, fulfilled, completed, cancelled or refunded"
	}
	if err := invalid("invalid order change", bad); err != nil {
		return nil, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	o, err := c.Order.Query().Where(entorder.ID(id)).ForUpdate().Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, errNoOrder
	}
	if err != nil {
		return nil, err
	}
	before := orderView(o)
	from := string(o.Status)
	upd := c.Order.UpdateOne(o).SetUpdatedAt(s.now())
	refund := int64(0)
	to := from
	if ch.Status != nil && *ch.Status != from {
		to = *ch.Status
		if !slices.Contains(transitions[from], to) {
			allowed := transitions[from]
			msg := "an order that is " + from + " cannot change status"
			if len(allowed) > 0 {
				msg = fmt.Sprintf("an order that is %s can become %s, not %s", from, strings.Join(allowed, " or "), to)
			}
			return nil, &fault.Error{Kind: fault.Conflict, Code: "transition_not_allowed", Message: msg,
				Fields: map[string]string{"status": "allowed: " + strings.Join(allowed, ", ")}}
		}
		if to == "refunded" && ch.RefundCents == nil {
			refund = o.TotalCents - o.RefundedCents // the rest
		}
	}
	if ch.RefundCents != nil {
		refund = *ch.RefundCents
		if !slices.Contains([]string{"paid", "fulfilled", "completed"}, from) {
			return nil, &fault.Error{Kind: fault.Conflict, Code: "not_refundable", Message: "only a paid order can be refunded (it is " + from + ")"}
		}
		if o.RefundedCents+refund > o.TotalCents {
			return nil, &fault.Error{Kind: fault.Conflict, Code: "refund_too_large",
				Message: fmt.Sprintf("at most %s is left to refund", money(o.TotalCents-o.RefundedCents, o.Currency)),
				Fields:  map[string]string{"refund_cents": fmt.Sprintf("at most %d", o.TotalCents-o.RefundedCents)}}
		}
		if o.RefundedCents+refund == o.TotalCents {
			to = "refunded"
		}
	}
	if refund > 0 {
		if o.PaymentMethod == Card && o.PaymentRef != "" {
			key := fmt.Sprintf("refund-%d-%d-%d", o.ID, o.RefundedCents, refund)
			if err := s.payments.Refund(ctx, o.PaymentRef, refund, key); err != nil {
				return nil, err
			}
		}
		upd.SetRefundedCents(o.RefundedCents + refund)
		if err := s.history(ctx, c, o.ID, a, "refund", "", "", refund, ""); err != nil {
			return nil, err
		}
		if err := bumpDay(ctx, c, o.CreatedAt, dayDelta{revenue: -refund}); err != nil {
			return nil, err
		}
	}
	if to != from {
		now := s.now()
		switch to {
		case "paid":
			upd.SetPaidAt(now).ClearExpiresAt()
		case "fulfilled":
			upd.SetFulfilledAt(now)
		case "completed":
			upd.SetCompletedAt(now)
		case "cancelled":
			upd.SetCancelledAt(now).ClearExpiresAt()
		}
		upd.SetStatus(entorder.Status(to))
		if err := s.history(ctx, c, o.ID, a, "status", from, to, 0, ""); err != nil {
			return nil, err
		}
	}
	if to == "cancelled" || (refund > 0 && ch.Restock) {
		if err := s.release(ctx, c, o, to == "cancelled"); err != nil {
			return nil, err
		}
		if !o.StockReleased {
			upd.SetStockReleased(true)
		}
	}
	if ch.TrackingNumber != nil && *ch.TrackingNumber != o.TrackingNumber {
		upd.SetTrackingNumber(strings.TrimSpace(*ch.TrackingNumber))
		if err := s.history(ctx, c, o.ID, a, "tracking", "", "", 0, strings.TrimSpace(*ch.TrackingNumber)); err != nil {
			return nil, err
		}
	}
	if ch.Note != nil {
		if err := s.history(ctx, c, o.ID, a, "note", "", "", 0, strings.TrimSpace(*ch.Note)); err != nil {
			return nil, err
		}
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, err
	}
	after, err := s.get(ctx, c, o.ID)
	if err != nil {
		return nil, err
	}
	if err := auditChange(ctx, a, before, after, ch); err != nil {
		return nil, err
	}
	if to != from {
		if err := s.mailStatus(ctx, after, shop.Name); err != nil {
			return nil, err
		}
	}
	return after, nil
}

var errNoOrder = &fault.Error{Kind: fault.NotFound, Code: "order_not_found", Message: "no such order in this shop"}

// release returns an order's products to stock, once; a cancellation also
// takes the order out of its day's figures (what was refunded before is
// already out).
func (s *Service) release(ctx context.Context, c *tenant.Client, o *tenant.Order, cancelled bool) error {
	if o.StockReleased {
		return nil
	}
	lines, err := c.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(ctx)
	if err != nil {
		return err
	}
	moves := make([]StockMove, len(lines))
	pl := make([]pricedLine, len(lines))
	for i, l := range lines {
		moves[i] = StockMove{ProductID: l.ProductID, Quantity: l.Quantity}
		pl[i] = pricedLine{ProductID: l.ProductID, SKU: l.Sku, Title: l.Title, Quantity: l.Quantity, TotalCents: l.TotalCents}
	}
	if err := s.catalog.ReturnStock(ctx, moves); err != nil {
		return err
	}
	if !cancelled {
		return nil
	}
	return s.countSale(ctx, c, o.CreatedAt, pl, totals{Total: o.TotalCents - o.RefundedCents, Units: o.Units}, -1)
}

func auditChange(ctx context.Context, a Actor, before, after *View, ch Change) error {
	b, af := map[string]any{}, map[string]any{}
	if before.Status != after.Status {
		b["status"], af["status"] = before.Status, after.Status
	}
	if before.RefundedCents != after.RefundedCents {
		b["refunded_cents"], af["refunded_cents"] = before.RefundedCents, after.RefundedCents
	}
	if before.TrackingNumber != after.TrackingNumber {
		b["tracking_number"], af["tracking_number"] = before.TrackingNumber, after.TrackingNumber
	}
	if ch.Note != nil {
		af["note"] = strings.TrimSpace(*ch.Note)
	}
	return auditVendor(ctx, a.event("order.update", "order", fmt.Sprint(after.Number), b, af))
}
