package tenanttest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/tenantdb"
)

// EnvPgBouncerURL names the variable holding the URL of a PgBouncer in
// transaction mode in front of the test server (its host, port, user and
// password; the database is each test's). scripts/with-db starts one in
// front of the local cluster and sets it. Its stats_users must list the
// user, for PooledSessions.
const EnvPgBouncerURL = "BAZAAR_TEST_PGBOUNCER_URL"

var timeoutSet sync.Map // database name → its role's statement_timeout is set

// A Route leads a test to its database: straight to the server, or through
// PgBouncer.
type Route func(d *Database) *Database

// EachRoute runs f as two subtests: "direct", whose route leaves a database
// as it is, and "pgbouncer", whose route leads through PgBouncer in
// transaction mode (ThroughPgBouncer). The second is skipped, saying why,
// when no PgBouncer is configured (EnvPgBouncerURL); make test always starts
// one.
func EachRoute(t *testing.T, f func(t *testing.T, route Route)) {
	t.Helper()
	t.Run("direct", func(t *testing.T) { f(t, func(d *Database) *Database { return d }) })
	t.Run("pgbouncer", func(t *testing.T) {
		if os.Getenv(EnvPgBouncerURL) == "" {
			skipNoBouncer(t)
		}
		f(t, func(d *Database) *Database { return d.ThroughPgBouncer(t) })
	})
}

func skipNoBouncer(t testing.TB) {
	t.Helper()
	t.Skipf("%s is not set: no PgBouncer to test through (scripts/with-db starts one in front of the local cluster)", EnvPgBouncerURL)
}

// ThroughPgBouncer returns d reached through PgBouncer in transaction mode,
// with a session URL to the server itself for what needs a session, as a
// deployment behind PgBouncer is configured (see README, Behind PgBouncer).
// Like such a deployment it sets the statement timeout as the role's setting
// in the database (once; PgBouncer does not pass the connection's on). It
// skips the test when no PgBouncer is configured.
func (d *Database) ThroughPgBouncer(t testing.TB) *Database {
	t.Helper()
	if d.direct != "" {
		return d
	}
	bouncer := os.Getenv(EnvPgBouncerURL)
	if bouncer == "" {
		skipNoBouncer(t)
	}
	u, err := url.Parse(bouncer)
	if err != nil {
		t.Fatalf("%s: %v", EnvPgBouncerURL, err)
	}
	u.Path = "/" + d.Name
	q := u.Query()
	q.Del("application_name")
	q.Set("binary_parameters", "yes") // see tenantdb.CheckPooledURL
	u.RawQuery = q.Encode()
	if _, done := timeoutSet.Load(d.Name); !done {
		if err := setRoleTimeout(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		timeoutSet.Store(d.Name, true)
	}
	return &Database{Name: d.Name, URL: u.String(), RolePrefix: d.RolePrefix, direct: d.URL}
}

// setRoleTimeout gives the application role d's statement timeout as its
// setting in d: what an operator does for PgBouncer, which drops the
// connection's own. Connections made before keep what they had.
func setRoleTimeout(ctx context.Context, d *Database) error {
	server, err := serverURL()
	if err != nil {
		return err
	}
	admin, err := sql.Open("postgres", server)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, fmt.Sprintf(`ALTER ROLE CURRENT_USER IN DATABASE %s SET statement_timeout = '%dms'`,
		pq.QuoteIdentifier(d.Name), d.Options().StatementTimeout.Milliseconds()))
	if err != nil {
		return fmt.Errorf("tenanttest: statement timeout for %s: %w", d.Name, err)
	}
	return nil
}

// directURL is d's URL on the server itself.
func (d *Database) directURL() string {
	if d.direct != "" {
		return d.direct
	}
	return d.URL
}

// PooledSessions reads the session state of every connection to the server
// that db's work may be handed next, to show that no binding outlived its
// transaction: directly, the pool's idle connections (db.IdleSessions);
// through PgBouncer, every server connection PgBouncer holds to d and has
// not lent to a client. Each of those is taken in a transaction of its own
// (PgBouncer lends an idle server connection to each, and its session
// settings show through); InTransaction is what the server said of it
// before.
func PooledSessions(t testing.TB, db *tenantdb.DB, d *Database) []tenantdb.SessionState {
	t.Helper()
	ctx := context.Background()
	if d.direct == "" {
		states, err := db.IdleSessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return states
	}
	pids := bouncerServers(t, d)
	if len(pids) == 0 {
		return nil
	}
	inTx := map[int]bool{}
	rows, err := SQL(t, d).QueryContext(ctx, `SELECT pid, state LIKE 'idle in transaction%' FROM pg_stat_activity WHERE pid = ANY($1)`, pq.Array(pids))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pid int
		var in bool
		if err := rows.Scan(&pid, &in); err != nil {
			t.Fatal(err)
		}
		inTx[pid] = in
	}
	rows.Close()

	bouncer, err := sql.Open("postgres", d.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer bouncer.Close()
	var out []tenantdb.SessionState
	var seen []int
	for range pids {
		conn, err := bouncer.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() //nolint:errcheck // read only
		var pid int
		var s tenantdb.SessionState
		if err := tx.QueryRowContext(ctx, `SELECT pg_backend_pid(), current_setting('search_path'), current_user,
			current_setting('role'), current_setting('statement_timeout')`).Scan(&pid, &s.SearchPath, &s.User, &s.Role, &s.StatementTimeout); err != nil {
			t.Fatal(err)
		}
		s.InTransaction = inTx[pid]
		seen = append(seen, pid)
		out = append(out, s)
	}
	slices.Sort(seen)
	if !slices.Equal(seen, pids) {
		t.Fatalf("PgBouncer lent server connections %v, want the ones it held, %v", seen, pids)
	}
	return out
}

// bouncerServers lists the backend pids of the server connections
// PgBouncer holds to d and lends to nobody now, sorted.
func bouncerServers(t testing.TB, d *Database) []int {
	t.Helper()
	var pids []int
	for _, row := range bouncerShow(t, d, "SERVERS") {
		if row["database"] != d.Name || (row["state"] != "idle" && row["state"] != "used") {
			continue
		}
		var pid int
		if _, err := fmt.Sscan(row["remote_pid"], &pid); err != nil {
			t.Fatalf("SHOW SERVERS: remote_pid %q", row["remote_pid"])
		}
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	return pids
}

// PgBouncerClients counts the client connections PgBouncer has to d (which
// leads through it) by their application_name: what reaches the server
// through PgBouncer, and what does not.
func PgBouncerClients(t testing.TB, d *Database) map[string]int {
	t.Helper()
	if d.direct == "" {
		t.Fatal("PgBouncerClients of a database reached directly")
	}
	out := map[string]int{}
	for _, row := range bouncerShow(t, d, "CLIENTS") {
		if row["database"] == d.Name {
			out[row["application_name"]]++
		}
	}
	return out
}

// bouncerShow runs SHOW what on the console of the PgBouncer d leads
// through (its stats_users must list the test role), one map per row.
func bouncerShow(t testing.TB, d *Database, what string) []map[string]string {
	t.Helper()
	u, err := url.Parse(d.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/pgbouncer"
	u.RawQuery = url.Values{"sslmode": u.Query()["sslmode"], "application_name": {"bazaar test console"}}.Encode()
	console, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	rows, err := console.Query(`SHOW ` + what)
	if err != nil {
		t.Fatalf("SHOW %s on PgBouncer's console (its stats_users must list the test role): %v", what, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []map[string]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = vals[i].String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
