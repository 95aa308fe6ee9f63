// Package payment is how a shop is paid: the payment methods it offers
// (bank transfer always, Stripe cards with the shop's own Stripe account),
// its Stripe keys (sealed at rest with the platform's payment key), card
// payments started and refunded through Stripe's PaymentIntents, and
// Stripe's webhooks verified with the shop's signing secret and recorded
// so each is handled once.
//
// Every method works in the tenant transaction bound to its context and
// learns its shop there (tenantdb.CurrentTenant): a shop's keys are read
// from its own schema and used for it alone. Orders are another domain's:
// the checkout and the webhook route compose this package with them from
// outside.
package payment

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v82"
)

// The providers and methods a shop can offer. BankTransfer needs no
// provider: the order waits for the vendor to mark it paid.
const (
	BankTransfer = "bank_transfer"
	Stripe       = "stripe"
)

// Options configure the service (config.Payments).
type Options struct {
	// Key seals each shop's provider secrets: 32 bytes (AES-256-GCM).
	Key []byte
	// StripeAPIURL is where Stripe's API is reached: https://api.stripe.com,
	// or a stripe-mock in tests.
	StripeAPIURL string
	// Timeout bounds each HTTP request to the provider.
	Timeout time.Duration
	// WebhookTolerance is how old a webhook's signed timestamp may be.
	WebhookTolerance time.Duration
	// WebhookMaxBytes bounds a webhook's payload.
	WebhookMaxBytes int
}

// Actor is who changes a shop's payment settings, for its audit trail.
type Actor struct {
	UserID    int
	Email     string
	IP        string
	RequestID string
}

// Service is the shops' payments.
type Service struct {
	seal      sealer
	backends  *stripe.Backends
	tolerance time.Duration
	maxBytes  int
	log       *slog.Logger
}

// New builds the service. It talks to nothing until a method needs the
// provider.
func New(o Options, log *slog.Logger) (*Service, error) {
	seal, err := newSealer(o.Key)
	if err != nil {
		return nil, err
	}
	if o.StripeAPIURL == "" {
		return nil, errors.New("payment: no Stripe API URL")
	}
	if o.Timeout <= 0 || o.WebhookTolerance <= 0 || o.WebhookMaxBytes <= 0 {
		return nil, fmt.Errorf("payment: timeout (%s), webhook tolerance (%s) and webhook size (%d) must be positive",
			o.Timeout, o.WebhookTolerance, o.WebhookMaxBytes)
	}
	// One backend for every shop: it holds the URL and the HTTP client, not
	// a key; each call is made by a client carrying the shop's own key.
	// stripe-go's own logger is silenced: its debug level prints response
	// bodies (client secrets), and this package logs the provider's failures
	// itself, redacted.
	api := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(o.StripeAPIURL),
		HTTPClient:        &http.Client{Timeout: o.Timeout},
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		MaxNetworkRetries: stripe.Int64(2), // safe: every POST carries an idempotency key
		EnableTelemetry:   stripe.Bool(false),
	})
	return &Service{
		seal:      seal,
		backends:  &stripe.Backends{API: api},
		tolerance: o.WebhookTolerance,
		maxBytes:  o.WebhookMaxBytes,
		log:       log,
	}, nil
}

// client is a Stripe client acting with secret, the shop's own key. It is
// made per call: it is a few hundred bytes of service structs over the
// shared backend, and no shop's key outlives the call that used it.
func (s *Service) client(secret string) *stripe.Client {
	return stripe.NewClient(secret, stripe.WithBackends(s.backends))
}
