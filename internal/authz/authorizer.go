package authz

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/internal/cache"
	"github.com/bazaar/bazaar/tenantdb"
)

// Role is a vendor role as the authorizer knows it.
type Role struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	SystemKey   string   `json:"system_key,omitempty"`
	Permissions []string `json:"permissions"`
}

// Access is what one user may do in one vendor.
type Access struct {
	Member      bool     `json:"member"`
	Role        *Role    `json:"role,omitempty"`
	Permissions []string `json:"permissions"`
}

// Has reports whether the access grants p.
func (a *Access) Has(p string) bool { return slices.Contains(a.Permissions, p) }

// Options configure an Authorizer.
type Options struct {
	// CacheSize bounds how many vendors' policies are held; beyond it a
	// random one is dropped (and reloaded when next needed).
	CacheSize int
}

// Authorizer answers "may user U do P in vendor V?" with the vendor's Casbin
// policy, loaded lazily and cached per vendor.
type Authorizer struct {
	db        *tenantdb.DB
	modelText string
	log       *slog.Logger
	policies  *cache.Map[int, policy] // by vendor id; values, not pointers: one less memory access per check
}

// policy is one vendor's loaded rules, compiled: Casbin evaluates the
// vendor's model and policy when it is loaded, and each member's permissions
// (through the RBAC-with-domains role links) become a bit mask. A check is
// then a map lookup and a bit test, and a cached vendor costs a few hundred
// bytes — what keeps a check as cheap with 10,000 vendors cached as with 10
// (an enforcer per vendor with a decision cache measured ~35 KiB a vendor,
// and 11–13× slower checks at 10,000 vendors as the heap outgrew the CPU's
// caches). A policy is immutable; an invalidation replaces it.
//
// What a check touches is kept small and in one place: the policy is held by
// value in the cache (under 128 bytes, so Go's map keeps it inline) with up
// to four members inside it, larger teams' members in one sorted array; the
// roles, needed only to describe access, live apart. With 10,000 vendors
// cached, a check's memory accesses are what decide its cost.
type policy struct {
	version int64                 // the vendor's policy_version when loading began
	inline  [inlineMembers]member // the first members, sorted by user
	more    []member              // the rest, sorted by user
	roles   map[int]Role
}

const inlineMembers = 4

type member struct {
	user  int64 // 0: an empty inline slot
	role  int32
	perms mask
}

func (p *policy) member(userID int) (member, bool) {
	if userID <= 0 {
		return member{}, false // 0 marks an empty inline slot
	}
	u := int64(userID)
	for _, m := range p.inline {
		if m.user == u {
			return m, true
		}
	}
	i, ok := slices.BinarySearchFunc(p.more, u, func(m member, u int64) int { return cmp.Compare(m.user, u) })
	if !ok {
		return member{}, false
	}
	return p.more[i], true
}

// mask holds one bit per permission of the catalogue.
type mask uint32

var bits = func() map[string]mask {
	m := make(map[string]mask, len(Permissions))
	for i, p := range Permissions {
		m[p] = 1 << i
	}
	return m
}()

// New builds an Authorizer for the Casbin model text (casbin_model.conf).
func New(db *tenantdb.DB, modelText string, o Options, log *slog.Logger) (*Authorizer, error) {
	if _, err := model.NewModelFromString(modelText); err != nil {
		return nil, fmt.Errorf("authz: casbin model: %w", err)
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 10000
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authorizer{db: db, modelText: modelText, log: log, policies: cache.New[int, policy](o.CacheSize, 0)}, nil
}

// Check reports whether user may exercise perm in vendor t. Unknown users,
// inactive members and users of other vendors are simply denied.
//
// version is the vendor's policy version as read with the request's session
// (identity.Principal.PolicyVersion): a cached policy older than it is
// reloaded first, so a change committed anywhere is honoured on the next
// request everywhere. 0 accepts whatever is cached.
func (a *Authorizer) Check(ctx context.Context, userID int, t *tenantdb.Tenant, version int64, perm string) (bool, error) {
	p, err := a.policy(ctx, t, version)
	if err != nil {
		return false, err
	}
	return p.allowed(userID, perm), nil
}

// Access returns the user's role and permissions in t (Member false when they
// have none there).
func (a *Authorizer) Access(ctx context.Context, userID int, t *tenantdb.Tenant, version int64) (*Access, error) {
	p, err := a.policy(ctx, t, version)
	if err != nil {
		return nil, err
	}
	m, ok := p.member(userID)
	if !ok {
		return &Access{Permissions: []string{}}, nil
	}
	role := p.roles[int(m.role)]
	perms := []string{}
	for _, perm := range Permissions { // the catalogue's order, whatever the role's
		if m.perms&bits[perm] != 0 {
			perms = append(perms, perm)
		}
	}
	return &Access{Member: true, Role: &role, Permissions: perms}, nil
}

func (p *policy) allowed(userID int, perm string) bool {
	m, ok := p.member(userID)
	return ok && m.perms&bits[perm] != 0
}

// Latest asks Check and Access to read the vendor's policy version first,
// for callers that have not read it with a session (a fresh sign-in).
const Latest int64 = -1

// policy is t's policy, loaded in a transaction of its own when it is not
// cached; so ctx must not be bound to another tenant, cached or not.
func (a *Authorizer) policy(ctx context.Context, t *tenantdb.Tenant, version int64) (policy, error) {
	if err := tenantdb.CheckTenant(ctx, t); err != nil {
		return policy{}, err
	}
	if version == Latest {
		v, err := a.db.Platform().Vendor.Get(ctx, t.ID)
		if err != nil {
			return policy{}, fmt.Errorf("authz: policy version of %q: %w", t.Slug, err)
		}
		version = v.PolicyVersion
	}
	load := func() (policy, error) { return a.load(ctx, t) }
	p, err := a.policies.Get(t.ID, load)
	if err != nil || p.version >= version {
		return p, err
	}
	a.policies.Invalidate(t.ID) // older than what the request has seen
	return a.policies.Get(t.ID, load)
}

func (a *Authorizer) load(ctx context.Context, t *tenantdb.Tenant) (policy, error) {
	m, err := model.NewModelFromString(a.modelText)
	if err != nil {
		return policy{}, err
	}
	// The version is read before the rules: a change committed in between
	// makes the cached policy newer than its version says, never older.
	v, err := a.db.Platform().Vendor.Get(ctx, t.ID)
	if err != nil {
		return policy{}, fmt.Errorf("authz: policy version of %q: %w", t.Slug, err)
	}
	version := v.PolicyVersion
	ad := &vendorAdapter{ctx: ctx, db: a.db, t: t}
	enf, err := casbin.NewEnforcer(m, ad)
	if err != nil {
		return policy{}, err
	}
	members, err := compile(enf, t.ID, ad.members)
	if err != nil {
		return policy{}, err
	}
	return newPolicy(version, ad.roles, members), nil
}

// newPolicy lays out members (sorted by user) in the policy.
func newPolicy(version int64, roles map[int]Role, members []member) policy {
	p := policy{version: version, roles: roles}
	n := copy(p.inline[:], members)
	if n < len(members) {
		p.more = members[n:]
	}
	return p
}

// compile asks Casbin for each member's implicit permissions in the vendor
// and packs them into masks.
func compile(enf *casbin.Enforcer, vendorID int, roles map[int]int) ([]member, error) {
	dom := domain(vendorID)
	out := make([]member, 0, len(roles))
	for user, role := range roles {
		rules, err := enf.GetImplicitPermissionsForUser(userSubject(user), dom)
		if err != nil {
			return nil, fmt.Errorf("authz: permissions of user %d: %w", user, err)
		}
		var perms mask
		for _, r := range rules { // [subject, domain, permission]
			if len(r) == 3 && r[1] == dom {
				perms |= bits[r[2]]
			}
		}
		out = append(out, member{user: int64(user), role: int32(role), perms: perms})
	}
	slices.SortFunc(out, func(a, b member) int { return cmp.Compare(a.user, b.user) })
	return out, nil
}

// Invalidate drops one vendor's policy on this instance.
func (a *Authorizer) Invalidate(vendorID int) { a.policies.Invalidate(vendorID) }

// InvalidateAll drops every cached policy on this instance.
func (a *Authorizer) InvalidateAll() { a.policies.InvalidateAll() }

// notifyChannel carries the id of a vendor whose policy changed.
const notifyChannel = "bazaar_authz"

// NotifySQL is the statement (one bind parameter: the vendor id as text) that
// announces a policy change. Run it in the transaction that makes the change:
// PostgreSQL delivers it at commit, and not at all on rollback. Services use
// Announce, which also waits for the change to have reached every instance.
const NotifySQL = "SELECT pg_notify('" + notifyChannel + "', $1)"

// NotifyArg formats a vendor id for NotifySQL.
func NotifyArg(vendorID int) string { return strconv.Itoa(vendorID) }

// Changed records, in a platform transaction, that vendor's policy changes
// when tx commits: it bumps the vendor's policy version — every authorized
// request reads it with the session and will not decide with an older policy,
// on any instance — and sends NOTIFY so instances drop the old policy at once
// rather than on their next request.
func Changed(ctx context.Context, tx *platform.Tx, vendorID int) error {
	if err := tx.Vendor.UpdateOneID(vendorID).AddPolicyVersion(1).Exec(ctx); err != nil {
		return fmt.Errorf("authz: bump policy version: %w", err)
	}
	_, err := tx.ExecContext(ctx, NotifySQL, NotifyArg(vendorID))
	return err
}

// Bump is Changed in a transaction of its own, for changes committed in the
// vendor's schema (roles): call it after that commit.
func (a *Authorizer) Bump(ctx context.Context, vendorID int) error {
	tx, err := a.db.Platform().Tx(ctx)
	if err != nil {
		return err
	}
	if err := Changed(ctx, tx, vendorID); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	a.Invalidate(vendorID)
	return nil
}

// Follow subscribes the authorizer to policy change notifications on l
// (start l afterwards).
func (a *Authorizer) Follow(l *tenantdb.Listener) {
	l.Subscribe(notifyChannel, tenantdb.Subscriber{
		Notify: func(payload string) {
			if id, err := strconv.Atoi(payload); err == nil {
				a.Invalidate(id)
			} else {
				a.InvalidateAll()
			}
		},
		Reset: a.InvalidateAll,
	})
}
