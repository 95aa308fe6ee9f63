package tenantdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/lib/pq"
)

// binding is what a tenant transaction is bound to. It travels to the driver
// only in the context handed to BeginTx, under a key no other package can forge.
type binding struct {
	// rw and ro are the complete statements that open the transaction and bind
	// it, read-write and read-only; see Tenant.prepare.
	rw, ro string
	// schema names the tenant, for the connection's count of tenants
	// touched (connector.maxTenants).
	schema string
	// lane is the tenant's home lane (lanes.go).
	lane int
}

type bindingKey struct{}

// connector wraps lib/pq's connector. Its only addition: a transaction begun
// with a binding in its context is opened and bound in one round trip —
// "BEGIN; SET LOCAL search_path ...; SET LOCAL ROLE ..." sent as one simple
// query — instead of two (measured ~5% more throughput; BenchmarkBind). SET
// LOCAL ends with the transaction, so no tenant state can outlive it on a
// pooled connection.
//
// Its second addition bounds PostgreSQL's memory: a backend caches the
// catalogue entries (relcache, catcache, plans) of every tenant schema it
// has touched and never gives them back while it lives — ~90 kB per tenant
// for a shop request's three tables, measured (BenchmarkTenantMemory), so a
// backend that has served 5,000 random shops holds ~450 MB. With maxTenants > 0 a connection that has been
// bound to more than maxTenants distinct tenants is retired when it next
// returns to the pool (IsValid answers false; database/sql closes it and
// opens a fresh one when needed), so no backend holds more than maxTenants
// tenants' entries whatever the number of tenants on the cluster.
type connector struct {
	pq         *pq.Connector
	maxTenants int
	retired    atomic.Int64 // connections retired for touching too many tenants
}

// newConnector is lib/pq's connector for dsn; maxTenants > 0 retires
// connections bound to more tenants than that (0: never).
func newConnector(dsn string, maxTenants int) (*connector, error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &connector{pq: c, maxTenants: maxTenants}, nil
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	inner, err := c.pq.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newConn(inner, c)
}

func (c *connector) Driver() driver.Driver { return c.pq.Driver() }

// pqConn is the set of lib/pq connection methods we forward. Asserting it once
// at connect time means a lib/pq upgrade that drops one fails loudly here.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
	driver.Tx // lib/pq's conn is its own transaction object
}

type conn struct {
	pqConn
	owner *connector
	// tenants holds the schemas this connection has been bound to, while
	// the connector bounds them; retire is set once there are more than it
	// allows. database/sql uses a connection from one goroutine at a time,
	// so neither needs a lock.
	tenants map[string]struct{}
	retire  bool
}

func newConn(inner driver.Conn, owner *connector) (driver.Conn, error) {
	pc, ok := inner.(pqConn)
	if !ok {
		inner.Close()
		return nil, fmt.Errorf("tenantdb: lib/pq connection %T lacks a required method", inner)
	}
	return &conn{pqConn: pc, owner: owner}, nil
}

// touch counts the tenant a transaction is bound to, marking the connection
// for retirement once it has seen more than its connector allows. The
// transaction itself runs: retiring a connection is never worth refusing
// or delaying a request.
func (c *conn) touch(schema string) {
	max := c.owner.maxTenants
	if max <= 0 || c.retire {
		return
	}
	if c.tenants == nil {
		c.tenants = make(map[string]struct{}, max+1)
	}
	c.tenants[schema] = struct{}{}
	if len(c.tenants) > max {
		c.retire = true
		c.tenants = nil
		c.owner.retired.Add(1)
	}
}

// IsValid is asked by database/sql before a connection goes back to the
// pool: false closes it, ending its backend and the catalogue cache it
// grew.
func (c *conn) IsValid() bool { return !c.retire && c.pqConn.IsValid() }

// BeginTx opens a transaction; with a binding in ctx it is bound in the same
// round trip. No transaction arms lib/pq's cancel watcher for its whole life:
// database/sql rolls back a transaction whose context ends, and each statement
// has lib/pq's watcher of its own. This matters beyond economy: lib/pq keeps
// the watcher's finish function after Commit/Rollback and calls it again at
// the end of the next transaction on the connection unless its own BeginTx
// replaced it — and the bound path never calls lib/pq's BeginTx. A stale
// finish racing its exited watcher panics ("attempt to set nil err"). Handing
// lib/pq a context that cannot be cancelled leaves no watcher to go stale.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := ctx.Value(bindingKey{}).(*binding)
	if !ok {
		return c.pqConn.BeginTx(context.WithoutCancel(ctx), opts)
	}
	if sql.IsolationLevel(opts.Isolation) != sql.LevelDefault {
		return nil, errors.New("tenantdb: tenant transactions use the default isolation level")
	}
	c.touch(b.schema)
	q := b.rw
	if opts.ReadOnly {
		q = b.ro
	}
	if _, err := c.pqConn.ExecContext(ctx, q, nil); err != nil {
		// Typically BEGIN succeeded and a SET failed, leaving an open, aborted
		// transaction: close it. If no transaction is open, lib/pq's Rollback
		// marks the connection bad and database/sql discards it; either way the
		// connection never returns to the pool inside a transaction.
		_ = c.pqConn.Rollback()
		return nil, err
	}
	return c.pqConn, nil
}

// Begin is the legacy entry point; database/sql uses BeginTx.
func (c *conn) Begin() (driver.Tx, error) { //nolint:staticcheck // required by driver.Conn
	return c.BeginTx(context.Background(), driver.TxOptions{})
}
