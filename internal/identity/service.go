// Package identity is who a user is: accounts and their passwords (argon2id),
// sign-in with throttling, sessions made of rotating refresh tokens, short
// access tokens (JWT), password resets by mail, and the per-request check that
// a token still stands for an active user and a live session. What a user may
// do in a vendor is internal/authz's business.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"github.com/bazaar/bazaar/internal/ratelimit"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/tenantdb"
)

// Options configure the Service (from config.Auth).
type Options struct {
	Issuer     string
	Keys       []Key         // the first signs; all verify
	AccessTTL  time.Duration // ≤ 15m
	RefreshTTL time.Duration // life of one refresh token
	SessionTTL time.Duration // absolute life of a session, however often refreshed
	ResetTTL   time.Duration // life of a password reset link
	KDF        KDF
	Throttle   ThrottleOptions
}

// Service is the identity service.
type Service struct {
	db     *tenantdb.DB
	o      Options
	log    *slog.Logger
	hasher *Hasher
	signer *tokenSigner
	ips    *ratelimit.Window

	stmtMu    sync.Mutex
	principal atomic.Pointer[tenantdb.Stmt] // the per-request session check, prepared on first use
}

// New builds the Service.
func New(db *tenantdb.DB, o Options, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	signer, err := newTokenSigner(o.Issuer, o.AccessTTL, o.Keys)
	if err != nil {
		return nil, err
	}
	h, err := NewHasher(o.KDF)
	if err != nil {
		return nil, err
	}
	if o.RefreshTTL <= 0 || o.SessionTTL <= 0 || o.ResetTTL <= 0 {
		return nil, fmt.Errorf("identity: refresh, session and reset lifetimes must be positive")
	}
	if err := o.Throttle.validate(); err != nil {
		return nil, err
	}
	return &Service{
		db: db, o: o, log: log, hasher: h, signer: signer,
		ips: ratelimit.NewWindow(o.Throttle.IPAttempts, o.Throttle.IPWindow),
	}, nil
}

// Hasher is the service's password hasher (team invitations use it when a
// new member sets a password).
func (s *Service) Hasher() *Hasher { return s.hasher }

// Meta describes the request behind an operation, for sessions and audit.
type Meta struct {
	IP        string
	UserAgent string
	RequestID string
	VendorID  int // the vendor host the request came to, if any
}

// User is an account as clients see it.
type User struct {
	ID                 int       `json:"id"`
	Email              string    `json:"email"`
	FirstName          string    `json:"first_name"`
	LastName           string    `json:"last_name"`
	SuperAdmin         bool      `json:"super_admin"`
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`
}

func userOf(u *platform.User) *User {
	return &User{
		ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		SuperAdmin: u.PlatformRole == "superadmin", MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt,
	}
}

// newSecret returns a 256-bit random token (URL-safe) and its SHA-256, which
// is all the database keeps.
func newSecret() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashSecret(token)
}

// HashSecret is how one-time tokens (refresh, reset, invitation) are stored.
func HashSecret(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// withTx runs fn in a platform transaction.
func (s *Service) withTx(ctx context.Context, fn func(ctx context.Context, tx *platform.Tx) error) error {
	tx, err := s.db.Platform().Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
