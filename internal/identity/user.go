package identity

import (
	"context"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/fault"
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
	hash, err := s.hasher.Hash(n.Password)
	if err != nil {
		return nil, err
	}
	q := s.db.Platform.User.Create().SetEmail(email).SetFirstName(n.FirstName).SetLastName(n.LastName).SetPasswordHash(hash)
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
	if msg := emailProblem(email); msg != "" {
		return fault.Fields("the email address is not valid", map[string]string{"email": msg})
	}
	return nil
}

func emailProblem(email string) string {
	at := -1
	for i, r := range email {
		if r <= ' ' || r == '<' || r == '>' || r == ',' || r == ';' || r == '"' || r == 0x7f {
			return "must not contain spaces, quotes, brackets or control characters"
		}
		if r == '@' {
			if at >= 0 {
				return "must contain one @"
			}
			at = i
		}
	}
	switch {
	case email == "":
		return "is required"
	case len(email) > 254:
		return "must be at most 254 characters"
	case at <= 0 || at == len(email)-1:
		return "must look like name@example.com"
	}
	return ""
}
