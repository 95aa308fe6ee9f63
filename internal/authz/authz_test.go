package authz_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/bazaar/bazaar"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/tenant/role"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// roleID finds a default role's id in a tenant.
func roleID(t *testing.T, db *tenantdb.DB, tn *tenantdb.Tenant, key string) int {
	t.Helper()
	var id int
	err := db.ReadTx(context.Background(), tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		id, err = c.Role.Query().Where(role.SystemKey(key)).OnlyID(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func member(t *testing.T, db *tenantdb.DB, userID int, tn *tenantdb.Tenant, roleID int, active bool) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Platform().Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Membership.Create().SetUserID(userID).SetVendorID(tn.ID).SetRoleID(roleID).SetActive(active).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := authz.Changed(ctx, tx, tn.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func newUser(t *testing.T, db *tenantdb.DB, email string) int {
	t.Helper()
	u, err := db.Platform().User.Create().SetEmail(email).SetPasswordHash("x").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// The migration seeds every vendor with exactly the Go catalogue's default
// roles, and both hold the seed's permission strings.
func TestDefaultRolesAreSeededExactly(t *testing.T) {
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "seed")
	err := db.ReadTx(context.Background(), tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		rows, err := c.Role.Query().Order(role.ByID()).All(ctx)
		if err != nil {
			return err
		}
		if len(rows) != len(authz.DefaultRoles) {
			t.Fatalf("%d roles seeded, want %d", len(rows), len(authz.DefaultRoles))
		}
		for i, want := range authz.DefaultRoles {
			got := rows[i]
			if got.Name != want.Name || got.SystemKey == nil || *got.SystemKey != want.Key || !slices.Equal(got.Permissions, want.Permissions) {
				t.Errorf("role %d = %s %v %v, want %s %s %v", i, got.Name, got.SystemKey, got.Permissions, want.Name, want.Key, want.Permissions)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	db := tenanttest.Open(t)
	a, err := authz.New(db, bazaar.CasbinModel, authz.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	shop := tenanttest.Tenant(t, db, "chk")
	other := tenanttest.Tenant(t, db, "chk")
	owner := newUser(t, db, shop.Slug+"-owner@x.test")
	viewer := newUser(t, db, shop.Slug+"-viewer@x.test")
	asleep := newUser(t, db, shop.Slug+"-inactive@x.test")
	stranger := newUser(t, db, shop.Slug+"-other@x.test")
	member(t, db, owner, shop, roleID(t, db, shop, "owner"), true)
	member(t, db, viewer, shop, roleID(t, db, shop, "viewer"), true)
	member(t, db, asleep, shop, roleID(t, db, shop, "owner"), false)
	member(t, db, stranger, other, roleID(t, db, other, "owner"), true)

	cases := []struct {
		name string
		user int
		perm string
		want bool
	}{
		{"OwnerMayDeleteProducts", owner, authz.ProductsDelete, true},
		{"OwnerMaySeeTheTeamThroughTeamManage", owner, authz.TeamView, true},
		{"ViewerMayViewProducts", viewer, authz.ProductsView, true},
		{"ViewerMayNotEditProducts", viewer, authz.ProductsEdit, false},
		{"InactiveMemberMayDoNothing", asleep, authz.ProductsView, false},
		{"OwnerOfAnotherShopMayDoNothingHere", stranger, authz.ProductsView, false},
		{"UnknownPermissionIsDenied", owner, "products.steal", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.Check(ctx, c.user, shop, 0, c.perm)
			if err != nil || got != c.want {
				t.Fatalf("Check = %v, %v; want %v", got, err, c.want)
			}
		})
	}

	t.Run("ANewerPolicyVersionReloadsTheCachedPolicy", func(t *testing.T) {
		if ok, _ := a.Check(ctx, viewer, shop, 0, authz.OrdersCreate); ok {
			t.Fatal("viewer may create orders before the change")
		}
		// Make the viewer an Owner the way the team service does, without
		// telling this authorizer: only the version read with the session
		// can make it reload.
		tx, err := db.Platform().Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Membership.Update().Where(membership.UserID(viewer), membership.VendorID(shop.ID)).
			SetRoleID(roleID(t, db, shop, "owner")).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := authz.Changed(ctx, tx, shop.ID); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if ok, _ := a.Check(ctx, viewer, shop, 0, authz.OrdersCreate); ok {
			t.Fatal("version 0 should have served the cached policy (the test relies on the cache)")
		}
		v, err := db.Platform().Vendor.Get(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := a.Check(ctx, viewer, shop, v.PolicyVersion, authz.OrdersCreate); !ok || err != nil {
			t.Fatalf("with the current version: %v, %v; want allowed", ok, err)
		}
	})

	t.Run("AccessListsTheRoleAndItsPermissionsInCatalogueOrder", func(t *testing.T) {
		acc, err := a.Access(ctx, owner, shop, authz.Latest)
		if err != nil {
			t.Fatal(err)
		}
		if !acc.Member || acc.Role == nil || acc.Role.Name != "Owner" || !slices.Equal(acc.Permissions, authz.Expand(authz.DefaultRoles[0].Permissions)) {
			t.Fatalf("Access = %+v", acc)
		}
		none, err := a.Access(ctx, stranger, shop, authz.Latest)
		if err != nil || none.Member || len(none.Permissions) != 0 {
			t.Fatalf("stranger Access = %+v, %v", none, err)
		}
	})

	// A policy is loaded in a transaction of its own: asked for one vendor
	// on a context bound to another, it is refused, cached or not.
	t.Run("AnotherVendorsBindingIsRefused", func(t *testing.T) {
		if _, err := a.Check(ctx, owner, shop, 0, authz.ProductsView); err != nil {
			t.Fatal(err) // cached now
		}
		err := db.ReadTx(ctx, other, func(ctx context.Context) error {
			if ok, err := a.Check(ctx, owner, shop, 0, authz.ProductsView); ok || !errors.Is(err, tenantdb.ErrOtherTenant) {
				t.Errorf("Check in another vendor's transaction = %v, %v; want ErrOtherTenant", ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestRequireRefusesUnknownPermissions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Require accepted a permission that does not exist")
		}
	}()
	authz.Require("products.steal")
}
