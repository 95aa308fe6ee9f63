package team

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/invitation"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/role"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Role is a vendor role as clients see it.
type Role struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	System      bool     `json:"system"`    // one of the four default roles
	Immutable   bool     `json:"immutable"` // Owner
	Permissions []string `json:"permissions"`
	Members     int      `json:"members"`
}

// RoleInput creates or changes a custom role.
type RoleInput struct {
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	Permissions []string `json:"permissions"`
}

func roleOf(r *tenant.Role) Role {
	return Role{
		ID: r.ID, Name: r.Name, Description: r.Description, System: r.SystemKey != nil,
		Immutable: r.SystemKey != nil && *r.SystemKey == authz.OwnerKey, Permissions: r.Permissions,
	}
}

// roleList pages the roles by id.
var roleList = page.ByID{List: "roles", Bounds: ListLimits}

// Roles lists the vendor's roles with how many active members hold each, in
// id order, a page at a time.
func (s *Service) Roles(ctx context.Context, r page.Request) (page.Page[Role], error) {
	bad := map[string]string{}
	limit, after := roleList.Start(r, bad)
	if err := page.Invalid(bad); err != nil {
		return page.Page[Role]{}, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return page.Page[Role]{}, err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return page.Page[Role]{}, err
	}
	rows, err := c.Role.Query().Where(role.IDGT(after)).Order(role.ByID()).Limit(limit + 1).All(ctx)
	if err != nil {
		return page.Page[Role]{}, err
	}
	var counts []struct {
		RoleID int `json:"role_id"`
		Count  int `json:"count"`
	}
	if err := s.db.Platform().Membership.Query().
		Where(membership.VendorID(t.ID), membership.Active(true)).
		GroupBy(membership.FieldRoleID).
		Aggregate(platform.Count()).
		Scan(ctx, &counts); err != nil {
		return page.Page[Role]{}, err
	}
	n := map[int]int{}
	for _, c := range counts {
		n[c.RoleID] = c.Count
	}
	return page.Of(rows, limit, func(r *tenant.Role) Role {
		v := roleOf(r)
		v.Members = n[r.ID]
		return v
	}, func(last *tenant.Role) string { return roleList.Cursor(last.ID) }), nil
}

func (in RoleInput) validate(creating bool) error {
	f := map[string]string{}
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		if *in.Name == "" || len(*in.Name) > 50 {
			f["name"] = "must be 1 to 50 characters"
		}
	} else if creating {
		f["name"] = "is required"
	}
	if in.Description != nil && len(*in.Description) > 300 {
		f["description"] = "must be at most 300 characters"
	}
	if in.Permissions == nil && creating {
		f["permissions"] = "is required (a list of permission strings)"
	}
	var unknown []string
	for _, p := range in.Permissions {
		if !authz.Known(p) {
			unknown = append(unknown, strconv.Quote(p))
		}
	}
	if len(unknown) > 0 {
		f["permissions"] = "unknown permission " + strings.Join(unknown, ", ") + "; known: " + strings.Join(authz.Permissions, " ")
	}
	return fault.Fields("the role is not valid", f)
}

func normalizePerms(perms []string) []string {
	out := slices.Clone(perms)
	slices.Sort(out)
	return slices.Compact(out)
}

// CreateRole adds a custom role. Its permissions must all be held by the actor.
func (s *Service) CreateRole(ctx context.Context, a Actor, in RoleInput) (*Role, error) {
	if err := in.validate(true); err != nil {
		return nil, err
	}
	perms := normalizePerms(in.Permissions)
	if lacking := a.holdsAll(perms); len(lacking) > 0 {
		return nil, errEscalation(lacking)
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	if err := nameFree(ctx, *in.Name, 0); err != nil {
		return nil, err
	}
	q := c.Role.Create().SetName(*in.Name).SetPermissions(perms)
	if in.Description != nil {
		q.SetDescription(*in.Description)
	}
	r, err := q.Save(ctx)
	if tenant.IsConstraintError(err) {
		return nil, errNameTaken
	}
	if err != nil {
		return nil, err
	}
	if err := s.roleAudit(ctx, a, "team.role_created", r, nil, r); err != nil {
		return nil, err
	}
	out := roleOf(r)
	return &out, s.rolesChanged(ctx)
}

// UpdateRole changes a role. Owner never changes; the actor must hold every
// permission of the role both before and after (so nobody strips or grants
// what is beyond them).
func (s *Service) UpdateRole(ctx context.Context, a Actor, id int, in RoleInput) (*Role, error) {
	if err := in.validate(false); err != nil {
		return nil, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.Role.Query().Where(role.ID(id)).ForUpdate().Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no such role")
	}
	if err != nil {
		return nil, err
	}
	if roleOf(r).Immutable {
		return nil, &fault.Error{Kind: fault.Forbidden, Code: "role_immutable", Message: "the Owner role cannot be changed"}
	}
	if lacking := a.holdsAll(r.Permissions); len(lacking) > 0 {
		return nil, errEscalation(lacking)
	}
	upd := c.Role.UpdateOne(r)
	if in.Name != nil {
		if err := nameFree(ctx, *in.Name, r.ID); err != nil {
			return nil, err
		}
		upd.SetName(*in.Name)
	}
	if in.Description != nil {
		upd.SetDescription(*in.Description)
	}
	if in.Permissions != nil {
		perms := normalizePerms(in.Permissions)
		if lacking := a.holdsAll(perms); len(lacking) > 0 {
			return nil, errEscalation(lacking)
		}
		upd.SetPermissions(perms)
	}
	after, err := upd.Save(ctx)
	if tenant.IsConstraintError(err) {
		return nil, errNameTaken
	}
	if err != nil {
		return nil, err
	}
	if err := s.roleAudit(ctx, a, "team.role_updated", after, r, after); err != nil {
		return nil, err
	}
	out := roleOf(after)
	return &out, s.rolesChanged(ctx)
}

// DeleteRole removes a custom or default role that nobody holds and no
// pending invitation offers. Owner cannot be deleted.
func (s *Service) DeleteRole(ctx context.Context, a Actor, id int) error {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return err
	}
	r, err := c.Role.Query().Where(role.ID(id)).ForUpdate().Only(ctx)
	if tenant.IsNotFound(err) {
		return fault.New(fault.NotFound, "no such role")
	}
	if err != nil {
		return err
	}
	if roleOf(r).Immutable {
		return &fault.Error{Kind: fault.Forbidden, Code: "role_immutable", Message: "the Owner role cannot be deleted"}
	}
	if lacking := a.holdsAll(r.Permissions); len(lacking) > 0 {
		return errEscalation(lacking)
	}
	held, err := s.db.Platform().Membership.Query().Where(membership.VendorID(t.ID), membership.RoleID(id)).Exist(ctx)
	if err != nil {
		return err
	}
	offered, err := s.db.Platform().Invitation.Query().
		Where(invitation.VendorID(t.ID), invitation.RoleID(id), invitation.AcceptedAtIsNil(), invitation.RevokedAtIsNil()).
		Exist(ctx)
	if err != nil {
		return err
	}
	if held || offered {
		return &fault.Error{Kind: fault.Conflict, Code: "role_in_use", Message: "the role is held by members or offered by pending invitations; reassign or revoke them first"}
	}
	if err := c.Role.DeleteOne(r).Exec(ctx); err != nil {
		return err
	}
	if err := s.roleAudit(ctx, a, "team.role_deleted", r, r, nil); err != nil {
		return err
	}
	return s.rolesChanged(ctx)
}

func (s *Service) roleAudit(ctx context.Context, a Actor, action string, target, before, after *tenant.Role) error {
	snap := func(r *tenant.Role) map[string]any {
		if r == nil {
			return nil
		}
		return map[string]any{"name": r.Name, "description": r.Description, "permissions": r.Permissions}
	}
	return audit.Vendor(ctx, audit.Event{
		ActorID: a.UserID, ActorEmail: a.Email, Action: action, TargetType: "role", TargetID: strconv.Itoa(target.ID),
		Before: snap(before), After: snap(after), IP: a.IP, RequestID: a.RequestID,
	})
}

var errNameTaken = fault.Fields("the role is not valid", map[string]string{"name": "another role has this name"})

// nameFree refuses a role name another role has in any letter case: roles
// are found by name without regard to case. A unique index on lower(name)
// settles concurrent creations.
func nameFree(ctx context.Context, name string, self int) error {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	taken, err := c.Role.Query().Where(role.NameEqualFold(name), role.IDNEQ(self)).Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return errNameTaken
	}
	return nil
}

// roleByRef finds a role by id, or by name (case-insensitive) when id is 0.
func roleByRef(ctx context.Context, id int, name string) (*tenant.Role, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	q := c.Role.Query()
	if id != 0 {
		q.Where(role.ID(id))
	} else {
		q.Where(role.NameEqualFold(strings.TrimSpace(name)))
	}
	r, err := q.Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, fault.Fields("the role is not valid", map[string]string{"role": "no such role in this shop"})
	}
	return r, err
}
