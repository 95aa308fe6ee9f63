// Package team is a vendor's team: its members and their roles, invitations
// by mail, and custom roles. Memberships and invitations are platform rows
// (a person may belong to many vendors); roles and the team's audit trail live
// in the vendor's schema. Every change is checked against the acting member's
// own permissions — nobody hands out what they do not hold — and announced
// so every instance's authorizer forgets the vendor's policy at once.
package team

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Passwords hashes and checks passwords (identity's Hasher).
type Passwords interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (ok, stale bool, err error)
}

// Options configure the Service.
type Options struct {
	InviteTTL time.Duration // how long an invitation stays valid (7 days by default)
}

// ListLimits bound a page of the team's lists (members, invitations, roles).
// They are small: the generous default gives most shops a whole list at once.
var ListLimits = page.Bounds{Default: 100, Max: 500}

// Service manages vendor teams.
type Service struct {
	db        *tenantdb.DB
	passwords Passwords
	policies  *authz.Authorizer
	o         Options
	log       *slog.Logger
}

// New builds the Service.
func New(db *tenantdb.DB, passwords Passwords, policies *authz.Authorizer, o Options, log *slog.Logger) *Service {
	if o.InviteTTL <= 0 {
		o.InviteTTL = 7 * 24 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, passwords: passwords, policies: policies, o: o, log: log}
}

// Actor is the member acting, with what they may do in the vendor.
type Actor struct {
	UserID      int
	Email       string
	Permissions []string // expanded (authz.Access)
	IP          string
	RequestID   string
}

func (a Actor) holdsAll(perms []string) []string {
	var lacking []string
	for _, p := range authz.Expand(perms) {
		if !slices.Contains(a.Permissions, p) {
			lacking = append(lacking, p)
		}
	}
	return lacking
}

// errEscalation refuses handing out permissions one does not hold.
func errEscalation(lacking []string) error {
	return &fault.Error{Kind: fault.Forbidden, Code: "permission_escalation",
		Message: "you cannot grant permissions you do not hold: " + strings.Join(lacking, ", ")}
}

// membersChanged records in tx that the vendor's members changed (see
// authz.Changed) and drops this instance's copy once the request's tenant
// transaction has committed too.
func (s *Service) membersChanged(ctx context.Context, tx *platform.Tx, vendorID int) error {
	if err := authz.Changed(ctx, tx, vendorID); err != nil {
		return err
	}
	tenantdb.AfterCommit(ctx, func() { s.policies.Invalidate(vendorID) })
	return nil
}

// rolesChanged is membersChanged for changes in the vendor's schema. The
// policy version lives in the platform schema, so it is bumped once the
// tenant transaction has committed (bumping earlier would let another
// instance cache the old roles under the new version); the NOTIFY sent with
// the change itself covers a failure to bump.
func (s *Service) rolesChanged(ctx context.Context) error {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, authz.NotifySQL, authz.NotifyArg(t.ID)); err != nil {
		return err
	}
	tenantdb.AfterCommit(ctx, func() {
		if err := s.policies.Bump(context.WithoutCancel(ctx), t.ID); err != nil {
			s.log.ErrorContext(ctx, "bump policy version after a role change", "vendor_id", t.ID, "err", err)
		}
	})
	return nil
}

// platformTx runs fn in a platform transaction.
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

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
