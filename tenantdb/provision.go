package tenantdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/internal/fault"
)

// Advisory lock namespaces (the first key of the two-key form).
const (
	lockMigrate   = 0x627a6d67 // "bzmg": second key is the vendor id, 0 for the platform
	lockProvision = 0x627a7076 // "bzpv": second key is hashtext(slug)
	lockDomains   = 0x627a646d // "bzdm": second key is the vendor id
)

// notifyChannel carries invalidations of tenant resolution caches between
// instances. NOTIFY is transactional: listeners hear of a change only once it
// is committed.
const notifyChannel = "bazaar_tenants"

// execQuerier is what a migration needs from a transaction.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// NewVendor describes a vendor to provision.
type NewVendor struct {
	Slug               string
	Name               string
	BusinessEmail      string
	BusinessPhone      string
	BusinessAddress    string
	BusinessCity       string
	BusinessPostalCode string
	BusinessCountry    string
	// Cluster names the cluster for its schema ("": Options.Placement, or
	// the least loaded).
	Cluster string
}

// Validate names every problem of nv (slug, name, business e-mail and country)
// as a validation error; Provision checks it first.
func (nv NewVendor) Validate() error {
	bad := map[string]string{}
	if err := ValidateSlug(nv.Slug); err != nil {
		if fe, ok := fault.As(err); ok {
			bad["slug"] = fe.Fields["slug"]
		}
	}
	if strings.TrimSpace(nv.Name) == "" {
		bad["name"] = "is required"
	} else if len(nv.Name) > 200 {
		bad["name"] = "must be at most 200 characters"
	}
	if nv.BusinessEmail != "" {
		if a, err := mail.ParseAddress(nv.BusinessEmail); err != nil || a.Address != nv.BusinessEmail {
			bad["business_email"] = "is not an email address"
		}
	}
	if c := nv.BusinessCountry; c != "" && (len(c) != 2 || strings.ToUpper(c) != c) {
		bad["business_country"] = "must be an ISO 3166-1 alpha-2 code such as LU"
	}
	return fault.Fields("invalid vendor", bad)
}

// Also is work that commits, or fails, with a change to a vendor's registry
// row — the audit record of who made it. It runs last in the change's
// platform transaction and is given the row before the change (nil when the
// vendor is created) and after it (nil when it is deleted); for a change to
// the vendor's domains, the vendor's row as it is, twice.
type Also func(ctx context.Context, tx *platform.Tx, before, after *platform.Vendor) error

// Provision creates a vendor: its registry row, its schema, its role with
// privileges on that schema only, and its tables at the newest migration. It
// all happens in one transaction (PostgreSQL's DDL, CREATE ROLE included, is
// transactional), with also, so a failure or crash at any step leaves nothing
// behind and a retry starts clean. Concurrent provisioning of one slug
// serialises on an advisory lock; the loser gets a conflict.
func (db *DB) Provision(ctx context.Context, nv NewVendor, also ...Also) (*Tenant, error) {
	if err := nv.Validate(); err != nil {
		return nil, err
	}
	c, err := db.placement(ctx, nv.Cluster)
	if err != nil {
		return nil, err
	}
	tx, err := db.platform.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: provision %q: %w", nv.Slug, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	p := &provisioning{db: db, tx: tx, x: tx, c: c, nv: nv,
		schema: SchemaName(nv.Slug), role: RoleName(db.opts.RolePrefix, nv.Slug)}
	// On another cluster the schema is made in a transaction there, which
	// commits just before the registry's: a crash between the two leaves a
	// schema no registry row names, which the next provisioning of the slug
	// drops (orphan).
	var ctx2 *sql.Tx
	if c.name != DefaultCluster {
		if ctx2, err = c.pool.BeginTx(ctx, nil); err != nil {
			return nil, fmt.Errorf("tenantdb: provision %q on cluster %s: %w", nv.Slug, c.name, err)
		}
		defer ctx2.Rollback() //nolint:errcheck // no-op after Commit
		p.x = ctx2
	}
	steps := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"lock", p.lock},
		{"register", p.register},
		{"orphan", p.dropOrphan},
		{"schema", p.makeSchema},
		{"role", p.makeRole},
		{"grants", p.grant},
		{"migrate", p.migrate},
		{"notify", p.notify},
		{"also", func(ctx context.Context) error {
			if len(also) == 0 {
				return nil
			}
			after, err := p.tx.Vendor.Query().Where(vendor.Slug(nv.Slug)).Only(ctx)
			if err != nil {
				return err
			}
			return runAlso(ctx, p.tx, also, nil, after)
		}},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return nil, provisionError(nv.Slug, s.name, err)
		}
		if db.faultHook != nil {
			if err := db.faultHook(s.name); err != nil {
				return nil, err
			}
		}
	}
	if ctx2 != nil {
		if err := ctx2.Commit(); err != nil {
			return nil, provisionError(nv.Slug, "commit on cluster "+c.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, provisionError(nv.Slug, "commit", err)
	}
	db.log.InfoContext(ctx, "tenant provisioned", "tenant", nv.Slug, "schema", p.schema, "role", p.role, "cluster", c.name)
	return db.TenantBySlug(ctx, nv.Slug)
}

// provisioning is one vendor's provisioning transaction, step by step.
type provisioning struct {
	db           *DB
	tx           *platform.Tx // the registry's, on the main cluster
	x            execQuerier  // the schema's: tx, or a transaction on the tenant's cluster
	c            *cluster
	nv           NewVendor
	schema, role string
	claimed      bool // a spare schema (with its role and grants) was claimed
}

// lock serialises provisioning of one slug, whichever instance runs it.
func (p *provisioning) lock(ctx context.Context) error {
	_, err := p.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockProvision, p.nv.Slug)
	return err
}

// register writes the registry row; a slug taken is a conflict.
func (p *provisioning) register(ctx context.Context) error {
	nv := p.nv
	exists, err := p.tx.Vendor.Query().Where(vendor.Slug(nv.Slug)).Exist(ctx)
	if err != nil {
		return err
	}
	if exists {
		return fault.New(fault.Conflict, "vendor %q already exists", nv.Slug)
	}
	return p.tx.Vendor.Create().
		SetSlug(nv.Slug).
		SetName(strings.TrimSpace(nv.Name)).
		SetBusinessEmail(nv.BusinessEmail).
		SetBusinessPhone(nv.BusinessPhone).
		SetBusinessAddress(nv.BusinessAddress).
		SetBusinessCity(nv.BusinessCity).
		SetBusinessPostalCode(nv.BusinessPostalCode).
		SetBusinessCountry(nv.BusinessCountry).
		SetDbSchema(p.schema).
		SetDbRole(p.role).
		SetCluster(p.c.name).
		Exec(ctx)
}

// dropOrphan drops, on another cluster, a schema and role of this slug's
// names left by a provisioning that crashed between its two commits. The
// slug has no registry row (register just made sure, under the slug's lock),
// so nothing uses them.
func (p *provisioning) dropOrphan(ctx context.Context) error {
	if p.c.name == DefaultCluster {
		return nil
	}
	var schema, role bool
	if err := scanOne(ctx, p.x, `SELECT to_regnamespace($1) IS NOT NULL, to_regrole($2) IS NOT NULL`,
		[]any{quoteIdent(p.schema), quoteIdent(p.role)}, &schema, &role); err != nil {
		return err
	}
	qr := quoteIdent(p.role)
	if schema {
		p.db.log.WarnContext(ctx, "dropping an orphan schema of a crashed provisioning", "cluster", p.c.name, "schema", p.schema)
		if err := execAll(ctx, p.x, `DROP SCHEMA `+quoteIdent(p.schema)+` CASCADE`); err != nil {
			return err
		}
	}
	if role {
		if err := execAll(ctx, p.x, `SET LOCAL ROLE `+qr, `DROP OWNED BY `+qr, `RESET ROLE`, `DROP ROLE `+qr); err != nil {
			return err
		}
		return deleteReports(ctx, p.x, p.role)
	}
	return nil
}

// makeSchema claims a spare schema, prepared ahead with every migration, by
// renaming it; without one it makes the schema and its revision table.
func (p *provisioning) makeSchema(ctx context.Context) error {
	qs := quoteIdent(p.schema)
	var err error
	if p.claimed, err = p.db.claimSpare(ctx, p.x, p.schema, p.role); err != nil || p.claimed {
		if err == nil {
			_, err = p.x.ExecContext(ctx, `SET LOCAL search_path TO `+qs)
		}
		return err
	}
	return execAll(ctx, p.x, schemaStatements(qs)...)
}

// makeRole makes the tenant role, unless the claimed spare brought it.
func (p *provisioning) makeRole(ctx context.Context) error {
	if p.claimed {
		return nil
	}
	return execAll(ctx, p.x, roleStatements(quoteIdent(p.role))...)
}

// grant gives the tenant role its schema, unless the claimed spare's role
// was granted when the spare was made.
func (p *provisioning) grant(ctx context.Context) error {
	if p.claimed {
		return nil
	}
	return execAll(ctx, p.x, grantStatements(quoteIdent(p.schema), quoteIdent(p.role))...)
}

// migrate brings the schema to this binary's newest migration (a claimed
// spare is there already) and records the version.
func (p *provisioning) migrate(ctx context.Context) error {
	if _, err := p.db.tenantSrc.apply(ctx, p.x); err != nil {
		return err
	}
	return p.tx.Vendor.Update().Where(vendor.Slug(p.nv.Slug)).SetSchemaVersion(p.db.tenantSrc.Latest()).Exec(ctx)
}

// notify tells every instance's caches, at commit.
func (p *provisioning) notify(ctx context.Context) error {
	_, err := p.tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, p.nv.Slug)
	return err
}

// The statements that make a tenant schema and its role, shared by
// provisioning and spare schemas so both end up alike. qs and qr are quoted.

// schemaStatements make the schema and its revision table — before the
// default privileges, so the tenant role never gets to touch the table.
func schemaStatements(qs string) []string {
	return []string{`CREATE SCHEMA ` + qs, `SET LOCAL search_path TO ` + qs, createRevisionTable}
}

// roleStatements make the tenant role. The application role switches to it
// with SET LOCAL ROLE; it needs membership for that, nothing more.
func roleStatements(qr string) []string {
	return []string{`CREATE ROLE ` + qr + ` NOLOGIN NOINHERIT`, `GRANT ` + qr + ` TO CURRENT_USER`}
}

// grantStatements give the role its schema's tables, sequences and functions,
// present and future, and nothing else. (Its rows of ReportsSchema need no
// grant of its own: see reports.go.)
func grantStatements(qs, qr string) []string {
	return []string{
		`GRANT USAGE ON SCHEMA ` + qs + ` TO ` + qr,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA ` + qs + ` GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ` + qr,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA ` + qs + ` GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ` + qr,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA ` + qs + ` GRANT EXECUTE ON FUNCTIONS TO ` + qr,
	}
}

func provisionError(slug, step string, err error) error {
	if _, ok := fault.As(err); ok {
		return err
	}
	switch sqlState(err) {
	case "23505": // unique_violation: a slug racing past the lock, or a name hash collision
		return fault.Wrap(err, fault.Conflict, "vendor %q already exists", slug)
	case "42P06": // duplicate_schema
		return fault.Wrap(err, fault.Conflict, "schema for vendor %q already exists in the database", slug)
	case "42710": // duplicate_object: roles are cluster-wide
		return fault.Wrap(err, fault.Conflict,
			"database role for vendor %q already exists on this PostgreSQL cluster (another deployment with the same database.role_prefix?)", slug)
	}
	return fmt.Errorf("tenantdb: provision %q: %s: %w", slug, step, err)
}

func execAll(ctx context.Context, x execQuerier, stmts ...string) error {
	for _, s := range stmts {
		if _, err := x.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// SetStatus suspends or resumes a vendor, with also in its transaction. Its
// data is untouched. Setting the status it has already changes nothing (the
// reason of a suspension is kept) and runs no also.
func (db *DB) SetStatus(ctx context.Context, slug string, status Status, reason string, also ...Also) (*Tenant, error) {
	if status != StatusActive && status != StatusSuspended {
		return nil, fault.New(fault.Invalid, "unknown status %q", status)
	}
	if status == StatusActive {
		reason = ""
	}
	err := db.platformTx(ctx, func(tx *platform.Tx) error {
		before, err := tx.Vendor.Query().Where(vendor.Slug(slug)).ForUpdate().Only(ctx)
		if platform.IsNotFound(err) {
			return fault.New(fault.NotFound, "no vendor %q", slug)
		}
		if err != nil {
			return err
		}
		if before.Status == vendor.Status(status) {
			return nil
		}
		after, err := before.Update().
			SetStatus(vendor.Status(status)).
			SetSuspendedReason(reason).
			SetStatusChangedAt(time.Now()).
			Save(ctx)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, slug); err != nil {
			return err
		}
		return runAlso(ctx, tx, also, before, after)
	})
	if err != nil {
		return nil, err
	}
	return db.TenantBySlug(ctx, slug)
}

// Delete drops a vendor's schema (with all its data), its role, its reports
// (ReportsSchema) and its registry row, in one transaction with also.
func (db *DB) Delete(ctx context.Context, slug string, also ...Also) error {
	t, err := db.TenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	c, err := db.clusterOf(t)
	if err != nil {
		return err
	}
	local := c.name == DefaultCluster
	err = db.platformTx(ctx, func(tx *platform.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockMigrate, t.ID); err != nil {
			return err
		}
		if local {
			if err := dropTenantObjects(ctx, tx, t.Schema, t.Role); err != nil {
				return fmt.Errorf("tenantdb: delete %q: %w", slug, err)
			}
		} else if err := deleteReports(ctx, tx, t.Role); err != nil { // what was forwarded here
			return fmt.Errorf("tenantdb: delete %q: %w", slug, err)
		}
		before, err := tx.Vendor.Get(ctx, t.ID)
		if err != nil {
			return err
		}
		if err := tx.Vendor.DeleteOneID(t.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, slug); err != nil {
			return err
		}
		return runAlso(ctx, tx, also, before, nil)
	})
	if err != nil || local {
		return err
	}
	// On another cluster the schema goes once the registry row has: a
	// failure here leaves a schema nothing names, which a provisioning of the
	// slug on that cluster drops (and the error says so now).
	tx, err := c.pool.BeginTx(ctx, nil)
	if err == nil {
		defer tx.Rollback() //nolint:errcheck // no-op after Commit
		if err = dropTenantObjects(ctx, tx, t.Schema, t.Role); err == nil {
			err = tx.Commit()
		}
	}
	if err != nil {
		return fmt.Errorf("tenantdb: %q is deleted, but its schema %s on cluster %s is not (drop it by hand, or provision the slug there again): %w",
			slug, t.Schema, c.name, err)
	}
	return nil
}

// dropTenantObjects drops a tenant's schema (with all its data), its role
// and its reports, in the caller's transaction on the tenant's cluster.
func dropTenantObjects(ctx context.Context, x execQuerier, schema, role string) error {
	if err := dropSchemaAndRole(ctx, x, schema, role); err != nil {
		return err
	}
	return deleteReports(ctx, x, role)
}

// dropSchemaAndRole drops a tenant's schema and role, not its reports.
func dropSchemaAndRole(ctx context.Context, x execQuerier, schema, role string) error {
	qr := quoteIdent(role)
	return execAll(ctx, x,
		`DROP SCHEMA IF EXISTS `+quoteIdent(schema)+` CASCADE`,
		// DROP OWNED needs the privileges of the role itself (the
		// application role is only a NOINHERIT member): it removes
		// anything else the role owns or was granted here, so the role can
		// be dropped.
		`SET LOCAL ROLE `+qr,
		`DROP OWNED BY `+qr,
		`RESET ROLE`,
		`DROP ROLE `+qr,
	)
}

func runAlso(ctx context.Context, tx *platform.Tx, also []Also, before, after *platform.Vendor) error {
	for _, fn := range also {
		if err := fn(ctx, tx, before, after); err != nil {
			return err
		}
	}
	return nil
}

// platformTx runs fn in a platform transaction (application role, no binding).
func (db *DB) platformTx(ctx context.Context, fn func(tx *platform.Tx) error) error {
	tx, err := db.platform.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return tx.Commit()
}

// NotifyChanged tells every instance's tenant caches, through the
// transaction x, that the registry row of slug changed (its name, its
// settings): they drop what they hold once x commits. Code that edits a
// vendor's registry row calls it in the same transaction.
func NotifyChanged(ctx context.Context, x interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}, slug string) error {
	_, err := x.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, slug)
	return err
}
