package tenantdb

import (
	"context"
	"database/sql"
	"fmt"
)

// What outlives a transaction needs a server session of its own, which a
// transaction pooler does not give: a session advisory lock taken through
// PgBouncer in transaction mode stays on whichever server connection ran the
// statement, lent to others the moment it returns, and the unlock lands on
// another; LISTEN hears nothing once the connection is lent away. The job
// queue (River over database/sql) is kept on sessions too: nothing here
// proves it through a transaction pooler, and its polling pool is small and
// steady, not what a pooler saves. These go to Options.SessionURL —
// PostgreSQL itself, or a session-mode pool — when it is set, and to the
// pool's URL otherwise:
//
//   - LockSession (an import's, a bulk onboarding's, a mass reset's lock),
//   - FillSpares' top-up lock (and the reads it makes under it),
//   - OpenSidePool (the job queue, its migrations),
//   - the LISTEN session, unless Options.ListenURL names another.

// sessionMaxIdle is how many idle connections the session pool keeps when it
// is a pool of its own: locks are taken now and then and held long.
const sessionMaxIdle = 2

// sessionURL is where session work goes: Options.SessionURL, else the pool's URL.
func (db *DB) sessionURL() string {
	if db.opts.SessionURL != "" {
		return db.opts.SessionURL
	}
	return db.opts.URL
}

// openSession opens the pool that session work takes its connections from:
// the main pool itself without a SessionURL (so nothing changes), else a
// pool of its own named "<name> session", with the statement timeout.
func openSession(ctx context.Context, pool *sql.DB, opts Options) (*sql.DB, error) {
	if opts.SessionURL == "" {
		return pool, nil
	}
	dsn, err := withSessionSettings(opts.SessionURL, opts.ApplicationName+" session", opts.StatementTimeout)
	if err != nil {
		return nil, err
	}
	c, err := newConnector(dsn, 0)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: session URL: %w", err)
	}
	session := sql.OpenDB(c)
	session.SetMaxOpenConns(opts.MaxOpenConns)
	session.SetMaxIdleConns(min(sessionMaxIdle, opts.MaxOpenConns))
	session.SetConnMaxLifetime(opts.ConnMaxLifetime)
	session.SetConnMaxIdleTime(opts.ConnMaxIdleTime)
	if err := session.PingContext(ctx); err != nil {
		session.Close()
		return nil, fmt.Errorf("tenantdb: connect (session): %w", err)
	}
	return session, nil
}
