package tenantdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// MigratePlatform brings the platform schema up to date, on the main
// cluster and then on every other (where only its tenant_reports schema is
// used: see cluster.go); it returns the files applied on the main cluster.
// Concurrent callers serialise on an advisory lock; the second finds
// nothing to do.
func (db *DB) MigratePlatform(ctx context.Context) (applied int, err error) {
	if applied, err = db.migratePlatformOn(ctx, db.pool); err != nil {
		return 0, err
	}
	for _, name := range db.Clusters()[1:] {
		if _, err := db.migratePlatformOn(ctx, db.clusters[name].pool); err != nil {
			return applied, fmt.Errorf("cluster %s: %w", name, err)
		}
	}
	return applied, nil
}

func (db *DB) migratePlatformOn(ctx context.Context, pool *sql.DB) (applied int, err error) {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	qs := quoteIdent(PlatformSchema)
	if err := execAll(ctx, tx,
		fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, 0)`, lockMigrate),
		`CREATE SCHEMA IF NOT EXISTS `+qs,
		`SET LOCAL search_path TO `+qs,
		`SET LOCAL statement_timeout = 0`,
	); err != nil {
		return 0, fmt.Errorf("tenantdb: migrate platform: %w", err)
	}
	if err := hardenDatabase(ctx, tx); err != nil {
		return 0, fmt.Errorf("tenantdb: migrate platform: %w", err)
	}
	applied, err = db.platformSrc.apply(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("tenantdb: migrate platform: %w", err)
	}
	return applied, tx.Commit()
}

// hardenDatabase withdraws the TEMPORARY privilege every role gets by default,
// so tenant roles cannot create session-lived temporary tables on pooled
// connections. It needs the database's owner; otherwise the DBA is told to.
func hardenDatabase(ctx context.Context, tx *sql.Tx) error {
	var owner, public bool
	err := tx.QueryRowContext(ctx, `
		SELECT d.datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user),
		       has_database_privilege('public', current_database(), 'TEMPORARY')
		FROM pg_database d WHERE d.datname = current_database()`).Scan(&owner, &public)
	if err != nil || !public {
		return err
	}
	if !owner {
		return errors.New("PUBLIC may create temporary tables in this database: as its owner run REVOKE TEMPORARY ON DATABASE <db> FROM PUBLIC")
	}
	_, err = tx.ExecContext(ctx, `DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END $$`)
	return err
}

// PlatformCurrent reports whether the platform schema has every migration this
// binary knows.
func (db *DB) PlatformCurrent(ctx context.Context) (bool, error) {
	done, err := readApplied(ctx, db.pool, PlatformSchema)
	if isUndefined(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	todo, err := db.platformSrc.pending(done)
	return err == nil && len(todo) == 0, err
}

// PlatformLatest is the newest platform migration this binary knows.
func (db *DB) PlatformLatest() string { return db.platformSrc.Latest() }

// PlatformApplied is the newest migration applied to the platform schema
// ("" when none is, or the schema has no revision table yet).
func (db *DB) PlatformApplied(ctx context.Context) (string, error) {
	done, err := readApplied(ctx, db.pool, PlatformSchema)
	if isUndefined(err) {
		return "", nil
	}
	return done.newest(), err
}

// TenantLatest is the newest tenant migration this binary knows.
func (db *DB) TenantLatest() string { return db.tenantSrc.Latest() }

// TenantMigration is the outcome of migrating one tenant.
type TenantMigration struct {
	Tenant   *Tenant
	From     string // newest version before
	To       string // newest version after
	Applied  int    // files applied (0: it was current)
	Err      error
	Duration time.Duration
}

// MigrateSummary counts the outcomes of MigrateAll.
type MigrateSummary struct {
	Tenants  int
	Current  int // already current: cost one cheap read
	Migrated int
	Failed   int
	Duration time.Duration
}

// MigrateAll migrates the platform schema, then every tenant schema, at most
// MigrateParallel at a time over the shared pool. Each tenant migrates in its
// own transaction under its own advisory lock, so a crash leaves every tenant
// either fully migrated or untouched and a re-run finishes the job. A failing
// tenant is reported (and its error recorded on its registry row) without
// stopping the others. report, if not nil, is called once per tenant, from one
// goroutine at a time.
func (db *DB) MigrateAll(ctx context.Context, report func(TenantMigration)) (MigrateSummary, error) {
	start := time.Now()
	var sum MigrateSummary
	if _, err := db.MigratePlatform(ctx); err != nil {
		return sum, err
	}
	tenants, err := db.Tenants(ctx)
	if err != nil {
		return sum, err
	}
	sum.Tenants = len(tenants)

	work := make(chan *Tenant)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(db.opts.MigrateParallel, max(len(tenants), 1)) {
		wg.Go(func() {
			for t := range work {
				r := db.MigrateTenant(ctx, t)
				mu.Lock()
				switch {
				case r.Err != nil:
					sum.Failed++
				case r.Applied > 0:
					sum.Migrated++
				default:
					sum.Current++
				}
				if report != nil {
					report(r)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, t := range tenants {
		select {
		case work <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	sum.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	if sum.Failed > 0 {
		return sum, fmt.Errorf("tenantdb: %d of %d tenants failed to migrate", sum.Failed, sum.Tenants)
	}
	return sum, nil
}

// MigrateTenant brings one tenant schema up to date.
func (db *DB) MigrateTenant(ctx context.Context, t *Tenant) TenantMigration {
	start := time.Now()
	r := TenantMigration{Tenant: t}
	defer func() { r.Duration = time.Since(start) }()

	// The cheap check: one read of the schema's revision table, no
	// transaction, no lock. Most runs stop here for most tenants.
	c, err := db.clusterOf(t)
	if err != nil {
		r.Err = err
		return r
	}
	done, err := readApplied(ctx, c.pool, t.Schema)
	if err == nil {
		var todo []sourceFile
		todo, err = db.tenantSrc.pending(done)
		if err == nil && len(todo) == 0 {
			r.From, r.To = done.newest(), done.newest()
			if t.SchemaVersion != r.To {
				// The registry lags (say, after a restore): fix it, and tell
				// every instance's resolver, in one statement.
				if _, err := db.pool.ExecContext(ctx, `WITH u AS (UPDATE `+quoteIdent(PlatformSchema)+`.vendors
					SET schema_version = $1, migration_error = '' WHERE id = $2 RETURNING slug)
					SELECT pg_notify($3, slug) FROM u`, r.To, t.ID, notifyChannel); err != nil {
					r.Err = err
				}
			}
			return r
		}
	}
	if err != nil {
		r.Err = err
		db.recordMigrationError(ctx, t, err)
		return r
	}
	r.From = done.newest()
	r.Applied, r.Err = db.migrateTenantTx(ctx, c, t)
	if r.Err != nil {
		r.Applied = 0
		db.recordMigrationError(ctx, t, r.Err)
		return r
	}
	r.To = db.tenantSrc.Latest()
	return r
}

// migrateTenantTx migrates t's schema in one transaction on its cluster.
// On the main cluster the registry row is updated in the same transaction;
// on another it is updated right after the schema's commit (a crash between
// leaves the registry behind the schema, which the next run's cheap check
// puts right).
func (db *DB) migrateTenantTx(ctx context.Context, c *cluster, t *Tenant) (int, error) {
	tx, err := c.pool.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	// DDL runs as the application role (the owner), in the tenant's schema;
	// lock_timeout keeps a migration from queueing forever behind a long
	// transaction and blocking that tenant's traffic behind itself.
	if err := execAll(ctx, tx,
		fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, %d)`, lockMigrate, t.ID),
		`SET LOCAL lock_timeout = '10s'`,
		`SET LOCAL statement_timeout = 0`, // a data migration may take long
		`SET LOCAL search_path TO `+quoteIdent(t.Schema),
	); err != nil {
		return 0, err
	}
	n, err := db.tenantSrc.apply(ctx, tx)
	if err != nil {
		return 0, err
	}
	registry := execQuerier(tx)
	if c.name != DefaultCluster {
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		registry = db.pool
	}
	if _, err := registry.ExecContext(ctx,
		`UPDATE `+quoteIdent(PlatformSchema)+`.vendors SET schema_version = $1, migration_error = '', updated_at = now() WHERE id = $2`,
		db.tenantSrc.Latest(), t.ID); err != nil {
		return 0, err
	}
	if _, err := registry.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, t.Slug); err != nil {
		return 0, err
	}
	if c.name != DefaultCluster {
		return n, nil
	}
	return n, tx.Commit()
}

func (db *DB) recordMigrationError(ctx context.Context, t *Tenant, err error) {
	msg := err.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	if _, uerr := db.pool.ExecContext(context.WithoutCancel(ctx),
		`UPDATE `+quoteIdent(PlatformSchema)+`.vendors SET migration_error = $1 WHERE id = $2`, msg, t.ID); uerr != nil {
		db.log.ErrorContext(ctx, "record migration error", "tenant", t.Slug, "err", uerr)
	}
}

// TenantState is a tenant's migration status as `bazaar tenant status` shows it.
type TenantState struct {
	Tenant    *Tenant
	Version   string // newest applied, read from the schema itself
	Applied   int
	Behind    bool
	LastError string
	Err       error // the schema could not be read
}

// States reads every tenant's revision table, MigrateParallel at a time.
func (db *DB) States(ctx context.Context) ([]TenantState, error) {
	tenants, err := db.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	errs, err := db.migrationErrors(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TenantState, len(tenants))
	sem := make(chan struct{}, db.opts.MigrateParallel)
	var wg sync.WaitGroup
	for i, t := range tenants {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var done applied
			c, err := db.clusterOf(t)
			if err == nil {
				done, err = readApplied(ctx, c.pool, t.Schema)
			}
			st := TenantState{Tenant: t, Version: done.newest(), Applied: len(done), LastError: errs[t.ID], Err: err}
			if err == nil {
				todo, perr := db.tenantSrc.pending(done)
				st.Behind = perr != nil || len(todo) > 0
			}
			out[i] = st
		})
	}
	wg.Wait()
	return out, nil
}

func (db *DB) migrationErrors(ctx context.Context) (map[int]string, error) {
	rows, err := db.pool.QueryContext(ctx, `SELECT id, migration_error FROM `+quoteIdent(PlatformSchema)+`.vendors WHERE migration_error <> ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int]string{}
	for rows.Next() {
		var id int
		var msg string
		if err := rows.Scan(&id, &msg); err != nil {
			return nil, err
		}
		m[id] = msg
	}
	return m, rows.Err()
}

// TenantsBehind counts tenants whose recorded schema version is older than
// this binary's newest tenant migration.
func (db *DB) TenantsBehind(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRowContext(ctx,
		`SELECT count(*) FROM `+quoteIdent(PlatformSchema)+`.vendors WHERE schema_version < $1`, db.tenantSrc.Latest()).Scan(&n)
	return n, err
}
