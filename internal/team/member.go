package team

import (
	"context"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/role"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Member is one person of a vendor's team.
type Member struct {
	ID        int       `json:"id"` // the membership id
	UserID    int       `json:"user_id"`
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Role      RoleRef   `json:"role"`
	Active    bool      `json:"active"`
	InvitedBy *int      `json:"invited_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// RoleRef names a member's role.
type RoleRef struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// memberCursor is where a page of members ended: whether its last
// membership was active (active ones come first), and its id.
type memberCursor struct {
	List   string `json:"l"`
	Active bool   `json:"a"`
	ID     int    `json:"i"`
}

const memberList = "members"

// Members lists the vendor's team, active members first, then by id, a page
// at a time.
func (s *Service) Members(ctx context.Context, r page.Request) (page.Page[Member], error) {
	bad := map[string]string{}
	limit := ListLimits.Size(r.Limit, bad)
	var after memberCursor
	if r.Cursor != "" && (!page.Decode(r.Cursor, &after) || after.List != memberList || after.ID < 1) {
		bad[page.CursorField] = page.CursorProblem
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[Member]{}, err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return page.Page[Member]{}, err
	}
	roles, err := roleNames(ctx)
	if err != nil {
		return page.Page[Member]{}, err
	}
	q := s.db.Platform().Membership.Query().
		Where(membership.VendorID(t.ID)).
		WithUser().
		Order(membership.ByActive(entsql.OrderDesc()), membership.ByID()).
		Limit(limit + 1)
	switch {
	case after.ID == 0:
	case after.Active: // the rest of the active ones, then every inactive one
		q.Where(membership.Or(membership.And(membership.Active(true), membership.IDGT(after.ID)), membership.Active(false)))
	default:
		q.Where(membership.Active(false), membership.IDGT(after.ID))
	}
	ms, err := q.All(ctx)
	if err != nil {
		return page.Page[Member]{}, err
	}
	return page.Of(ms, limit, func(m *platform.Membership) Member { return memberOf(m, roles) },
		func(last *platform.Membership) string {
			return page.Encode(memberCursor{List: memberList, Active: last.Active, ID: last.ID})
		}), nil
}

// MembersOf is Members of vendor t for a super admin, whose request is
// bound to no vendor: it reads the role names in a transaction of its own.
func (s *Service) MembersOf(ctx context.Context, t *tenantdb.Tenant, r page.Request) (page.Page[Member], error) {
	var pg page.Page[Member]
	err := s.db.ReadTx(ctx, t, func(ctx context.Context) error {
		var err error
		pg, err = s.Members(ctx, r)
		return err
	})
	return pg, err
}

func memberOf(m *platform.Membership, roles map[int]string) Member {
	u := m.Edges.User
	return Member{
		ID: m.ID, UserID: m.UserID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Role: RoleRef{ID: m.RoleID, Name: roles[m.RoleID]}, Active: m.Active && u.Active, InvitedBy: m.InvitedBy, CreatedAt: m.CreatedAt,
	}
}

func roleNames(ctx context.Context) (map[int]string, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Role.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// MemberUpdate changes a member's role or whether they are active.
type MemberUpdate struct {
	RoleID *int    `json:"role_id"`
	Role   *string `json:"role"` // a role name, when role_id is absent
	Active *bool   `json:"active"`
}

var (
	errSelf      = &fault.Error{Kind: fault.Forbidden, Code: "own_membership", Message: "you cannot change your own role or access"}
	errLastOwner = &fault.Error{Kind: fault.Conflict, Code: "last_owner", Message: "a shop keeps at least one active Owner"}
)

// UpdateMember changes a member's role and/or active flag. Guards: not one's
// own membership; the actor holds every permission of both the member's
// current role and the new one; the last active Owner stays an active Owner.
func (s *Service) UpdateMember(ctx context.Context, a Actor, id int, in MemberUpdate) (*Member, error) {
	if in.RoleID == nil && in.Role == nil && in.Active == nil {
		return nil, fault.Fields("nothing to change", map[string]string{"role": "give role (or role_id) and/or active"})
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	var newRole *tenant.Role
	if in.RoleID != nil || in.Role != nil {
		if newRole, err = roleByRef(ctx, deref(in.RoleID), derefS(in.Role)); err != nil {
			return nil, err
		}
	}
	owner, err := ownerRole(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := roleNames(ctx)
	if err != nil {
		return nil, err
	}
	var out Member
	err = s.platformTx(ctx, func(tx *platform.Tx) error {
		m, err := tx.Membership.Query().Where(membership.ID(id), membership.VendorID(t.ID)).WithUser().ForUpdate().Only(ctx)
		if platform.IsNotFound(err) {
			return fault.New(fault.NotFound, "no such member")
		}
		if err != nil {
			return err
		}
		if m.UserID == a.UserID {
			return errSelf
		}
		current, err := roleByRef(ctx, m.RoleID, "")
		if err == nil {
			if lacking := a.holdsAll(current.Permissions); len(lacking) > 0 {
				return errEscalation(lacking)
			}
		}
		if newRole != nil {
			if lacking := a.holdsAll(newRole.Permissions); len(lacking) > 0 {
				return errEscalation(lacking)
			}
		}
		stillOwner := (newRole == nil || newRole.ID == owner.ID) && (in.Active == nil || *in.Active)
		if m.RoleID == owner.ID && m.Active && !stillOwner {
			if err := s.keepAnOwner(ctx, tx, t.ID, owner.ID, m.ID); err != nil {
				return err
			}
		}
		upd := tx.Membership.UpdateOne(m)
		if newRole != nil {
			upd.SetRoleID(newRole.ID)
		}
		if in.Active != nil {
			upd.SetActive(*in.Active)
		}
		after, err := upd.Save(ctx)
		if err != nil {
			return err
		}
		after.Edges.User = m.Edges.User
		out = memberOf(after, roles)
		if err := audit.Vendor(ctx, audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "team.member_updated", TargetType: "user", TargetID: strconv.Itoa(m.UserID),
			Before: map[string]any{"role": roles[m.RoleID], "role_id": m.RoleID, "active": m.Active},
			After:  map[string]any{"role": roles[after.RoleID], "role_id": after.RoleID, "active": after.Active},
			IP:     a.IP, RequestID: a.RequestID,
		}); err != nil {
			return err
		}
		return s.membersChanged(ctx, tx, t.ID)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveMember takes someone off the team (the membership is deleted; their
// account stays). The last active Owner cannot be removed.
func (s *Service) RemoveMember(ctx context.Context, a Actor, id int) error {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return err
	}
	owner, err := ownerRole(ctx)
	if err != nil {
		return err
	}
	roles, err := roleNames(ctx)
	if err != nil {
		return err
	}
	return s.platformTx(ctx, func(tx *platform.Tx) error {
		m, err := tx.Membership.Query().Where(membership.ID(id), membership.VendorID(t.ID)).WithUser().ForUpdate().Only(ctx)
		if platform.IsNotFound(err) {
			return fault.New(fault.NotFound, "no such member")
		}
		if err != nil {
			return err
		}
		if current, err := roleByRef(ctx, m.RoleID, ""); err == nil {
			if lacking := a.holdsAll(current.Permissions); len(lacking) > 0 {
				return errEscalation(lacking)
			}
		}
		if m.RoleID == owner.ID && m.Active {
			if err := s.keepAnOwner(ctx, tx, t.ID, owner.ID, m.ID); err != nil {
				return err
			}
		}
		if err := tx.Membership.DeleteOne(m).Exec(ctx); err != nil {
			return err
		}
		if err := audit.Vendor(ctx, audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "team.member_removed", TargetType: "user", TargetID: strconv.Itoa(m.UserID),
			Before: map[string]any{"email": m.Edges.User.Email, "role": roles[m.RoleID], "active": m.Active},
			IP:     a.IP, RequestID: a.RequestID,
		}); err != nil {
			return err
		}
		return s.membersChanged(ctx, tx, t.ID)
	})
}

// keepAnOwner refuses when membership id is the vendor's only active Owner.
// The Owners' rows are locked, so two Owners demoting each other at once are
// serialized and the second is refused.
func (s *Service) keepAnOwner(ctx context.Context, tx *platform.Tx, vendorID, ownerRoleID, id int) error {
	owners, err := tx.Membership.Query().
		Where(membership.VendorID(vendorID), membership.RoleID(ownerRoleID), membership.Active(true)).
		ForUpdate().
		IDs(ctx)
	if err != nil {
		return err
	}
	for _, o := range owners {
		if o != id {
			return nil
		}
	}
	return errLastOwner
}

func ownerRole(ctx context.Context) (*tenant.Role, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	return c.Role.Query().Where(role.SystemKey(authz.OwnerKey)).Only(ctx)
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func derefS(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// VendorRef is a shop a user belongs to.
type VendorRef struct {
	ID     int    `json:"id"`
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	Status string `json:"status"`
	URL    string `json:"url"` // set by the web layer: where to switch to
}

// VendorsOf lists the shops where the user is an active member.
func (s *Service) VendorsOf(ctx context.Context, userID int) ([]VendorRef, error) {
	ms, err := s.db.Platform().Membership.Query().
		Where(membership.UserID(userID), membership.Active(true)).
		WithVendor().
		Order(membership.ByVendorID()).
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]VendorRef, 0, len(ms))
	for _, m := range ms {
		v := m.Edges.Vendor
		out = append(out, VendorRef{ID: v.ID, Slug: v.Slug, Name: v.Name, Status: string(v.Status)})
	}
	return out, nil
}
