package identity

import (
	"context"
	"strconv"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/session"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/mail"
)

// NewUser is an account to create.
type NewUser struct {
	Email      string
	FirstName  string
	LastName   string
	Password   string
	SuperAdmin bool
}

// CreateUser creates an account (the CLI's create-superuser, the demo). An
// existing email is a conflict.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (*User, error) {
	email := NormalizeEmail(n.Email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	if err := ValidatePassword(n.Password, email); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, n.Password)
	if err != nil {
		return nil, err
	}
	q := s.db.Platform().User.Create().SetEmail(email).SetFirstName(n.FirstName).SetLastName(n.LastName).SetPasswordHash(hash)
	if n.SuperAdmin {
		q.SetPlatformRole(user.PlatformRoleSuperadmin)
	}
	u, err := q.Save(ctx)
	if platform.IsConstraintError(err) {
		return nil, fault.New(fault.Conflict, "a user with this email exists")
	}
	if err != nil {
		return nil, err
	}
	return userOf(u), nil
}

// SetSuperAdmin grants or withdraws the platform's super admin role.
func (s *Service) SetSuperAdmin(ctx context.Context, email string, on bool) (*User, error) {
	role := user.PlatformRoleNone
	if on {
		role = user.PlatformRoleSuperadmin
	}
	var out *User
	err := s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
		u, err := tx.User.Query().Where(user.Email(NormalizeEmail(email))).Only(ctx)
		if platform.IsNotFound(err) {
			return fault.New(fault.NotFound, "no user with this email")
		}
		if err != nil {
			return err
		}
		if u, err = tx.User.UpdateOne(u).SetPlatformRole(role).Save(ctx); err != nil {
			return err
		}
		out = userOf(u)
		return nil
	})
	return out, err
}

// ValidateEmail checks the shape of a (normalized) email address.
func ValidateEmail(email string) error {
	if msg := mail.AddressProblem(email); msg != "" {
		return fault.Fields("the email address is not valid", map[string]string{"email": msg})
	}
	return nil
}

// ChangePassword sets a new password for a signed-in user who gives the
// current one, and ends every other session of theirs. A wrong current
// password counts against the account's sign-in allowance, so a stolen access
// token cannot be used to guess it.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string, m Meta) error {
	key := accountKey(p.Email)
	if wait, err := s.accountBlocked(ctx, key); err != nil {
		return err
	} else if wait > 0 {
		return errThrottled(wait)
	}
	u, err := s.db.Platform().User.Get(ctx, p.UserID)
	if err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.recordFailure(ctx, key); err != nil {
			return err
		}
		return fault.Fields("the password was not changed", map[string]string{"current_password": "is not your password"})
	}
	if err := ValidatePassword(next, u.Email); err != nil {
		return err
	}
	if next == current {
		return fault.Fields("the password was not changed", map[string]string{"new_password": "must differ from the current one"})
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
		if err := tx.User.UpdateOneID(u.ID).SetPasswordHash(hash).SetMustChangePassword(false).Exec(ctx); err != nil {
			return err
		}
		n, err := tx.Session.Update().
			Where(session.UserID(u.ID), session.IDNEQ(p.SessionID), session.RevokedAtIsNil()).
			SetRevokedAt(time.Now()).SetRevokedReason("password_changed").
			Save(ctx)
		if err != nil {
			return err
		}
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: u.ID, ActorEmail: u.Email, Action: "auth.password_changed", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			After: map[string]any{"other_sessions_revoked": n}, IP: m.IP, RequestID: m.RequestID, VendorID: m.VendorID,
		})
	})
}
