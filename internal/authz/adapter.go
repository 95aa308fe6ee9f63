package authz

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/tenantdb"
)

// vendorAdapter is a Casbin adapter over Bazaar's own tables for one vendor:
// `p` lines from the roles in the vendor's schema (read in a transaction bound
// to the vendor, so the wall holds here too) and `g` lines from the vendor's
// active memberships in the platform schema. It is read-only: team changes go
// through internal/team, which audits them and notifies every instance.
type vendorAdapter struct {
	ctx context.Context
	db  *tenantdb.DB
	t   *tenantdb.Tenant

	// filled by LoadPolicy for the caller's own bookkeeping
	roles   map[int]Role
	members map[int]int // user id → role id
}

var errReadOnly = errors.New("authz: policies are changed through the team service, not the enforcer")

func (a *vendorAdapter) LoadPolicy(m model.Model) error {
	dom := domain(a.t.ID)
	a.roles = map[int]Role{}
	err := a.db.ReadTx(a.ctx, a.t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		rows, err := c.Role.Query().All(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			a.roles[r.ID] = Role{ID: r.ID, Name: r.Name, SystemKey: deref(r.SystemKey), Permissions: r.Permissions}
			for _, p := range Expand(r.Permissions) {
				if err := persist.LoadPolicyArray([]string{"p", roleSubject(r.ID), dom, p}, m); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("authz: load roles of %q: %w", a.t.Slug, err)
	}
	ms, err := a.db.Platform().Membership.Query().
		Where(membership.VendorID(a.t.ID), membership.Active(true)).
		Select(membership.FieldUserID, membership.FieldRoleID).
		All(a.ctx)
	if err != nil {
		return fmt.Errorf("authz: load members of %q: %w", a.t.Slug, err)
	}
	a.members = make(map[int]int, len(ms))
	for _, mb := range ms {
		if _, ok := a.roles[mb.RoleID]; !ok {
			continue // a role deleted under a membership grants nothing
		}
		a.members[mb.UserID] = mb.RoleID
		if err := persist.LoadPolicyArray([]string{"g", userSubject(mb.UserID), roleSubject(mb.RoleID), dom}, m); err != nil {
			return err
		}
	}
	return nil
}

func (a *vendorAdapter) SavePolicy(model.Model) error                { return errReadOnly }
func (a *vendorAdapter) AddPolicy(string, string, []string) error    { return errReadOnly }
func (a *vendorAdapter) RemovePolicy(string, string, []string) error { return errReadOnly }
func (a *vendorAdapter) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errReadOnly
}

func domain(vendorID int) string { return strconv.Itoa(vendorID) }
func userSubject(id int) string  { return "user:" + strconv.Itoa(id) }
func roleSubject(id int) string  { return "role:" + strconv.Itoa(id) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
