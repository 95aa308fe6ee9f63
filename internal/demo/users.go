package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/ent/tenant/role"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/tenantdb"
)

// Password is every demo user's password. Demo data is for development
// machines only; `bazaar demo` prints it.
const Password = "bazaar-demo-password"

// User is a demo account and where it belongs.
type User struct {
	Email      string
	Name       string
	SuperAdmin bool
	Roles      map[string]string // vendor slug → role system key
}

// Users are the demo accounts: one per default role in the first demo shop,
// one member of both shops, and a platform super admin (member of none).
var Users = []User{
	{Email: "owner@atelier-demo.test", Name: "Olivia Owner", Roles: map[string]string{"atelier-demo": "owner"}},
	{Email: "manager@atelier-demo.test", Name: "Max Manager", Roles: map[string]string{"atelier-demo": "manager"}},
	{Email: "editor@atelier-demo.test", Name: "Eda Editor", Roles: map[string]string{"atelier-demo": "editor"}},
	{Email: "viewer@atelier-demo.test", Name: "Vic Viewer", Roles: map[string]string{"atelier-demo": "viewer"}},
	{Email: "both@shops.test", Name: "Bo Both", Roles: map[string]string{"atelier-demo": "editor", "boutique-lux": "owner"}},
	{Email: "admin@bazaar.test", Name: "Ada Admin", SuperAdmin: true},
}

// SeedUsers creates the demo accounts (if missing) and their memberships
// (setting the demo role on each run), announcing policy changes so a
// running server sees them at once.
func SeedUsers(ctx context.Context, db *tenantdb.DB, ids *identity.Service) error {
	for _, u := range Users {
		first, last, _ := strings.Cut(u.Name, " ")
		_, err := ids.CreateUser(ctx, identity.NewUser{Email: u.Email, FirstName: first, LastName: last, Password: Password, SuperAdmin: u.SuperAdmin})
		if err != nil && !errors.Is(err, fault.ErrConflict) {
			return fmt.Errorf("demo: user %s: %w", u.Email, err)
		}
		acct, err := db.Platform().User.Query().Where(user.Email(u.Email)).Only(ctx)
		if err != nil {
			return err
		}
		for slug, key := range u.Roles {
			if err := grant(ctx, db, acct, slug, key); err != nil {
				return fmt.Errorf("demo: %s in %s: %w", u.Email, slug, err)
			}
		}
	}
	return nil
}

func grant(ctx context.Context, db *tenantdb.DB, u *platform.User, slug, key string) error {
	t, err := db.TenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	var roleID int
	err = db.ReadTx(ctx, t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		roleID, err = c.Role.Query().Where(role.SystemKey(key)).OnlyID(ctx)
		return err
	})
	if err != nil {
		return err
	}
	tx, err := db.Platform().Tx(ctx)
	if err != nil {
		return err
	}
	err = tx.Membership.Create().SetUserID(u.ID).SetVendorID(t.ID).SetRoleID(roleID).
		OnConflictColumns(membership.FieldUserID, membership.FieldVendorID).
		UpdateRoleID().UpdateActive().UpdateUpdatedAt().
		Exec(ctx)
	if err == nil {
		err = authz.Changed(ctx, tx, t.ID)
	}
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
