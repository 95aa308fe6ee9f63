package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Event is a provider's webhook event, verified, in the terms an order
// acts on.
type Event struct {
	Provider string // "stripe"
	ID       string // evt_…: what Seen records
	Type     string // payment_intent.succeeded, payment_intent.payment_failed, charge.refunded…
	// Ref is the PaymentIntent the event concerns (pi_…), StartCard's Ref:
	// the object's id for payment_intent.* events, its payment_intent for a
	// charge's or a refund's; "" for other objects.
	Ref string
	// AmountCents is what the event moved: amount_received for
	// payment_intent.succeeded, amount_refunded (in all) for
	// charge.refunded, the object's amount otherwise.
	AmountCents int64
	Currency    string            // ISO 4217 in upper case: EUR
	Created     time.Time         // when the provider made the event
	Livemode    bool              // false for test-mode events
	Metadata    map[string]string // the object's (StartCard's request's, with bazaar_vendor_id)
}

// stripeObject is what Event reads of an event's object; an event's object
// renders the same in every API version for these fields, so events of an
// endpoint pinned to another version than stripe-go's are read alike.
type stripeObject struct {
	Object         string            `json:"object"`
	ID             string            `json:"id"`
	Amount         int64             `json:"amount"`
	AmountReceived int64             `json:"amount_received"`
	AmountRefunded int64             `json:"amount_refunded"`
	Currency       string            `json:"currency"`
	PaymentIntent  json.RawMessage   `json:"payment_intent"` // an id, or the object when expanded
	Metadata       map[string]string `json:"metadata"`
}

// Webhook verifies a Stripe webhook for the bound shop — the shop is the
// request's host's, never the payload's — with the shop's own signing
// secret: the signature over the raw payload, and the signed timestamp
// within the configured tolerance. A missing, malformed or wrong signature,
// a stale timestamp or a payload that is no event is refused (400, naming
// the problem); a shop without a signing secret answers 404. Verifying is
// not handling: the caller records the event with Seen, in the transaction
// that acts on it, so a replay changes nothing.
func (s *Service) Webhook(ctx context.Context, payload []byte, signatureHeader string) (*Event, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	if len(payload) > s.maxBytes {
		return nil, fault.New(fault.TooLarge, "the webhook payload is over %d bytes", s.maxBytes)
	}
	a, err := stripeAccount(ctx)
	if err != nil {
		return nil, err
	}
	if a == nil || len(a.WebhookSecretSealed) == 0 {
		return nil, &fault.Error{Kind: fault.NotFound, Code: "webhook_not_configured", Message: "this shop has no Stripe webhook signing secret"}
	}
	secret, err := s.open(t.ID, fieldStripeWebhookSecret, a.WebhookSecretSealed)
	if err != nil {
		s.log.ErrorContext(ctx, "payment: the shop's Stripe webhook secret does not open", "vendor", t.Slug, "err", err)
		return nil, &fault.Error{Kind: fault.Unavailable, Code: "payment_unavailable",
			Message: "this shop's Stripe webhook secret must be set again", Err: err}
	}
	e, err := webhook.ConstructEventWithOptions(payload, signatureHeader, secret, webhook.ConstructEventOptions{
		Tolerance: s.tolerance,
		// The endpoint's API version is the vendor's choice in its Stripe
		// dashboard; the fields read here are the same in all of them.
		IgnoreAPIVersionMismatch: true,
	})
	if err != nil {
		return nil, s.signatureError(err)
	}
	if e.ID == "" || e.Type == "" || e.Data == nil {
		return nil, &fault.Error{Kind: fault.Invalid, Code: "bad_payload", Message: "the webhook payload is not a Stripe event (no id, type or data)"}
	}
	var obj stripeObject
	if err := json.Unmarshal(e.Data.Raw, &obj); err != nil {
		return nil, &fault.Error{Kind: fault.Invalid, Code: "bad_payload", Message: "the webhook event's data.object is not an object"}
	}
	ev := &Event{
		Provider: Stripe, ID: e.ID, Type: string(e.Type), AmountCents: obj.Amount,
		Currency: strings.ToUpper(obj.Currency), Created: time.Unix(e.Created, 0).UTC(), Livemode: e.Livemode, Metadata: obj.Metadata,
	}
	switch obj.Object {
	case "payment_intent":
		ev.Ref = obj.ID
		if ev.Type == "payment_intent.succeeded" {
			ev.AmountCents = obj.AmountReceived
		}
	case "charge":
		ev.Ref = paymentIntentOf(obj.PaymentIntent)
		if ev.Type == "charge.refunded" {
			ev.AmountCents = obj.AmountRefunded
		}
	case "refund":
		ev.Ref = paymentIntentOf(obj.PaymentIntent)
	}
	if !paymentIntentRef.MatchString(ev.Ref) {
		ev.Ref = ""
	}
	return ev, nil
}

// paymentIntentOf is the id a payment_intent field holds: the id itself,
// or an expanded object's id.
func paymentIntentOf(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.ID
	}
	return ""
}

// signatureError names what is wrong with a webhook's signature, never
// repeating the header or the secret.
func (s *Service) signatureError(err error) error {
	f := func(code, msg string) error { return &fault.Error{Kind: fault.Invalid, Code: code, Message: msg} }
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return f("bad_signature", "the webhook has no Stripe-Signature header")
	case errors.Is(err, webhook.ErrInvalidHeader):
		return f("bad_signature", "the webhook's Stripe-Signature header is malformed")
	case errors.Is(err, webhook.ErrNoValidSignature):
		return f("bad_signature", "the webhook's signature does not match this shop's signing secret")
	case errors.Is(err, webhook.ErrTooOld):
		return f("stale_signature", fmt.Sprintf("the webhook's signed timestamp is older than %s: a replay, or a clock far off", s.tolerance))
	}
	// What is left is a payload that is not JSON (stripe-go's message
	// quotes the parser, not the payload).
	return f("bad_payload", "the webhook payload is not a Stripe event (not JSON)")
}

// Seen records that the bound shop handled the provider's event eventID
// (of eventType, for orderID if any, with outcome saying what it did) and
// reports whether this is the first time: false means it was handled
// before and must not be acted on again. Record it in the same transaction
// as the event's effect (the order marked paid): if that transaction rolls
// back, so does the record, and the provider's retry is handled afresh;
// once it commits, a retry or a replay is a no-op. Two deliveries racing
// are ordered by the unique (provider, event_id): the second waits for the
// first's transaction and then sees false.
func (s *Service) Seen(ctx context.Context, provider, eventID, eventType string, orderID *int, outcome string) (first bool, err error) {
	bad := map[string]string{}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"provider", provider, 30}, {"event_id", eventID, 255}, {"type", eventType, 100}, {"outcome", outcome, 100}} {
		if f.value == "" || len(f.value) > f.max || textProblem(f.value, f.max) != "" {
			bad[f.name] = "must be 1 to " + strconv.Itoa(f.max) + " bytes of text"
		}
	}
	if err := fault.Fields("invalid payment event", bad); err != nil {
		return false, err
	}
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO payment_events (provider, event_id, type, order_id, outcome, created_at)
		VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, eventType, orderID, outcome)
	if err != nil {
		return false, fmt.Errorf("payment: record event %s: %w", eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// Outcome records what handling an event Seen for the first time did (the
// order it was about, and the outcome), in the same transaction.
func (s *Service) Outcome(ctx context.Context, provider, eventID string, orderID *int, outcome string) error {
	if outcome == "" || len(outcome) > 100 {
		return fault.Fields("invalid payment event", map[string]string{"outcome": "must be 1 to 100 bytes of text"})
	}
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE payment_events SET order_id = $3, outcome = $4 WHERE provider = $1 AND event_id = $2`,
		provider, eventID, orderID, outcome)
	return err
}
