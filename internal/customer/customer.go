// Package customer is a shop's shoppers: their accounts (e-mail, argon2id
// password, names, addresses), their signed-in sessions and password
// resets, and the guest customers a checkout without an account leaves. A
// shop's customers are its own — they live in the vendor's schema — and
// their sessions are a realm of their own: an opaque token in an HttpOnly
// cookie, never a team credential. Every method works on the tenant
// transaction bound to its context.
package customer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"github.com/bazaar/bazaar/internal/ratelimit"
	"log/slog"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/customersession"
	"github.com/bazaar/bazaar/tenantdb"
)

// Passwords hash and verify shoppers' passwords (identity's argon2id
// hasher, wired in cmd/bazaar).
type Passwords interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (ok, stale bool, err error)
	// Burn spends the time of a verification, so an unknown e-mail answers
	// as slowly as a wrong password.
	Burn(ctx context.Context, password string) error
}

// Options configure the Service. Zero values take the defaults named.
type Options struct {
	SessionTTL time.Duration // how long a shopper stays signed in (30 days)
	ResetTTL   time.Duration // how long a reset link works (1 hour)
	// LoginFailures wrong passwords in a row lock an account for Lockout
	// (10, 15 minutes); a successful sign-in or a reset starts the count
	// again.
	LoginFailures int
	Lockout       time.Duration
	// LoginIPLimit is how many sign-ins, registrations and reset requests
	// one client address may send a minute, whatever the shop (30).
	LoginIPLimit int
}

// Service is the shop's customers.
type Service struct {
	passwords Passwords
	o         Options
	log       *slog.Logger
	now       func() time.Time
	ips       *ratelimit.Window
}

// New builds the Service.
func New(passwords Passwords, o Options, log *slog.Logger) *Service {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 30 * 24 * time.Hour
	}
	if o.ResetTTL <= 0 {
		o.ResetTTL = time.Hour
	}
	if o.LoginFailures <= 0 {
		o.LoginFailures = 10
	}
	if o.Lockout <= 0 {
		o.Lockout = 15 * time.Minute
	}
	if o.LoginIPLimit <= 0 {
		o.LoginIPLimit = 30
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{passwords: passwords, o: o, log: log, now: time.Now, ips: ratelimit.NewWindow(o.LoginIPLimit, time.Minute)}
}

// SessionTTL is how long a sign-in lasts (the cookie's lifetime).
func (s *Service) SessionTTL() time.Duration { return s.o.SessionTTL }

// Shopper is the signed-in customer of a request.
type Shopper struct {
	CustomerID int
	SessionID  int // the session the request came with (a password change keeps it)
	Email      string
	FirstName  string
	LastName   string
}

// Session finds the signed-in customer of a session token in the bound
// shop. An unknown, expired or other shop's token is (nil, nil): the caller
// browses anonymously. A token is looked up by its SHA-256 only.
func (s *Service) Session(ctx context.Context, token string) (*Shopper, error) {
	if token == "" || len(token) > 100 {
		return nil, nil
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := c.CustomerSession.Query().
		Where(customersession.TokenHash(hashToken(token)), customersession.KindEQ(customersession.KindSession),
			customersession.ExpiresAtGT(s.now())).
		WithCustomer().Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cu := sess.Edges.Customer
	return &Shopper{CustomerID: cu.ID, SessionID: sess.ID, Email: cu.Email, FirstName: cu.FirstName, LastName: cu.LastName}, nil
}

// newToken is a 256-bit random token and the hash stored for it.
func newToken() (token string, hash []byte) {
	token = rand.Text() + rand.Text() // 2 × 128 bits, base32
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
