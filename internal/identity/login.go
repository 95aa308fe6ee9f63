package identity

import (
	"context"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
)

// errLogin is the one answer to every failed sign-in: wrong password, unknown
// email and disabled account look the same.
var errLogin = &fault.Error{Kind: fault.Unauthenticated, Code: "invalid_credentials", Message: "invalid email or password"}

// Login checks email and password and opens a session. Every outcome takes
// one password verification, whether or not the account exists, so timing
// does not reveal which emails have accounts.
func (s *Service) Login(ctx context.Context, email, password string, m Meta) (*User, *Tokens, error) {
	now := time.Now()
	if ok, wait := s.ips.Allow(m.IP, now); !ok {
		s.log.WarnContext(ctx, "sign-in throttled", "limit", "address", "ip", m.IP, "request_id", m.RequestID)
		return nil, nil, errThrottled(wait)
	}
	email = NormalizeEmail(email)
	if email == "" || password == "" || len(password) > maxPasswordLen || len(email) > 254 {
		return nil, nil, fault.Fields("email and password are required", missing(email, password))
	}
	key := accountKey(email)
	if wait, err := s.accountBlocked(ctx, key); err != nil {
		return nil, nil, err
	} else if wait > 0 {
		// The email is not logged: the audit trail has the failures.
		s.log.WarnContext(ctx, "sign-in throttled", "limit", "account", "ip", m.IP, "request_id", m.RequestID)
		return nil, nil, errThrottled(wait)
	}

	u, err := s.db.Platform().User.Query().Where(user.Email(email)).Only(ctx)
	switch {
	case platform.IsNotFound(err):
		if err := s.hasher.Burn(ctx, password); err != nil {
			return nil, nil, err
		}
		return nil, nil, s.loginFailed(ctx, key, nil, email, m, "unknown_email")
	case err != nil:
		return nil, nil, err
	}
	ok, stale, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, s.loginFailed(ctx, key, u, email, m, "wrong_password")
	}
	if !u.Active {
		return nil, nil, s.loginFailed(ctx, key, u, email, m, "inactive")
	}
	if err := s.clearFailures(ctx, key); err != nil {
		return nil, nil, err
	}
	var tokens *Tokens
	err = s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
		upd := tx.User.UpdateOneID(u.ID).SetLastLoginAt(now)
		if stale { // parameters were raised since this hash was made
			if h, err := s.hasher.Hash(ctx, password); err == nil {
				upd.SetPasswordHash(h)
			}
		}
		if err := upd.Exec(ctx); err != nil {
			return err
		}
		tokens, err = s.startSession(ctx, tx, u.ID, m, now)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return userOf(u), tokens, nil
}

func (s *Service) loginFailed(ctx context.Context, key []byte, u *platform.User, email string, m Meta, reason string) error {
	if err := s.recordFailure(ctx, key); err != nil {
		return err
	}
	ev := audit.Event{
		ActorEmail: email, Action: "auth.login_failed", TargetType: "user", TargetID: email,
		After: map[string]any{"reason": reason}, IP: m.IP, RequestID: m.RequestID, VendorID: m.VendorID,
	}
	if u != nil {
		ev.ActorID = u.ID
	}
	if err := audit.Platform(ctx, s.db.Platform(), ev); err != nil {
		return err
	}
	return errLogin
}

func missing(email, password string) map[string]string {
	f := map[string]string{}
	if email == "" {
		f["email"] = "is required"
	}
	if password == "" {
		f["password"] = "is required"
	}
	if len(f) == 0 {
		f["password"] = "is too long"
	}
	return f
}
