package tenantdb_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// Statements with parameters outside a transaction, from many clients at
// once: each gets the answer to its own statement. Through PgBouncer lib/pq
// must send each in one exchange (binary_parameters=yes): in two, the
// second may land on a server connection where another client's statement
// was parsed a moment before, and run that.
func TestStatementsOutsideTransactions(t *testing.T) {
	tenanttest.EachRoute(t, func(t *testing.T, route tenanttest.Route) {
		db := tenanttest.OpenDatabase(t, route(tenanttest.PackageDatabase(t)), func(o *tenantdb.Options) { o.MaxOpenConns = 16 })
		pool := tenantdb.Pool(db)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			wrong []string
		)
		for g := range 16 {
			wg.Go(func() {
				for i := range 100 {
					var got int
					query, want := `SELECT $1::int + 0`, g
					if (g+i)%2 == 1 {
						query, want = `SELECT $1::int * 1000 FROM generate_series(1, 1)`, g*1000
					}
					if err := pool.QueryRowContext(context.Background(), query, g).Scan(&got); err != nil || got != want {
						mu.Lock()
						wrong = append(wrong, fmt.Sprintf("%s with %d: %d, %v (want %d)", query, g, got, err, want))
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if len(wrong) > 0 {
			t.Fatalf("%d of 1,600 answers wrong; the first: %s", len(wrong), wrong[0])
		}
	})
}

// JSON travels as text and bytes as bytes on both routes (through PgBouncer
// lib/pq sends []byte in binary format, which jsonb would refuse: ent's JSON
// fields arrive as json.RawMessage, and the connector turns them to text).
func TestJSONAndBytesParameters(t *testing.T) {
	tenanttest.EachRoute(t, func(t *testing.T, route tenanttest.Route) {
		db := tenanttest.OpenDatabase(t, route(tenanttest.PackageDatabase(t)))
		var text string
		var raw []byte
		bin := []byte{0, 1, '\\', 'x', 255}
		must(t, tenantdb.Pool(db).QueryRowContext(context.Background(), `SELECT $1::jsonb ->> 'a', $2::bytea`,
			json.RawMessage(`{"a": "é"}`), bin).Scan(&text, &raw))
		if text != "é" || !bytes.Equal(raw, bin) {
			t.Errorf("read back %q and %v, want %q and %v", text, raw, "é", bin)
		}
		var null sql.NullString
		must(t, tenantdb.Pool(db).QueryRowContext(context.Background(), `SELECT $1::jsonb::text`, json.RawMessage(nil)).Scan(&null))
		if null.Valid {
			t.Errorf("a nil json.RawMessage arrived as %q, want NULL", null.String)
		}
	})
}

// Prepare's statements answer right from many clients at once: prepared
// directly, and sent whole through PgBouncer (1.18 keeps no prepared
// statements across the server connections it lends).
func TestPrepare(t *testing.T) {
	tenanttest.EachRoute(t, func(t *testing.T, route tenanttest.Route) {
		db := tenanttest.OpenDatabase(t, route(tenanttest.PackageDatabase(t)), func(o *tenantdb.Options) { o.MaxOpenConns = 16 })
		st, err := db.Prepare(context.Background(), `SELECT $1::int * 2`)
		must(t, err)
		defer st.Close()
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := range 16 {
			wg.Go(func() {
				for range 50 {
					rows, err := st.QueryContext(context.Background(), g)
					if err != nil {
						errs <- err
						return
					}
					var got int
					for rows.Next() {
						err = rows.Scan(&got)
					}
					rows.Close()
					if err == nil && got != 2*g {
						err = fmt.Errorf("%d * 2 = %d", g, got)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// What needs a session never goes through PgBouncer: the lock sessions, the
// side pools (the job queue) and the LISTEN session connect to the session
// URL, and a session advisory lock taken there holds until it is released.
func TestSessionWorkBypassesPgBouncer(t *testing.T) {
	direct := tenanttest.PackageDatabase(t)
	d := direct.ThroughPgBouncer(t)
	db := tenanttest.OpenDatabase(t, d)
	ctx := context.Background()
	must(t, db.Ping(ctx))

	lock, err := db.LockSession(ctx)
	must(t, err)
	defer lock.Close()
	const key = 0x627a7474 // "bztt"
	var got bool
	must(t, lock.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got))
	if !got {
		t.Fatal("the lock session did not get the lock")
	}
	side, err := db.OpenSidePool(ctx, "queue", 1)
	must(t, err)
	defer side.Close()
	must(t, side.PingContext(ctx))
	l := db.NewListener()
	l.Subscribe("bazaar_test_bypass", tenantdb.Subscriber{Notify: func(string) {}, Reset: func() {}})
	must(t, l.Start(ctx))
	defer l.Close()

	clients := tenanttest.PgBouncerClients(t, d)
	if clients["bazaar test"] == 0 {
		t.Errorf("the pool does not go through PgBouncer: its clients there %v", clients)
	}
	for _, name := range []string{"bazaar test session", "bazaar test queue", "bazaar test listen"} {
		if clients[name] > 0 {
			t.Errorf("%q goes through PgBouncer", name)
		}
	}
	raw := tenanttest.SQL(t, direct)
	var holder string
	must(t, raw.QueryRowContext(ctx, `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.granted`, key).Scan(&holder))
	if holder != "bazaar test session" {
		t.Errorf("the lock is held by %q, want the lock session", holder)
	}
	// The pool's traffic meanwhile changes nothing about it.
	for range 20 {
		must(t, db.Ping(ctx))
	}
	must(t, raw.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got))
	if got {
		t.Error("another session took the lock the lock session holds")
		raw.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck
	}
	must(t, lock.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, key).Scan(&got))
	if !got {
		t.Error("the lock session could not release its lock")
	}
}

// Through PgBouncer the connection's statement_timeout does not reach the
// server (PgBouncer drops the startup parameter); the role's setting in the
// database bounds statements there, and Open refuses a pool whose server
// does not apply the configured timeout.
func TestStatementTimeoutThroughPgBouncer(t *testing.T) {
	direct := tenanttest.NewDatabase(t)
	d := direct.ThroughPgBouncer(t) // before anything connects through it
	raw := tenanttest.SQL(t, direct)
	ctx := context.Background()
	_, err := raw.ExecContext(ctx, `ALTER ROLE CURRENT_USER IN DATABASE `+pq.QuoteIdentifier(d.Name)+` SET statement_timeout = '150ms'`)
	must(t, err)
	short := func(o *tenantdb.Options) { o.StatementTimeout = 150 * time.Millisecond }

	t.Run("TheRolesSettingBoundsStatements", func(t *testing.T) {
		db := tenanttest.OpenDatabase(t, d, short)
		_, err := tenantdb.Pool(db).ExecContext(ctx, `SELECT pg_sleep(2)`)
		if !tenantdb.Canceled(err) {
			t.Fatalf("a 2 s statement under a 150 ms timeout: %v, want cancelled (57014)", err)
		}
	})
	t.Run("TheConnectionsOwnDoesNotReachTheServer", func(t *testing.T) {
		u, err := url.Parse(d.URL)
		must(t, err)
		q := u.Query()
		q.Set("statement_timeout", "5000")
		u.RawQuery = q.Encode()
		plain, err := sql.Open("postgres", u.String())
		must(t, err)
		defer plain.Close()
		var got string
		must(t, plain.QueryRowContext(ctx, `SHOW statement_timeout`).Scan(&got))
		if got != "150ms" {
			t.Errorf("statement_timeout %s, want the role's 150ms (the connection asked for 5 s)", got)
		}
	})
	t.Run("OpenRefusesAnotherTimeout", func(t *testing.T) {
		db, err := tenantdb.Open(ctx, d.Options()) // 30 s configured
		if err == nil {
			db.Close()
			t.Fatal("opened a pool whose server applies 150ms where 30s is configured")
		}
		if !strings.Contains(err.Error(), "ALTER ROLE") || !strings.Contains(err.Error(), "150ms") {
			t.Errorf("the refusal does not say what is wrong and how to set it: %v", err)
		}
	})
}

// A pool behind a transaction pooler (a session URL set) must send each
// statement in one exchange: without binary_parameters=yes Open refuses it
// before connecting, saying why.
func TestPooledURLNeedsBinaryParameters(t *testing.T) {
	_, err := tenantdb.Open(context.Background(), tenantdb.Options{
		URL:        "postgres://bazaar@pgbouncer.invalid:6432/bazaar",
		SessionURL: "postgres://bazaar@postgres.invalid:5432/bazaar",
		RolePrefix: "bazaar_",
	})
	if err == nil || !strings.Contains(err.Error(), "binary_parameters=yes") {
		t.Errorf("err = %v, want a refusal naming binary_parameters=yes", err)
	}
	for u, ok := range map[string]bool{
		"postgres://h/db?binary_parameters=yes":                   true,
		"postgresql://h/db?sslmode=disable&binary_parameters=yes": true,
		"postgres://h/db":                      false,
		"postgres://h/db?binary_parameters=no": false,
		"mysql://h/db?binary_parameters=yes":   false,
	} {
		if err := tenantdb.CheckPooledURL(u); (err == nil) != ok {
			t.Errorf("CheckPooledURL(%s) = %v", u, err)
		}
	}
}
