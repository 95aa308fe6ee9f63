package tenantdb

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// dbaConn is one connection of its own, through pgx rather than lib/pq, for
// the DBA's tools (backup, restore, move): lib/pq cannot COPY TO STDOUT at
// all, and its COPY FROM takes rows as Go values one by one where pgx
// streams COPY text straight from a reader. It is a *sql.Conn, so the
// migration and provisioning code that takes an execQuerier runs on it as
// it is; transactions are explicit BEGIN/COMMIT statements (a database/sql
// transaction would stand between the statements and the COPY, which needs
// the raw connection).
//
// Its session settings fix how COPY writes values — time zone, date style,
// float digits, bytea — so that a table copied out twice reads the same,
// byte for byte, whatever the server's defaults; checksums rely on it. It
// has no statement timeout: copying a large shop takes as long as it takes.
type dbaConn struct {
	*sql.Conn
	pool *sql.DB
}

// dbaSettings are the session settings of every dbaConn.
var dbaSettings = map[string]string{
	"TimeZone":           "UTC",
	"DateStyle":          "ISO, YMD",
	"IntervalStyle":      "postgres",
	"extra_float_digits": "3",
	"bytea_output":       "hex",
	"client_encoding":    "UTF8",
	"statement_timeout":  "0",
}

// openDBA connects to the cluster at dsn, naming the connection
// "<application name> <purpose>".
func (db *DB) openDBA(ctx context.Context, dsn, purpose string) (*dbaConn, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: database URL: %w", err)
	}
	// Parameters only lib/pq knows would reach the server as settings it
	// does not have; statement_timeout is set below.
	q := u.Query()
	for _, k := range []string{"binary_parameters", "disable_prepared_binary_result", "statement_timeout"} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("tenantdb: database URL: %w", err)
	}
	for k, v := range dbaSettings {
		cfg.RuntimeParams[k] = v
	}
	// Set here, not in the URL: pgx reads a "+" in a URL's query as itself.
	cfg.RuntimeParams["application_name"] = db.opts.ApplicationName + " " + purpose
	// One round trip per statement and no server-side prepared statements
	// left behind: safe through a pooler, and these connections run few
	// statements.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(1)
	c, err := pool.Conn(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("tenantdb: connect (%s): %w", purpose, err)
	}
	return &dbaConn{Conn: c, pool: pool}, nil
}

// Close closes the connection.
func (c *dbaConn) Close() {
	_ = c.Conn.Close()
	_ = c.pool.Close()
}

// copyTo runs a COPY … TO STDOUT and streams its text to w; it returns the
// rows copied.
func (c *dbaConn) copyTo(ctx context.Context, w io.Writer, query string) (int64, error) {
	var n int64
	err := c.Raw(func(dc any) error {
		tag, err := dc.(*stdlib.Conn).Conn().PgConn().CopyTo(ctx, w, query)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// copyFrom runs a COPY … FROM STDIN fed from r; it returns the rows copied.
func (c *dbaConn) copyFrom(ctx context.Context, r io.Reader, query string) (int64, error) {
	var n int64
	err := c.Raw(func(dc any) error {
		tag, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(ctx, r, query)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// rollback ends an explicit transaction that failed; on a connection that is
// closed next, a failure to say so changes nothing.
func (c *dbaConn) rollback() {
	ctx, cancel := context.WithTimeout(context.Background(), dbaRollbackTimeout)
	defer cancel()
	_, _ = c.ExecContext(ctx, `ROLLBACK`)
}
