package tenantdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/lib/pq"
)

// Behind a transaction pooler (PgBouncer with pool_mode = transaction) a
// client connection is lent a server connection for one transaction, or,
// outside a transaction, for one exchange up to a Sync. What tenantdb does
// so that it holds there too:
//
//   - A tenant binding is SET LOCAL inside the transaction it opens, so it
//     ends before the server connection is lent to anyone else.
//   - lib/pq sends a statement with parameters outside a transaction as two
//     exchanges (Parse/Describe/Sync, then Bind/Execute/Sync), and the pooler
//     may lend the second to another server connection: there it fails
//     ("unnamed prepared statement does not exist") or, worse, binds the
//     statement another client has just parsed there — through PgBouncer 1.18,
//     16 clients sending 300 such queries each got 2,168 answers to another
//     client's query. With binary_parameters=yes in the URL lib/pq sends the
//     whole statement in one exchange; a pooled URL without it is refused
//     (CheckPooledURL).
//   - In that mode lib/pq sends []byte parameters in binary format, which
//     jsonb refuses ("unsupported jsonb version number"); JSON therefore
//     travels as text (conn.CheckNamedValue). Other []byte parameters (bytea)
//     are right in binary format.
//   - A named prepared statement lives on one server connection: a pooler
//     without prepared statement support (PgBouncer before 1.21, or
//     max_prepared_statements = 0) needs Options.NoPrepare.
//   - PgBouncer passes on only the startup parameters it tracks
//     (application_name is one); statement_timeout must be listed in its
//     ignore_startup_parameters and then never reaches the server. So it has
//     to be the role's setting in the database (ALTER ROLE … IN DATABASE … SET
//     statement_timeout), and Open checks that the server applies the
//     configured one (checkStatementTimeout).
//   - What needs a session of its own — session advisory locks, LISTEN, the
//     job queue — uses Options.SessionURL (see session.go).

// CheckPooledURL checks a URL that leads to a transaction pooler: lib/pq
// must send each statement in one exchange (binary_parameters=yes).
func CheckPooledURL(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("must be a postgres:// URL")
	}
	if u.Query().Get("binary_parameters") != "yes" {
		return errors.New("behind a transaction pooler it needs binary_parameters=yes: without it lib/pq parses and runs a statement with parameters in two exchanges, which the pooler may hand to different server connections")
	}
	return nil
}

// CheckNamedValue sends JSON as text. ent hands its JSON fields to the
// driver as json.RawMessage, which lib/pq sends as it is in its default
// mode but in binary format with binary_parameters=yes, and jsonb's binary
// format is not JSON text. As a string it is the same text in both modes
// (lib/pq encodes a string and a []byte alike for every type, bytea too).
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if j, ok := nv.Value.(json.RawMessage); ok && j != nil {
		nv.Value = string(j)
		return nil
	}
	return c.pqConn.CheckNamedValue(nv)
}

// checkStatementTimeout refuses a pool whose server does not apply the
// configured statement timeout. Directly, the connection's startup sets it;
// through a pooler that ignores the startup parameter, only the role's
// setting in the database can, and without it statements would run
// unbounded with nothing said. A statement_timeout the URL carries itself
// is the operator's and not checked.
func checkStatementTimeout(ctx context.Context, pool *sql.DB, opts Options) error {
	if opts.StatementTimeout <= 0 {
		return nil
	}
	if u, err := url.Parse(opts.URL); err == nil && u.Query().Has("statement_timeout") {
		return nil
	}
	var setting, role, database string
	if err := pool.QueryRowContext(ctx, `SELECT setting, current_user, current_database()
		FROM pg_catalog.pg_settings WHERE name = 'statement_timeout'`).Scan(&setting, &role, &database); err != nil {
		return fmt.Errorf("tenantdb: read statement_timeout: %w", err)
	}
	ms, err := strconv.ParseInt(setting, 10, 64)
	if err != nil {
		return fmt.Errorf("tenantdb: read statement_timeout: %q", setting)
	}
	if want := opts.StatementTimeout.Milliseconds(); ms != want {
		return fmt.Errorf("tenantdb: the server applies a statement_timeout of %s where %s is configured: "+
			"behind a transaction pooler a connection's own setting does not reach the server; "+
			"set it for the role in the database: ALTER ROLE %s IN DATABASE %s SET statement_timeout = '%dms'",
			time.Duration(ms)*time.Millisecond, opts.StatementTimeout, pq.QuoteIdentifier(role), pq.QuoteIdentifier(database), want)
	}
	return nil
}
