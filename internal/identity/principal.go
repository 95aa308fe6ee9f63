package identity

import (
	"context"
	"database/sql"

	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Principal is the signed-in user behind a request.
type Principal struct {
	UserID     int
	SessionID  int
	Email      string
	SuperAdmin bool
	// MustChangePassword: the account was given its password by someone
	// else (an initial password from onboarding, a mass reset); until the
	// user chooses one, only their own account's routes answer.
	MustChangePassword bool
	// PolicyVersion is the request vendor's policy version read with the
	// session (0 off vendor hosts): the authorizer refuses to decide with an
	// older cached policy.
	PolicyVersion int64
}

var principalSQL = fmt.Sprintf(`
SELECT u.email, u.platform_role = 'superadmin', u.must_change_password, u.tokens_valid_after,
       (SELECT v.policy_version FROM %[1]s.vendors v WHERE v.id = $3)
FROM %[1]s.users u
JOIN %[1]s.sessions s ON s.id = $2 AND s.user_id = u.id
WHERE u.id = $1 AND u.active AND s.revoked_at IS NULL AND s.expires_at > now()`,
	pq.QuoteIdentifier(tenantdb.PlatformSchema))

// Authenticate checks an access token and, in the same database round trip,
// that it still stands for an active user and a live session — so a logout,
// a password reset or a deactivation is refused on the very next request on
// every instance, with no cache to invalidate. It also reads the policy
// version of vendorID (0: none) for the authorizer.
func (s *Service) Authenticate(ctx context.Context, token string, vendorID int) (*Principal, error) {
	userID, claims, err := s.signer.verify(token)
	if err != nil {
		return nil, err
	}
	stmt, err := s.principalStmt(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, userID, claims.SID, vendorID)
	if err != nil {
		return nil, fmt.Errorf("identity: check session: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, errBadToken // no such active user with that live session
	}
	p := &Principal{UserID: userID, SessionID: claims.SID}
	var validAfter time.Time
	var version sql.NullInt64
	if err := rows.Scan(&p.Email, &p.SuperAdmin, &p.MustChangePassword, &validAfter, &version); err != nil {
		return nil, err
	}
	if claims.IssuedAt.Time.Before(validAfter.Truncate(time.Second)) {
		return nil, errBadToken
	}
	p.PolicyVersion = version.Int64
	return p, rows.Err()
}

// principalStmt prepares principalSQL on first use (one round trip per
// request instead of two; see tenantdb.DB.Prepare).
func (s *Service) principalStmt(ctx context.Context) (*tenantdb.Stmt, error) {
	if st := s.principal.Load(); st != nil {
		return st, nil
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st := s.principal.Load(); st != nil {
		return st, nil
	}
	st, err := s.db.Prepare(ctx, principalSQL)
	if err != nil {
		return nil, fmt.Errorf("identity: prepare session check: %w", err)
	}
	s.principal.Store(st)
	return st, nil
}

// Me returns the signed-in user's account.
func (s *Service) Me(ctx context.Context, p *Principal) (*User, error) {
	u, err := s.User(ctx, p.UserID)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, fault.New(fault.Unauthenticated, "the account no longer exists")
	}
	return u, err
}

// User returns an account as stored.
func (s *Service) User(ctx context.Context, id int) (*User, error) {
	u, err := s.db.Platform().User.Get(ctx, id)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no account %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: user %d: %w", id, err)
	}
	return userOf(u), nil
}
