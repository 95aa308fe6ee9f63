package authz

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"

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
	policies  *cache.Map[int, *policy] // by vendor id
}

// policy is one vendor's loaded rules and the decisions taken with them. It is
// immutable once built except for the decision cache; an invalidation
// replaces it rather than changing it.
type policy struct {
	version   int64 // the vendor's policy_version when loading began
	dom       string
	enf       *casbin.Enforcer
	enfMu     sync.Mutex // Casbin's Enforcer is not documented as safe for concurrent use
	decisions sync.Map   // decisionKey → bool
	roles     map[int]Role
	members   map[int]int
}

type decisionKey struct {
	user int
	perm string
}

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
	return &Authorizer{db: db, modelText: modelText, log: log, policies: cache.New[int, *policy](o.CacheSize, 0)}, nil
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
	return p.allowed(userID, perm)
}

// CheckAny reports whether user holds any permission of r in t.
func (a *Authorizer) CheckAny(ctx context.Context, userID int, t *tenantdb.Tenant, version int64, r Requirement) (bool, error) {
	p, err := a.policy(ctx, t, version)
	if err != nil {
		return false, err
	}
	for _, perm := range r {
		ok, err := p.allowed(userID, perm)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// Access returns the user's role and permissions in t (Member false when they
// have none there).
func (a *Authorizer) Access(ctx context.Context, userID int, t *tenantdb.Tenant, version int64) (*Access, error) {
	p, err := a.policy(ctx, t, version)
	if err != nil {
		return nil, err
	}
	roleID, ok := p.members[userID]
	if !ok {
		return &Access{Permissions: []string{}}, nil
	}
	role := p.roles[roleID]
	perms := []string{}
	for _, perm := range Permissions { // the catalogue's order, whatever the role's
		if allowed, err := p.allowed(userID, perm); err != nil {
			return nil, err
		} else if allowed {
			perms = append(perms, perm)
		}
	}
	return &Access{Member: true, Role: &role, Permissions: perms}, nil
}

func (p *policy) allowed(userID int, perm string) (bool, error) {
	k := decisionKey{userID, perm}
	if v, ok := p.decisions.Load(k); ok {
		return v.(bool), nil
	}
	p.enfMu.Lock()
	ok, err := p.enf.Enforce(userSubject(userID), p.dom, perm)
	p.enfMu.Unlock()
	if err != nil {
		return false, fmt.Errorf("authz: enforce: %w", err)
	}
	p.decisions.Store(k, ok)
	return ok, nil
}

// Latest asks Check and Access to read the vendor's policy version first,
// for callers that have not read it with a session (a fresh sign-in).
const Latest int64 = -1

func (a *Authorizer) policy(ctx context.Context, t *tenantdb.Tenant, version int64) (*policy, error) {
	if version == Latest {
		v, err := a.db.Platform.Vendor.Get(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("authz: policy version of %q: %w", t.Slug, err)
		}
		version = v.PolicyVersion
	}
	load := func() (*policy, error) { return a.load(ctx, t) }
	p, err := a.policies.Get(t.ID, load)
	if err != nil || p.version >= version {
		return p, err
	}
	a.policies.Invalidate(t.ID) // older than what the request has seen
	return a.policies.Get(t.ID, load)
}

func (a *Authorizer) load(ctx context.Context, t *tenantdb.Tenant) (*policy, error) {
	m, err := model.NewModelFromString(a.modelText)
	if err != nil {
		return nil, err
	}
	// The version is read before the rules: a change committed in between
	// makes the cached policy newer than its version says, never older.
	v, err := a.db.Platform.Vendor.Get(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("authz: policy version of %q: %w", t.Slug, err)
	}
	version := v.PolicyVersion
	ad := &vendorAdapter{ctx: ctx, db: a.db, t: t}
	enf, err := casbin.NewEnforcer(m, ad)
	if err != nil {
		return nil, err
	}
	return &policy{version: version, dom: domain(t.ID), enf: enf, roles: ad.roles, members: ad.members}, nil
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
	tx, err := a.db.Platform.Tx(ctx)
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
