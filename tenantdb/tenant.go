package tenantdb

import (
	"context"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/ent/platform/vendordomain"
	"github.com/bazaar/bazaar/internal/fault"
)

// Status of a tenant.
type Status string

// Tenant statuses. A suspended tenant keeps its data and does not serve.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
)

// Tenant is a vendor as the database layer sees it: where its data lives.
// Only the DB builds usable Tenants (the binding statements are fixed when it
// does, from names it validated); treat the fields as read-only. Values are
// safe to share between goroutines.
type Tenant struct {
	ID            int
	Slug          string
	Name          string
	Schema        string
	Role          string
	Status        Status
	SchemaVersion string
	// Cluster names the PostgreSQL cluster holding the schema.
	Cluster string
	// FrozenAt is set while a move copies the shop's last changes: its
	// writes are refused (and retried by clients), its reads served.
	FrozenAt  *time.Time
	CreatedAt time.Time
	// What the shop's requests need of its settings, kept with the cached
	// tenant so that a request never takes a second connection for them
	// while it holds its bound transaction's (a burst of checkouts would
	// otherwise take every connection of the pool and wait for one more).
	Shop ShopSettings

	bind *binding
}

// ShopSettings are the registry's settings a shop's requests read.
type ShopSettings struct {
	BusinessEmail    string
	DefaultLanguage  string
	EnabledLanguages []string
	Currency         string
	// Where shoppers reach the business (the shop front's footer); the
	// country is also the address forms' first choice.
	BusinessPhone, BusinessAddress, BusinessPostalCode, BusinessCity, BusinessCountry string
	// The account an order paid by bank transfer is paid to (shown with
	// the order); empty until the Owner gives it.
	BankAccountHolder, BankIBAN, BankBIC string
	// Theme is the registry's theme_config as stored (checked when it was
	// written); the shop front reads its colours, logo and font.
	Theme map[string]any
}

// Active reports whether the tenant may serve.
func (t *Tenant) Active() bool { return t.Status == StatusActive }

// Frozen reports whether the tenant's writes are refused for a moment (a
// move is switching it to another cluster).
func (t *Tenant) Frozen() bool { return t.FrozenAt != nil }

func (db *DB) newTenant(v *platform.Vendor) *Tenant {
	t := &Tenant{
		ID:            v.ID,
		Slug:          v.Slug,
		Name:          v.Name,
		Schema:        v.DbSchema,
		Role:          v.DbRole,
		Status:        Status(v.Status),
		SchemaVersion: v.SchemaVersion,
		Cluster:       v.Cluster,
		FrozenAt:      v.FrozenAt,
		CreatedAt:     v.CreatedAt,
		Shop: ShopSettings{BusinessEmail: v.BusinessEmail, BusinessPhone: v.BusinessPhone, BusinessAddress: v.BusinessAddress,
			BusinessPostalCode: v.BusinessPostalCode, BusinessCity: v.BusinessCity, BusinessCountry: v.BusinessCountry,
			BankAccountHolder: v.BankAccountHolder, BankIBAN: v.BankIban, BankBIC: v.BankBic,
			DefaultLanguage:  v.DefaultLanguage,
			EnabledLanguages: v.EnabledLanguages, Currency: v.Currency, Theme: v.ThemeConfig},
	}
	t.bind = db.bindingFor(t.Schema, t.Role)
	return t
}

// bindingFor builds the statements that open a transaction bound to a schema
// and role, in one round trip (see connector). Both names were validated when
// the tenant was provisioned and are checked again by quoteIdent; pg_temp is
// listed last so a temporary table can never shadow a tenant table.
//
// The empty read of pg_auth_members before SET ROLE is not decoration: it
// takes the transaction's locks on that catalog and its indexes, and taking
// a lock is when a backend applies the catalog invalidations other sessions
// have sent. SET ROLE checks membership through a per-backend cache of the
// application role's memberships (PostgreSQL's roles_is_member_of). When
// those locks were first taken in the middle of that check, PostgreSQL 15
// could apply the invalidation of a membership granted a moment earlier
// while building the cached list from the catalog state before it, then
// keep that list as current: SET ROLE to the new tenant's role was refused
// on that backend ("permission denied to set role", 42501) until some other
// role changed anywhere on the cluster — a new shop that some backends could
// not serve. With the locks taken first, invalidations are applied before
// the check or left for the next transaction, never consumed during it.
// The index matters: its first lock was the one taken mid-check. In a stress
// run of 1,500 provisions with six clients binding the newest shops, 207
// bindings were refused with nothing before SET ROLE, 178 with LOCK TABLE
// pg_auth_members (the table alone), none with this read (the planner locks
// the indexes too). It costs ~9 µs of server time per transaction.
// TestProvisioningFromManyInstances provokes it: without this read a run
// saw 1 to 18 refused bindings, with it none.
func (db *DB) bindingFor(schema, role string) *binding {
	sets := fmt.Sprintf("; SELECT FROM pg_catalog.pg_auth_members LIMIT 0; SET LOCAL search_path TO %s, pg_temp; SET LOCAL ROLE %s",
		quoteIdent(schema), quoteIdent(role))
	b := &binding{
		rw:     "BEGIN READ WRITE" + sets,
		ro:     "BEGIN READ ONLY" + sets,
		schema: schema,
	}
	if db.opts.TenantLanes > 0 {
		b.lane = laneOf(schema, db.opts.TenantLanes)
	}
	return b
}

// Frozen reads from the registry whether a move has frozen t's writes now
// (t itself may be a cached copy from before the freeze).
func (db *DB) Frozen(ctx context.Context, t *Tenant) (bool, error) {
	var frozen bool
	err := db.pool.QueryRowContext(ctx, `SELECT frozen_at IS NOT NULL FROM `+quoteIdent(PlatformSchema)+`.vendors WHERE id = $1`, t.ID).Scan(&frozen)
	return frozen, err
}

// TenantBySlug finds a tenant by its slug, whatever its status.
func (db *DB) TenantBySlug(ctx context.Context, slug string) (*Tenant, error) {
	if err := ValidateSlug(slug); err != nil {
		return nil, err
	}
	v, err := db.platform.Vendor.Query().Where(vendor.Slug(slug)).Only(ctx)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no vendor %q", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("tenantdb: find vendor %q: %w", slug, err)
	}
	return db.newTenant(v), nil
}

// TenantByID finds a tenant by its vendor id (background jobs carry it),
// whatever its status.
func (db *DB) TenantByID(ctx context.Context, id int) (*Tenant, error) {
	v, err := db.platform.Vendor.Get(ctx, id)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no vendor %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("tenantdb: find vendor %d: %w", id, err)
	}
	return db.newTenant(v), nil
}

// DueImports claims the vendors whose scheduled import is due: each one's
// next_import_at moves on by every, in the same statement, so two
// schedulers never claim a vendor twice.
func (db *DB) DueImports(ctx context.Context, every time.Duration) ([]int, error) {
	rows, err := db.pool.QueryContext(ctx, `UPDATE `+quoteIdent(PlatformSchema)+`.vendors
		SET next_import_at = now() + make_interval(secs => $1)
		WHERE next_import_at <= now() AND status = 'active' RETURNING id`, every.Seconds())
	if err != nil {
		return nil, fmt.Errorf("tenantdb: due imports: %w", err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// TenantByDomain finds the tenant that owns a verified custom domain.
func (db *DB) TenantByDomain(ctx context.Context, host string) (*Tenant, error) {
	d, err := db.platform.VendorDomain.Query().
		Where(vendordomain.Host(host), vendordomain.VerifiedAtNotNil()).
		WithVendor().
		Only(ctx)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no shop at %q", host)
	}
	if err != nil {
		return nil, fmt.Errorf("tenantdb: find domain %q: %w", host, err)
	}
	return db.newTenant(d.Edges.Vendor), nil
}

// Tenants lists every tenant, oldest first.
func (db *DB) Tenants(ctx context.Context) ([]*Tenant, error) {
	vs, err := db.platform.Vendor.Query().Order(vendor.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: list vendors: %w", err)
	}
	ts := make([]*Tenant, len(vs))
	for i, v := range vs {
		ts[i] = db.newTenant(v)
	}
	return ts, nil
}
