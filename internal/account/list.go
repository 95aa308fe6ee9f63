package account

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/platform/predicate"
	"github.com/bazaar/bazaar/ent/platform/session"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/ent/tenant/role"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Profile is an account as super admins see it. No password hash, ever.
type Profile struct {
	ID                 int        `json:"id"`
	Email              string     `json:"email"`
	FirstName          string     `json:"first_name"`
	LastName           string     `json:"last_name"`
	Active             bool       `json:"active"`
	SuperAdmin         bool       `json:"super_admin"`
	MustChangePassword bool       `json:"must_change_password"`
	LastLoginAt        *time.Time `json:"last_login_at"`
	CreatedAt          time.Time  `json:"created_at"`
}

func profileOf(u *platform.User) Profile {
	return Profile{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Active: u.Active,
		SuperAdmin: u.PlatformRole == user.PlatformRoleSuperadmin, MustChangePassword: u.MustChangePassword,
		LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt}
}

// Account is a line of the account list: the profile and how many
// memberships it has (active or not, as Detail lists them).
type Account struct {
	Profile
	Memberships int `json:"memberships"`
}

// ListLimits bound a page of the account list.
var ListLimits = page.Bounds{Default: 50, Max: 200}

// listPages reads and writes the account list's cursors: newest first.
var listPages = page.ByID{List: "admin/users", Bounds: ListLimits}

// ListParams select accounts.
type ListParams struct {
	Query  string // in the e-mail, the first or last name, or both names
	Status string // active or inactive; "" for both
	page.Request
}

// List returns a page of accounts matching p, newest first, each with its
// number of memberships (one query for the page).
func (s *Service) List(ctx context.Context, p ListParams) (page.Page[Account], error) {
	bad := map[string]string{}
	limit, after := listPages.Start(p.Request, bad)
	switch p.Status {
	case "", "active", "inactive":
	default:
		bad["status"] = "must be active or inactive"
	}
	q := strings.TrimSpace(p.Query)
	if len(q) > 254 {
		bad["q"] = "must be at most 254 characters"
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[Account]{}, err
	}
	query := s.db.Platform().User.Query()
	if q != "" {
		query.Where(matching(q))
	}
	if p.Status != "" {
		query.Where(user.Active(p.Status == "active"))
	}
	if after > 0 {
		query.Where(user.IDLT(after))
	}
	rows, err := query.Order(user.ByID(sql.OrderDesc())).Limit(limit + 1).All(ctx)
	if err != nil {
		return page.Page[Account]{}, fmt.Errorf("account: list: %w", err)
	}
	pg := page.Of(rows, limit, func(u *platform.User) Account { return Account{Profile: profileOf(u)} },
		func(last *platform.User) string { return listPages.Cursor(last.ID) })
	if len(pg.Items) == 0 {
		return pg, nil
	}
	ids := make([]int, len(pg.Items))
	for i, a := range pg.Items {
		ids[i] = a.ID
	}
	var counts []struct {
		UserID int `json:"user_id"`
		Count  int `json:"count"`
	}
	if err := s.db.Platform().Membership.Query().Where(membership.UserIDIn(ids...)).
		GroupBy(membership.FieldUserID).Aggregate(platform.Count()).Scan(ctx, &counts); err != nil {
		return page.Page[Account]{}, fmt.Errorf("account: list memberships: %w", err)
	}
	for _, c := range counts {
		if i := slices.Index(ids, c.UserID); i >= 0 {
			pg.Items[i].Memberships = c.Count
		}
	}
	return pg, nil
}

// matching finds t in an account's e-mail, first or last name, or its two
// names together (case-insensitive; t is matched literally).
func matching(t string) predicate.User {
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(t) + "%"
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(").Ident(s.C(user.FieldEmail)).WriteString(" ILIKE ").Arg(like).
				WriteString(" OR ").Ident(s.C(user.FieldFirstName)).WriteString(" ILIKE ").Arg(like).
				WriteString(" OR ").Ident(s.C(user.FieldLastName)).WriteString(" ILIKE ").Arg(like).
				WriteString(" OR (").Ident(s.C(user.FieldFirstName)).WriteString(" || ' ' || ").Ident(s.C(user.FieldLastName)).
				WriteString(") ILIKE ").Arg(like).WriteString(")")
		}))
	}
}

// Detail is one account with its memberships across vendors and its
// number of live sessions.
type Detail struct {
	Profile
	Memberships []Membership `json:"memberships"`
	Sessions    int          `json:"sessions"`
}

// Membership is an account's place in one vendor's team.
type Membership struct {
	ID        int       `json:"id"`
	Vendor    VendorRef `json:"vendor"`
	Role      RoleRef   `json:"role"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// VendorRef names a vendor.
type VendorRef struct {
	ID     int    `json:"id"`
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// RoleRef names a role in a vendor's schema. Name is empty when the
// vendor's roles could not be read.
type RoleRef struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// Get returns account id with its memberships — each vendor's role names
// read from its own schema in a transaction bound to it (an account has
// few) — and its live sessions.
func (s *Service) Get(ctx context.Context, id int) (*Detail, error) {
	u, err := s.db.Platform().User.Get(ctx, id)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no account %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("account: %d: %w", id, err)
	}
	ms, err := s.db.Platform().Membership.Query().Where(membership.UserID(id)).WithVendor().
		Order(membership.ByVendorID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("account: %d: memberships: %w", id, err)
	}
	sessions, err := s.db.Platform().Session.Query().
		Where(session.UserID(id), session.RevokedAtIsNil(), session.ExpiresAtGT(time.Now())).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("account: %d: sessions: %w", id, err)
	}
	d := &Detail{Profile: profileOf(u), Memberships: make([]Membership, 0, len(ms)), Sessions: sessions}
	for _, m := range ms {
		v := m.Edges.Vendor
		name, err := s.roleName(ctx, v, m.RoleID)
		if err != nil {
			return nil, err
		}
		d.Memberships = append(d.Memberships, Membership{ID: m.ID, Active: m.Active, CreatedAt: m.CreatedAt,
			Vendor: VendorRef{ID: v.ID, Slug: v.Slug, Name: v.Name, Status: string(v.Status)},
			Role:   RoleRef{ID: m.RoleID, Name: name}})
	}
	return d, nil
}

// roleName reads the name of role id in vendor v's schema, in a read-only
// transaction bound to it. A vendor whose roles cannot be read (its schema
// broken, say) leaves the name empty rather than hide the account; a
// database that cannot be reached is an error.
func (s *Service) roleName(ctx context.Context, v *platform.Vendor, id int) (string, error) {
	t, err := s.db.TenantByID(ctx, v.ID)
	if err != nil {
		return "", err
	}
	var name string
	err = s.db.ReadTx(ctx, t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		r, err := c.Role.Query().Where(role.ID(id)).Only(ctx)
		if err == nil {
			name = r.Name
		}
		return err
	})
	if _, down := tenantdb.Unavailable(err); down {
		return "", err
	}
	if err != nil {
		s.log.WarnContext(ctx, "account detail: a vendor's role could not be read", "vendor", v.ID, "role", id, "err", err)
	}
	return name, nil
}
