package authz

import (
	"context"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/bazaar/bazaar"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// The compiled masks decide exactly as Casbin's enforcer does, for every
// member, every permission, and a stranger, in a vendor with default and
// custom roles.
func TestCompiledMasksAgreeWithTheEnforcer(t *testing.T) {
	ctx := context.Background()
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "mask")
	err := db.Tx(ctx, shop, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.Role.Create().SetName("Custom").SetPermissions([]string{TeamManage, ProductsView, "orders.view"}).Exec(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	var users []int
	for i, key := range []int{1, 2, 3, 4, 5, 1, 2} { // more members than fit inline
		u, err := db.Platform().User.Create().SetEmail(shop.Slug + "-" + string(rune('a'+i)) + "@x.test").SetPasswordHash("x").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Platform().Membership.Create().SetUserID(u.ID).SetVendorID(shop.ID).SetRoleID(key).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	m, err := model.NewModelFromString(bazaar.CasbinModel)
	if err != nil {
		t.Fatal(err)
	}
	ad := &vendorAdapter{ctx: ctx, db: db, t: shop}
	enf, err := casbin.NewEnforcer(m, ad)
	if err != nil {
		t.Fatal(err)
	}
	members, err := compile(enf, shop.ID, ad.members)
	if err != nil {
		t.Fatal(err)
	}
	p := newPolicy(0, nil, members)
	for _, u := range append(users, 999999, 0) {
		for _, perm := range append(Permissions, "products.steal") {
			want, err := enf.Enforce(userSubject(u), domain(shop.ID), perm)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.allowed(u, perm); got != want {
				t.Errorf("user %d, %s: compiled %v, enforcer %v", u, perm, got, want)
			}
		}
	}
}
