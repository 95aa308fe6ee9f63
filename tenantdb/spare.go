package tenantdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
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
// holds; its second key is hashtext(schema).
const lockSpare = 0x627a7370 // "bzsp"

// FillSpares prepares spare schemas until n current ones exist, and drops
// spares left at an older version (a newer binary migrated the vendors; a
// stale spare would need migrating first). Each spare is made in its own
// transaction. It returns how many it created.
func (db *DB) FillSpares(ctx context.Context, n int) (int, error) {
	names, err := db.spareNames(ctx, db.pool)
	if err != nil {
		return 0, err
	}
	current := 0
	for _, name := range names {
		ok, err := db.spareCurrent(ctx, db.pool, name)
		if err != nil {
			return 0, err
		}
		if ok {
			current++
			continue
		}
		if err := db.dropSpare(ctx, name); err != nil {
			return 0, err
		}
	}
	created := 0
	for ; current+created < n; created++ {
		if err := db.makeSpare(ctx); err != nil {
			return created, err
		}
	}
	return created, nil
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

// spareCurrent reports whether a spare has exactly the migrations this binary
// knows.
func (db *DB) spareCurrent(ctx context.Context, q execQuerier, name string) (bool, error) {
	done, err := readApplied(ctx, q, name)
	if isUndefined(err) {
		return false, nil // half made by a crashed filler, or gone
	}
	if err != nil {
		return false, err
	}
	todo, err := db.tenantSrc.pending(done)
	return err == nil && len(todo) == 0 && done.newest() == db.tenantSrc.Latest(), nil
}

// spareRole is the placeholder role of a spare schema. A slug never starts
// with a hyphen, so no vendor's role (prefix + slug, hyphens as underscores)
// starts with prefix + "_" like this one.
func (db *DB) spareRole(schema string) string { return db.opts.RolePrefix + "_" + schema }

func (db *DB) makeSpare(ctx context.Context) error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	name := sparePrefix + hex.EncodeToString(b[:])
	tx, err := db.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	qs, qr := quoteIdent(name), quoteIdent(db.spareRole(name))
	// The same statements as Provision's schema, role and grants steps.
	if err := execAll(ctx, tx, `SET LOCAL statement_timeout = 0`,
		`CREATE SCHEMA `+qs, `SET LOCAL search_path TO `+qs, createRevisionTable,
		`CREATE ROLE `+qr+` NOLOGIN NOINHERIT`, `GRANT `+qr+` TO CURRENT_USER`,
		`GRANT USAGE ON SCHEMA `+qs+` TO `+qr,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA `+qs+` GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO `+qr,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA `+qs+` GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO `+qr,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA `+qs+` GRANT EXECUTE ON FUNCTIONS TO `+qr,
	); err != nil {
		return fmt.Errorf("tenantdb: make spare: %w", err)
	}
	if _, err := db.tenantSrc.apply(ctx, tx); err != nil {
		return fmt.Errorf("tenantdb: make spare: %w", err)
	}
	return tx.Commit()
}

func (db *DB) dropSpare(ctx context.Context, name string) error {
	tx, err := db.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var locked bool
	if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, lockSpare, name).Scan(&locked); err != nil || !locked {
		return err // being claimed: leave it
	}
	qr := quoteIdent(db.spareRole(name))
	if err := execAll(ctx, tx, `DROP SCHEMA IF EXISTS `+quoteIdent(name)+` CASCADE`,
		`SET LOCAL ROLE `+qr, `DROP OWNED BY `+qr, `RESET ROLE`, `DROP ROLE `+qr); err != nil {
		return fmt.Errorf("tenantdb: drop stale spare: %w", err)
	}
	return tx.Commit()
}

// claimSpare renames a current spare and its role to schema and role inside
// the provisioning transaction tx, and reports whether it found one. Concurrent claims take
// different spares: each holds its spare's advisory lock and checks it still
// exists once it has the lock (a claim that committed meanwhile renamed it).
func (db *DB) claimSpare(ctx context.Context, tx execQuerier, schema, role string) (bool, error) {
	names, err := db.spareNames(ctx, tx)
	if err != nil || len(names) == 0 {
		return false, err
	}
	for _, name := range names {
		var locked bool
		if err := scanOne(ctx, tx, &locked, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, lockSpare, name); err != nil {
			return false, err
		}
		if !locked {
			continue
		}
		var exists bool
		if err := scanOne(ctx, tx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name); err != nil {
			return false, err
		}
		if !exists {
			continue
		}
		// Read its revisions only if it has them: a failed statement would
		// abort the provisioning transaction.
		var hasRevisions bool
		if err := scanOne(ctx, tx, &hasRevisions, `SELECT to_regclass(quote_ident($1) || '.' || $2) IS NOT NULL`, name, revisionTable); err != nil {
			return false, err
		}
		if !hasRevisions {
			continue
		}
		ok, err := db.spareCurrent(ctx, tx, name)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		var hasRole bool
		if err := scanOne(ctx, tx, &hasRole, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, db.spareRole(name)); err != nil {
			return false, err
		}
		if !hasRole {
			continue // another deployment's (another role prefix) or damaged
		}
		if err := execAll(ctx, tx,
			`ALTER SCHEMA `+quoteIdent(name)+` RENAME TO `+quoteIdent(schema),
			`ALTER ROLE `+quoteIdent(db.spareRole(name))+` RENAME TO `+quoteIdent(role),
		); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

func scanOne(ctx context.Context, q execQuerier, dst any, query string, args ...any) error {
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
	if err := rows.Scan(dst); err != nil {
		return err
	}
	return rows.Close()
}
