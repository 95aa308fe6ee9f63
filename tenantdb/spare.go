package tenantdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Spare schemas. A tenant schema is a dozen tables with their indexes, and
// creating them costs ~100 ms of DDL on a small machine — more as the schema
// grows. FillSpares prepares schemas ahead exactly as Provision would — its
// revision table, a role of its own with the tenant privileges, every tenant
// migration — under placeholder names; Provision renames a spare's schema and
// role to the vendor's, two catalog updates instead of the DDL. (Granting on
// the existing tables at claim time instead was tried: GRANT … ON ALL TABLES
// IN SCHEMA scans pg_class, ~90 ms with 1,000 tenants.) A spare's role is a
// member of nobody and logs in nowhere; nothing uses a spare until it is
// claimed. Without a current spare, Provision creates the schema as before.
const sparePrefix = "spare_"

// lockSpare is the advisory lock class a claim (or a drop) of one spare
// holds; its second key is hashtext(schema). lockFill, with 0, is held by the
// one top-up running in a database.
const (
	lockSpare = 0x627a7370 // "bzsp"
	lockFill  = 0x627a7366 // "bzsf"
)

// FillSpares prepares spare schemas until n current ones exist, and drops
// spares an older binary made (a newer binary migrated the vendors since; an
// old spare would need migrating first). Each spare is made in its own
// transaction. It returns how many it created.
//
// Any number of instances may call it at once, while others provision. One
// top-up runs per database at a time (a session advisory lock; the others
// return at once, so the spares are never overshot), and a spare is dropped
// only after a second look under its own lock — listing it and judging it
// are not atomic, and a provisioning may claim it (rename it away) between
// the two. Spares of a newer binary are left alone: during a rolling deploy
// the old instances must not destroy what the new ones prepare.
//
// Each cluster keeps its own spares (a tenant placed there claims one of
// them); the count is per cluster.
func (db *DB) FillSpares(ctx context.Context, n int) (int, error) {
	total := 0
	for _, name := range db.Clusters() {
		made, err := db.fillSparesOn(ctx, db.clusters[name], n)
		total += made
		if err != nil {
			if name != DefaultCluster {
				err = fmt.Errorf("cluster %s: %w", name, err)
			}
			return total, err
		}
	}
	return total, nil
}

func (db *DB) fillSparesOn(ctx context.Context, c *cluster, n int) (int, error) {
	// A session of its own (see session.go): on the main cluster the session
	// pool; another cluster's URL leads to PostgreSQL itself.
	sessions := c.pool
	if c.name == DefaultCluster {
		sessions = db.session
	}
	conn, err := sessions.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("tenantdb: fill spares: %w", err)
	}
	defer conn.Close()
	var mine bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, 0)`, lockFill).Scan(&mine); err != nil || !mine {
		return 0, err // another instance is topping up
	}
	defer unlockFill(conn)

	names, err := db.spareNames(ctx, conn)
	if err != nil {
		return 0, err
	}
	current := 0
	for _, name := range names {
		state, err := db.inspectSpare(ctx, conn, name)
		if err != nil {
			return 0, err
		}
		switch state {
		case spareCurrent:
			current++
		case spareOlder:
			if err := db.dropSpare(ctx, c, name); err != nil {
				return 0, err
			}
		}
	}
	created := 0
	for ; current+created < n; created++ {
		if err := db.makeSpare(ctx, c); err != nil {
			return created, err
		}
	}
	return created, nil
}

// unlockFill releases the top-up lock, or discards the session if it cannot
// say the lock is gone: a pooled session still holding it would stop every
// later top-up.
func unlockFill(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1, 0)`, lockFill); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// spareNames lists the spares through q: inside the provisioning
// transaction it must be that transaction, never another pooled connection
// (concurrent provisions holding every connection would wait on each other).
func (db *DB) spareNames(ctx context.Context, q execQuerier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY nspname`, sparePrefix)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: list spares: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// spareState is what this binary may do with a spare schema.
type spareState int

const (
	spareGone    spareState = iota // claimed or dropped meanwhile, or not ours (no role under our prefix)
	spareCurrent                   // exactly this binary's migrations: claimable
	spareOlder                     // an older binary's: never claimed, dropped by a top-up
	spareNewer                     // a newer binary's: left to it
)

// inspectSpare judges a spare through q. It never runs a statement that can
// fail on a spare that has gone (inside a provisioning transaction a failed
// statement would abort it); outside a transaction, a spare that goes while
// it is being read is reported gone.
func (db *DB) inspectSpare(ctx context.Context, q execQuerier, name string) (spareState, error) {
	var hasRevisions, hasRole bool
	if err := scanOne(ctx, q, `SELECT to_regclass(quote_ident($1) || '.' || $2) IS NOT NULL, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $3)`,
		[]any{name, revisionTable, db.spareRole(name)}, &hasRevisions, &hasRole); err != nil {
		return 0, err
	}
	if !hasRevisions || !hasRole {
		return spareGone, nil
	}
	done, err := readApplied(ctx, q, name)
	if isUndefined(err) {
		return spareGone, nil
	}
	if err != nil {
		return 0, err
	}
	if done.newest() > db.tenantSrc.Latest() {
		return spareNewer, nil
	}
	if todo, err := db.tenantSrc.pending(done); err == nil && len(todo) == 0 {
		return spareCurrent, nil
	}
	return spareOlder, nil
}

// spareRole is the placeholder role of a spare schema. A slug never starts
// with a hyphen, so no vendor's role (prefix + slug, hyphens as underscores)
// starts with prefix + "_" like this one.
func (db *DB) spareRole(schema string) string { return db.opts.RolePrefix + "_" + schema }

func (db *DB) makeSpare(ctx context.Context, c *cluster) error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	name := sparePrefix + hex.EncodeToString(b[:])
	tx, err := c.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	qs, qr := quoteIdent(name), quoteIdent(db.spareRole(name))
	// The same statements as provisioning's schema, role and grants steps.
	stmts := append([]string{`SET LOCAL statement_timeout = 0`}, schemaStatements(qs)...)
	stmts = append(append(stmts, roleStatements(qr)...), grantStatements(qs, qr)...)
	if err := execAll(ctx, tx, stmts...); err != nil {
		return fmt.Errorf("tenantdb: make spare: %w", err)
	}
	if _, err := db.tenantSrc.apply(ctx, tx); err != nil {
		return fmt.Errorf("tenantdb: make spare: %w", err)
	}
	return tx.Commit()
}

// dropSpare drops an older binary's spare, schema and role, unless it is
// being claimed or has changed since it was judged.
func (db *DB) dropSpare(ctx context.Context, c *cluster, name string) error {
	tx, err := c.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var locked bool
	if err := scanOne(ctx, tx, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, []any{lockSpare, name}, &locked); err != nil || !locked {
		return err // being claimed: leave it
	}
	// Under the lock, look again: a provisioning that claimed it since it was
	// listed has renamed it away.
	if state, err := db.inspectSpare(ctx, tx, name); err != nil || state != spareOlder {
		return err
	}
	qr := quoteIdent(db.spareRole(name))
	if err := execAll(ctx, tx, `DROP SCHEMA `+quoteIdent(name)+` CASCADE`,
		`SET LOCAL ROLE `+qr, `DROP OWNED BY `+qr, `RESET ROLE`, `DROP ROLE `+qr); err != nil {
		return fmt.Errorf("tenantdb: drop old spare %s: %w", name, err)
	}
	if err := deleteReports(ctx, tx, db.spareRole(name)); err != nil {
		return fmt.Errorf("tenantdb: drop old spare %s: %w", name, err)
	}
	return tx.Commit()
}

// claimSpare renames a current spare and its role to schema and role inside
// the provisioning transaction tx, and reports whether it found one.
// Concurrent claims take different spares: each holds its spare's advisory
// lock and judges it again once it has the lock.
func (db *DB) claimSpare(ctx context.Context, tx execQuerier, schema, role string) (bool, error) {
	names, err := db.spareNames(ctx, tx)
	if err != nil || len(names) == 0 {
		return false, err
	}
	for _, name := range names {
		var locked bool
		if err := scanOne(ctx, tx, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, []any{lockSpare, name}, &locked); err != nil {
			return false, err
		}
		if !locked {
			continue
		}
		// Under the lock, a spare still listed here is still a spare (a claim
		// that committed meanwhile renamed it away).
		state, err := db.inspectSpare(ctx, tx, name)
		if err != nil {
			return false, err
		}
		if state != spareCurrent {
			continue
		}
		if err := execAll(ctx, tx,
			`ALTER SCHEMA `+quoteIdent(name)+` RENAME TO `+quoteIdent(schema),
			`ALTER ROLE `+quoteIdent(db.spareRole(name))+` RENAME TO `+quoteIdent(role),
		); err != nil {
			return false, err
		}
		// Its reports (the product count its migration wrote) are keyed by
		// the role's name: they move with it.
		if err := renameReports(ctx, tx, db.spareRole(name), role); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

// scanOne reads one row into dst through q.
func scanOne(ctx context.Context, q execQuerier, query string, args []any, dst ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("tenantdb: no row for %s", strings.Fields(query)[0])
	}
	if err := rows.Scan(dst...); err != nil {
		return err
	}
	return rows.Close()
}
