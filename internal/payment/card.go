package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stripe/stripe-go/v82"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/locale"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/tenantdb"
)

// IntentRequest asks for a card payment of an amount.
type IntentRequest struct {
	AmountCents int64  // in the currency's smallest unit, 1 to 99,999,999 (Stripe's limit)
	Currency    string // ISO 4217 as Bazaar stores it: EUR
	// IdempotencyKey makes the request safe to repeat: the same key (for the
	// same shop) gives the same PaymentIntent, never a second one. Use one
	// per order attempt, such as "order-42". At most 200 printable ASCII
	// characters.
	IdempotencyKey string
	Description    string            // shown in the shop's Stripe dashboard; optional
	Email          string            // the receipt's address; optional
	Metadata       map[string]string // kept with the payment (the order's id, say); keys starting bazaar_ are this package's
}

// Intent is a card payment started: the shop front confirms it with Stripe
// (Stripe.js with the client secret and the shop's publishable key), and
// its outcome arrives by webhook.
type Intent struct {
	Ref            string `json:"ref"`           // the PaymentIntent's id, pi_…
	ClientSecret   string `json:"client_secret"` // for the shopper's browser only; never stored or logged
	PublishableKey string `json:"publishable_key"`
}

// Stripe's limits on what a request carries.
const (
	maxAmountCents     = 99_999_999
	maxIdempotencyKey  = 200
	maxDescription     = 500
	maxMetadataKeys    = 40 // of Stripe's 50, leaving room for this package's own
	maxMetadataKeyLen  = 40
	maxMetadataValue   = 500
	metadataVendorID   = "bazaar_vendor_id"
	reservedMetaPrefix = "bazaar_"
)

// paymentIntentRef is the form of a PaymentIntent's id.
var paymentIntentRef = regexp.MustCompile(`^pi_[A-Za-z0-9]{1,250}$`)

// errNoCards refuses a card payment in a shop that takes none.
var errNoCards = &fault.Error{Kind: fault.Invalid, Code: "payment_method_unavailable", Message: "this shop does not take card payments"}

// StartCard creates a PaymentIntent for req with the bound shop's own
// Stripe key (cards only), repeated safely on req.IdempotencyKey. A shop
// that takes no cards is refused (400, payment_method_unavailable); Stripe's
// refusals and failures become faults with a safe summary, never its text
// or a key.
func (s *Service) StartCard(ctx context.Context, req IntentRequest) (Intent, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return Intent{}, err
	}
	if err := req.check(); err != nil {
		return Intent{}, err
	}
	a, err := stripeAccount(ctx)
	if err != nil {
		return Intent{}, err
	}
	if !usable(a) {
		return Intent{}, errNoCards
	}
	key, err := s.secretKey(ctx, t, a.SecretKeySealed)
	if err != nil {
		return Intent{}, err
	}
	p := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(req.AmountCents),
		Currency:           stripe.String(strings.ToLower(req.Currency)),
		PaymentMethodTypes: []*string{stripe.String("card")},
		Metadata:           map[string]string{metadataVendorID: strconv.Itoa(t.ID)},
	}
	for k, v := range req.Metadata {
		p.Metadata[k] = v
	}
	if req.Description != "" {
		p.Description = stripe.String(req.Description)
	}
	if req.Email != "" {
		p.ReceiptEmail = stripe.String(req.Email)
	}
	p.SetIdempotencyKey(scopedKey(t, "intent", req.IdempotencyKey))
	pi, err := s.client(key).V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return Intent{}, s.providerError(ctx, t, "create a card payment", err)
	}
	if !paymentIntentRef.MatchString(pi.ID) || pi.ClientSecret == "" {
		return Intent{}, s.providerError(ctx, t, "create a card payment", fmt.Errorf("an answer without a PaymentIntent id or client secret (id %q)", pi.ID))
	}
	return Intent{Ref: pi.ID, ClientSecret: pi.ClientSecret, PublishableKey: a.PublishableKey}, nil
}

// Refund gives back amountCents (all or part) of the card payment ref
// (pi_…) with the bound shop's Stripe key, repeated safely on
// idempotencyKey. A shop that has turned card payments off can still
// refund the ones it took, as long as its secret key is kept.
func (s *Service) Refund(ctx context.Context, ref string, amountCents int64, idempotencyKey string) error {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return err
	}
	bad := map[string]string{}
	if !paymentIntentRef.MatchString(ref) {
		bad["ref"] = "must be a Stripe PaymentIntent id (pi_…)"
	}
	if amountCents < 1 || amountCents > maxAmountCents {
		bad["amount_cents"] = "must be 1 to " + strconv.Itoa(maxAmountCents)
	}
	if msg := idempotencyKeyProblem(idempotencyKey); msg != "" {
		bad["idempotency_key"] = msg
	}
	if err := fault.Fields("invalid refund", bad); err != nil {
		return err
	}
	a, err := stripeAccount(ctx)
	if err != nil {
		return err
	}
	if a == nil || len(a.SecretKeySealed) == 0 {
		return &fault.Error{Kind: fault.Invalid, Code: "payment_method_unavailable", Message: "this shop has no Stripe key to refund with"}
	}
	key, err := s.secretKey(ctx, t, a.SecretKeySealed)
	if err != nil {
		return err
	}
	p := &stripe.RefundCreateParams{
		PaymentIntent: stripe.String(ref),
		Amount:        stripe.Int64(amountCents),
		Metadata:      map[string]string{metadataVendorID: strconv.Itoa(t.ID)},
	}
	p.SetIdempotencyKey(scopedKey(t, "refund", idempotencyKey))
	if _, err := s.client(key).V1Refunds.Create(ctx, p); err != nil {
		return s.providerError(ctx, t, "refund a card payment", err)
	}
	return nil
}

// check names every bad field of r.
func (r IntentRequest) check() error {
	bad := map[string]string{}
	if r.AmountCents < 1 || r.AmountCents > maxAmountCents {
		bad["amount_cents"] = "must be 1 to " + strconv.Itoa(maxAmountCents)
	}
	if !locale.IsCurrency(r.Currency) {
		bad["currency"] = "must be an ISO 4217 currency code in upper case, such as EUR"
	}
	if msg := idempotencyKeyProblem(r.IdempotencyKey); msg != "" {
		bad["idempotency_key"] = msg
	}
	if msg := textProblem(r.Description, maxDescription); msg != "" {
		bad["description"] = msg
	}
	if r.Email != "" {
		if msg := mail.AddressProblem(r.Email); msg != "" {
			bad["email"] = msg
		}
	}
	if len(r.Metadata) > maxMetadataKeys {
		bad["metadata"] = "must hold at most " + strconv.Itoa(maxMetadataKeys) + " keys"
	}
	for k, v := range r.Metadata {
		switch {
		case k == "" || len(k) > maxMetadataKeyLen || strings.ContainsAny(k, "[]") || textProblem(k, maxMetadataKeyLen) != "":
			bad["metadata"] = "keys must be 1 to " + strconv.Itoa(maxMetadataKeyLen) + " bytes of text, without [ or ]"
		case strings.HasPrefix(k, reservedMetaPrefix):
			bad["metadata."+k] = "is reserved: keys starting " + reservedMetaPrefix + " are Bazaar's own"
		case textProblem(v, maxMetadataValue) != "":
			bad["metadata."+k] = textProblem(v, maxMetadataValue)
		}
	}
	return fault.Fields("invalid card payment", bad)
}

// idempotencyKeyProblem says what is wrong with an idempotency key, or "".
func idempotencyKeyProblem(k string) string {
	if k == "" || len(k) > maxIdempotencyKey {
		return "must be 1 to " + strconv.Itoa(maxIdempotencyKey) + " characters"
	}
	for _, c := range []byte(k) {
		if c < 0x21 || c > 0x7e {
			return "must be printable ASCII without spaces"
		}
	}
	return ""
}

// textProblem says what is wrong with a line of text of at most limit
// bytes, or "".
func textProblem(s string, limit int) string {
	switch {
	case len(s) > limit:
		return "must be at most " + strconv.Itoa(limit) + " bytes"
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "must be one line of UTF-8 text, without control characters"
	}
	return ""
}

// scopedKey is the idempotency key Stripe sees: the caller's, within the
// shop and the kind of request, so two shops sharing one Stripe account
// (or an intent and a refund given the same key) never answer each other.
func scopedKey(t *tenantdb.Tenant, kind, key string) string {
	return "bazaar-" + strconv.Itoa(t.ID) + "-" + kind + "-" + key
}

// secretKey opens the shop's sealed secret key. One that does not open (the
// platform's key changed, or the row was tampered with) makes card payments
// unavailable until the shop sets its key again; the cause is logged.
func (s *Service) secretKey(ctx context.Context, t *tenantdb.Tenant, sealed []byte) (string, error) {
	key, err := s.open(t.ID, fieldStripeSecretKey, sealed)
	if err != nil {
		s.log.ErrorContext(ctx, "payment: the shop's Stripe secret key does not open", "vendor", t.Slug, "err", err)
		return "", &fault.Error{Kind: fault.Unavailable, Code: "payment_unavailable",
			Message: "card payments are unavailable in this shop until its Stripe keys are set again", Err: err}
	}
	return key, nil
}

// redactable are what must never reach a log or a client from a provider's
// message: keys, signing secrets and client secrets, even masked.
var redactable = regexp.MustCompile(`\b(sk|rk|pk)_(test|live)_[A-Za-z0-9*]+|\bwhsec_[A-Za-z0-9+/=*]+|_secret_[A-Za-z0-9*]+`)

func redact(s string) string { return redactable.ReplaceAllString(s, "[redacted]") }

// providerError turns a failed call to Stripe into a fault whose message is
// safe for a shopper or a vendor (what happened, never Stripe's text or a
// key) and logs what an operator needs: the kind, code, status and request
// id, and Stripe's message redacted. A stripe.Error is never passed on as
// it is: its text is the whole error object, which may hold a PaymentIntent
// and its client secret.
func (s *Service) providerError(ctx context.Context, t *tenantdb.Tenant, op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		s.log.WarnContext(ctx, "payment: Stripe could not be reached", "vendor", t.Slug, "op", op, "err", redact(err.Error()))
		cause := fmt.Errorf("stripe: %s: %s", op, redact(err.Error()))
		msg := "the payment provider could not be reached; try again in a moment"
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "the payment provider did not answer in time; try again in a moment"
		}
		return &fault.Error{Kind: fault.Unavailable, Code: "payment_provider_unavailable", Message: msg, Err: cause}
	}
	cause := fmt.Errorf("stripe: %s: %s %s (status %d, request %s): %s", op, se.Type, se.Code, se.HTTPStatusCode, se.RequestID, redact(se.Msg))
	s.log.WarnContext(ctx, "payment: Stripe refused", "vendor", t.Slug, "op", op, "type", se.Type, "code", se.Code,
		"status", se.HTTPStatusCode, "request_id", se.RequestID, "message", redact(se.Msg))
	f := func(kind fault.Kind, code, msg string) error {
		return &fault.Error{Kind: kind, Code: code, Message: msg, Err: cause}
	}
	switch {
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden || se.Code == stripe.ErrorCodeAPIKeyExpired:
		return f(fault.Unavailable, "payment_unavailable", "card payments are unavailable in this shop: its Stripe account refused the shop's key")
	case se.Type == stripe.ErrorTypeIdempotency:
		return f(fault.Conflict, "payment_idempotency_conflict", "a payment was already made with this idempotency key and other details")
	case se.Type == stripe.ErrorTypeCard:
		return f(fault.Invalid, "card_declined", "the card was declined")
	case se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= 500 || se.Type == stripe.ErrorTypeAPI:
		return f(fault.Unavailable, "payment_provider_unavailable", "the payment provider failed to answer; try again in a moment")
	case se.HTTPStatusCode == http.StatusNotFound || se.Code == stripe.ErrorCodeResourceMissing:
		return f(fault.NotFound, "payment_not_found", "the payment provider knows no such payment")
	case se.Code == stripe.ErrorCodeChargeAlreadyRefunded:
		return f(fault.Conflict, "payment_refused", "the payment is already refunded")
	case se.Code == stripe.ErrorCodeAmountTooSmall:
		return f(fault.Invalid, "payment_refused", "the amount is below the payment provider's minimum for this currency")
	case se.Code == stripe.ErrorCodeAmountTooLarge:
		return f(fault.Invalid, "payment_refused", "the amount is above the payment provider's maximum")
	case se.Code != "":
		return f(fault.Invalid, "payment_refused", "the payment provider refused the request ("+string(se.Code)+")")
	}
	return f(fault.Invalid, "payment_refused", "the payment provider refused the request")
}
