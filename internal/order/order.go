// Package order is how a shop sells: carts, checkout, orders and their
// history, the team's processing of them, payments applied to them, the
// shop's shipping methods and its sales figures. Everything lives in the
// vendor's schema; every method works on the tenant transaction bound to its
// context, except Sweep, which opens its own.
//
// Three things it does not own reach it through interfaces wired in
// cmd/bazaar: the catalogue (prices, titles and the stock an order takes —
// the catalogue keeps the rule that stock never goes below zero), the
// customers (a guest checkout's customer row) and the payment providers.
package order

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
)

// Item is a product as a sale needs it.
type Item struct {
	ID         int
	SKU        string
	Title      map[string]string // language → title
	PriceCents int64             // charged now (a sale price when on sale), VAT included
	Currency   string
	VATRateBP  *int // nil: the shop's default
	Stock      *int // nil: not tracked
}

// StockMove is a quantity of one product leaving or returning to stock.
type StockMove struct {
	ProductID int
	Quantity  int
}

// ShortError says a product had too little stock for an order; nothing was
// taken.
type ShortError struct {
	ProductID int
	Available int
}

func (e *ShortError) Error() string { return "order: not enough stock" }

// Catalog is the catalogue as orders use it (internal/catalog).
type Catalog interface {
	// Items are the products of ids a shopper can buy now, keyed by id.
	Items(ctx context.Context, ids []int) (map[int]Item, error)
	// TakeStock takes every move, all or nothing; a short product is a
	// *ShortError.
	TakeStock(ctx context.Context, moves []StockMove) error
	// ReturnStock puts moves back.
	ReturnStock(ctx context.Context, moves []StockMove) error
}

// Customers finds or creates the customer row of a guest checkout
// (internal/customer).
type Customers interface {
	Guest(ctx context.Context, email, firstName, lastName string) (int, error)
}

// CardPayment is a card payment to start for an order.
type CardPayment struct {
	AmountCents    int64
	Currency       string
	IdempotencyKey string
	Description    string
	Email          string
	Metadata       map[string]string
}

// CardStarted is a started card payment: the provider's reference and what
// the shopper's browser confirms it with.
type CardStarted struct {
	Ref            string
	ClientSecret   string
	PublishableKey string
}

// Payments are the shop's payment providers (internal/payment).
type Payments interface {
	// Methods are the payment methods the shop offers now.
	Methods(ctx context.Context) ([]string, error)
	// StartCard creates a card payment (idempotent on its key).
	StartCard(ctx context.Context, p CardPayment) (CardStarted, error)
	// Refund returns amount of the card payment ref (idempotent on key).
	Refund(ctx context.Context, ref string, amountCents int64, key string) error
}

// Payment methods.
const (
	BankTransfer = "bank_transfer"
	Card         = "stripe"
)

// Options configure the Service.
type Options struct {
	CartTTL         time.Duration // an untouched cart expires then (30 days by default)
	CartMaxLines    int           // products in one cart (100 by default)
	MaxQuantity     int           // of one product in a cart or an order (999 by default)
	CardPaymentTTL  time.Duration // an unpaid card order is cancelled then (1 hour by default)
	BankTransferTTL time.Duration // an unpaid bank-transfer order is cancelled then (7 days by default)
	DefaultVATBP    int           // a product without a VAT rate (1700 by default)
}

// Service sells.
type Service struct {
	catalog   Catalog
	customers Customers
	payments  Payments
	o         Options
	log       *slog.Logger
	now       func() time.Time
}

// New builds the Service.
func New(cat Catalog, customers Customers, payments Payments, o Options, log *slog.Logger) *Service {
	if o.CartTTL <= 0 {
		o.CartTTL = 30 * 24 * time.Hour
	}
	if o.CartMaxLines <= 0 {
		o.CartMaxLines = 100
	}
	if o.MaxQuantity <= 0 {
		o.MaxQuantity = 999
	}
	if o.CardPaymentTTL <= 0 {
		o.CardPaymentTTL = time.Hour
	}
	if o.BankTransferTTL <= 0 {
		o.BankTransferTTL = 7 * 24 * time.Hour
	}
	if o.DefaultVATBP == 0 {
		o.DefaultVATBP = 1700
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{catalog: cat, customers: customers, payments: payments, o: o, log: log, now: time.Now}
}

// Actor is who changes an order: a team member (UserID), the shopper, a
// payment provider or the platform itself, with the request for the audit
// trail.
type Actor struct {
	UserID    int
	Email     string
	Kind      string // "user" (default when UserID is set), "shopper", "stripe", "system"
	IP        string
	RequestID string
}

// label is how the order's history names the actor.
func (a Actor) label() string {
	switch {
	case a.UserID != 0:
		return "user:" + itoa(a.UserID) + " " + a.Email
	case a.Kind != "":
		return a.Kind
	}
	return "system"
}

// Shop is what the shop's registry says about it, given by the web layer:
// its name and mail address (the new-order notice goes there), its
// languages and currency.
type Shop struct {
	Name            string
	Email           string
	DefaultLanguage string
	Languages       []string
	Currency        string
	BaseURL         string // the shop's public address, for links in mails
	Bank            BankAccount
}

// BankAccount is where a shop's bank transfers are paid: its Owner gives
// it in the shop's settings (checked there); empty until then.
type BankAccount struct {
	Holder, IBAN, BIC string
}

// Set reports whether the shop has given its account.
func (b BankAccount) Set() bool { return b.IBAN != "" }

// IBANGrouped is the IBAN as people read and type it: in groups of four.
func (b BankAccount) IBANGrouped() string {
	var out strings.Builder
	for i, r := range b.IBAN {
		if i > 0 && i%4 == 0 {
			out.WriteByte(' ')
		}
		out.WriteRune(r)
	}
	return out.String()
}

// Address is a postal address as a shopper gives it.
type Address = schema.Address

func invalid(msg string, bad map[string]string) error { return fault.Fields(msg, bad) }

// event is an audit event of the vendor's trail by a.
func (a Actor) event(action, targetType, targetID string, before, after map[string]any) audit.Event {
	return audit.Event{ActorID: a.UserID, ActorEmail: a.Email, Action: action, TargetType: targetType, TargetID: targetID,
		Before: before, After: after, IP: a.IP, RequestID: a.RequestID}
}
