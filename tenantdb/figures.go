package tenantdb

import (
	"context"
	"fmt"
	"regexp"
)

// Read-only facts about the tenants for the super admins' health report,
// read from the platform's registry (and the few spare schemas), never by
// visiting a tenant schema.

// TenantFigures are the tenants as the registry records them.
type TenantFigures struct {
	Total    int
	ByStatus map[Status]int
	Current  int // at this binary's newest tenant migration
	Behind   int // recorded at an older one: their hosts answer 503 until migrated
	Ahead    int // recorded at a newer one: a newer binary migrated them
	// Failed are tenants whose last migration failed, by slug (at most the
	// limit asked for); FailedTotal counts them all.
	Failed      []MigrationFailure
	FailedTotal int
}

// MigrationFailure is a tenant whose last migration failed.
type MigrationFailure struct {
	ID   int
	Slug string
	// Error says which migration failed in words safe to show: never the
	// database's message, which may quote SQL and names (`bazaar tenant
	// status` shows that to operators).
	Error string
}

// TenantFigures counts the tenants by status and by migration state, and
// lists up to failedLimit of those whose last migration failed: two queries
// of the registry.
func (db *DB) TenantFigures(ctx context.Context, failedLimit int) (TenantFigures, error) {
	f := TenantFigures{ByStatus: map[Status]int{}}
	rows, err := db.pool.QueryContext(ctx, `SELECT status, count(*),
			count(*) FILTER (WHERE schema_version = $1), count(*) FILTER (WHERE schema_version < $1),
			count(*) FILTER (WHERE schema_version > $1), count(*) FILTER (WHERE migration_error <> '')
		FROM `+quoteIdent(PlatformSchema)+`.vendors GROUP BY status`, db.tenantSrc.Latest())
	if err != nil {
		return f, fmt.Errorf("tenantdb: tenant figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n, current, behind, ahead, failed int
		if err := rows.Scan(&status, &n, &current, &behind, &ahead, &failed); err != nil {
			return f, fmt.Errorf("tenantdb: tenant figures: %w", err)
		}
		f.ByStatus[Status(status)] = n
		f.Total += n
		f.Current += current
		f.Behind += behind
		f.Ahead += ahead
		f.FailedTotal += failed
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("tenantdb: tenant figures: %w", err)
	}
	if f.FailedTotal == 0 || failedLimit <= 0 {
		return f, nil
	}
	rows, err = db.pool.QueryContext(ctx, `SELECT id, slug, migration_error FROM `+quoteIdent(PlatformSchema)+`.vendors
		WHERE migration_error <> '' ORDER BY slug LIMIT $1`, failedLimit)
	if err != nil {
		return f, fmt.Errorf("tenantdb: failed migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m MigrationFailure
		var msg string
		if err := rows.Scan(&m.ID, &m.Slug, &msg); err != nil {
			return f, fmt.Errorf("tenantdb: failed migrations: %w", err)
		}
		m.Error = safeMigrationError(msg)
		f.Failed = append(f.Failed, m)
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("tenantdb: failed migrations: %w", err)
	}
	return f, nil
}

// The forms of a recorded migration error (MigrateTenant, Source.pending,
// Source.apply): our own refusals, which name only migration files and are
// kept as they are, and a file the database refused, whose cause is the
// database's message.
var (
	migrationRefusal = regexp.MustCompile(`^migration [0-9]+_[a-z0-9_]+ (was changed after it was applied|is older than the applied [0-9]+: give it a newer version)$`)
	migrationFile    = regexp.MustCompile(`^migration ([0-9]+_[a-z0-9_]+): `)
)

// safeMigrationError says which migration failed without the database's
// words (which may quote the statement, a schema or a role).
func safeMigrationError(msg string) string {
	switch {
	case migrationRefusal.MatchString(msg):
		return msg
	case migrationFile.MatchString(msg):
		return "migration " + migrationFile.FindStringSubmatch(msg)[1] + " failed; `bazaar tenant status` shows the database's message"
	}
	return "the migration could not run; `bazaar tenant status` shows why"
}

// SpareFigures are the spare schemas present (see FillSpares).
type SpareFigures struct {
	Ready int // at exactly this binary's migrations: claimable
	Stale int // an older binary's: never claimed, dropped by the next top-up
	Newer int // a newer binary's (a rolling deploy): left to it
}

// SpareFigures judges each spare schema as a top-up would, reading its
// revision table (a spare is nobody's: this reads no tenant).
func (db *DB) SpareFigures(ctx context.Context) (SpareFigures, error) {
	var f SpareFigures
	names, err := db.spareNames(ctx, db.pool)
	if err != nil {
		return f, err
	}
	for _, name := range names {
		state, err := db.inspectSpare(ctx, db.pool, name)
		if err != nil {
			return f, fmt.Errorf("tenantdb: spare figures: %w", err)
		}
		switch state {
		case spareCurrent:
			f.Ready++
		case spareOlder:
			f.Stale++
		case spareNewer:
			f.Newer++
		}
	}
	return f, nil
}
