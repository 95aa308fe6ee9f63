// Package account is the super admins' oversight of the platform's
// accounts: finding them (by e-mail or name, active or not, with their
// membership counts), one account with its memberships across vendors and
// its live sessions, deactivating and reactivating it, and mass password
// resets — a queue job with progress that resumes after a killed server and
// resets nobody twice.
//
// Signing in, sessions and reset links are identity's: ending an account's
// sessions and forcing its password reset are identity's operations,
// composed in through Options.Accounts (internal/compose), so this package
// imports no other domain. Every change is recorded in the platform audit
// trail in the change's own transaction.
package account

import (
	"context"
	"log/slog"
	"net/url"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/tenantdb"
)

// Actor is the super admin who makes a change.
type Actor struct {
	UserID    int
	Email     string
	IP        string
	RequestID string
}

// Accounts are identity's operations on one account, inside the caller's
// platform transaction so that they commit with what records them.
type Accounts interface {
	// RevokeAllSessions ends every session of the account and refuses
	// every access token issued so far, on every instance.
	RevokeAllSessions(ctx context.Context, tx *platform.Tx, userID int, reason string) error
	// ForceReset makes the account choose a new password, ends its
	// sessions and mails it a reset link made by link (identity's
	// ForcePasswordReset). A missing account is fault.NotFound, a
	// deactivated one fault.Conflict, and then nothing was written.
	ForceReset(ctx context.Context, tx *platform.Tx, userID int, by Actor, reason string, link func(token string) string) error
}

// Enqueuer starts the queue job that runs a mass password reset.
type Enqueuer interface {
	EnqueueReset(ctx context.Context, jobID int) error
}

// Options configure the Service.
type Options struct {
	Accounts Accounts
	// Base is the platform as people reach it (https://shops.example.com):
	// a reset link, mailed outside any request, is Base/reset-password?token=…
	Base *url.URL
}

// Service oversees accounts for super admins.
type Service struct {
	db    *tenantdb.DB
	o     Options
	log   *slog.Logger
	queue Enqueuer // nil: a reset job waits for the resume check of an instance running the queue
}

// New builds the Service.
func New(db *tenantdb.DB, o Options, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, o: o, log: log}
}

// UseQueue makes mass resets start on the queue as soon as they are asked
// for (serve).
func (s *Service) UseQueue(q Enqueuer) { s.queue = q }

// platformTx runs fn in a platform transaction, committing when it returns
// nil.
func (s *Service) platformTx(ctx context.Context, fn func(tx *platform.Tx) error) error {
	tx, err := s.db.Platform().Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// resetLink is the address a reset mail carries: the platform's reset page
// (it answers on every host) with the token.
func (s *Service) resetLink(token string) string {
	path := "/reset-password?token=" + url.QueryEscape(token)
	if s.o.Base == nil {
		return path
	}
	u := *s.o.Base
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return u.String() + path
}
