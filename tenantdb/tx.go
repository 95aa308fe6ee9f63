package tenantdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/tenant"
)

// ErrNotBound is returned by FromContext when no tenant transaction is bound:
// tenant code fails closed rather than falling back to any default schema.
var ErrNotBound = errors.New("tenantdb: no tenant transaction bound to the context")

type boundKey struct{}

type bound struct {
	tenant *Tenant
	client *tenant.Client
	txn    *Txn // nil for Unbound contexts
}

// FromContext returns the client of the tenant transaction bound to ctx.
func FromContext(ctx context.Context) (*tenant.Client, error) {
	b, ok := ctx.Value(boundKey{}).(*bound)
	if !ok {
		return nil, ErrNotBound
	}
	return b.client, nil
}

// BoundTenant returns the tenant whose transaction is bound to ctx.
func BoundTenant(ctx context.Context) (*Tenant, bool) {
	b, ok := ctx.Value(boundKey{}).(*bound)
	if !ok {
		return nil, false
	}
	return b.tenant, true
}

// SQLTx returns the database/sql transaction bound to ctx, for what ent
// cannot say: COPY (lib/pq runs it only inside a transaction) and set-based
// statements over many rows. It is the same bound transaction: search_path
// and role are the tenant's.
func SQLTx(ctx context.Context) (*sql.Tx, error) {
	b, ok := ctx.Value(boundKey{}).(*bound)
	if !ok || b.txn == nil {
		return nil, ErrNotBound
	}
	return b.txn.sqlTx, nil
}

// Txn is an open tenant transaction. Exactly one of Commit or Rollback ends it;
// Rollback after Commit is a no-op, so `defer txn.Rollback()` is always safe.
type Txn struct {
	tx          *tenant.Tx
	sqlTx       *sql.Tx
	done        bool
	afterCommit []func()
}

// Begin opens a transaction bound to t and returns a context carrying its
// client. Use it where the unit of work spans a call chain (an HTTP request);
// prefer Tx elsewhere.
func (db *DB) Begin(ctx context.Context, t *Tenant, readOnly bool) (context.Context, *Txn, error) {
	if t == nil || t.bind == nil {
		return nil, nil, errors.New("tenantdb: Begin with a tenant not obtained from this DB")
	}
	if _, ok := ctx.Value(boundKey{}).(*bound); ok {
		return nil, nil, errors.New("tenantdb: a tenant transaction is already bound to this context")
	}
	// The binding rides only on the context given to BeginTx, never on the
	// context handed back, so platform work done later with that context is
	// not bound by accident.
	sqlTx, err := db.pool.BeginTx(context.WithValue(ctx, bindingKey{}, t.bind), &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return nil, nil, fmt.Errorf("tenantdb: begin transaction for %q: %w", t.Slug, err)
	}
	// ent starts its transactions through the driver; hand it the one just
	// begun so the ent client and SQLTx share it.
	tx, err := tenant.NewClient(tenant.Driver(begun{db.drv, &entsql.Tx{Conn: entsql.Conn{ExecQuerier: sqlTx}, Tx: sqlTx}})).BeginTx(ctx, nil)
	if err != nil {
		_ = sqlTx.Rollback()
		return nil, nil, fmt.Errorf("tenantdb: begin transaction for %q: %w", t.Slug, err)
	}
	txn := &Txn{tx: tx, sqlTx: sqlTx}
	return context.WithValue(ctx, boundKey{}, &bound{tenant: t, client: tx.Client(), txn: txn}), txn, nil
}

// AfterCommit arranges for fn to run once the tenant transaction bound to ctx
// has committed (never if it rolls back): dropping a cache whose source the
// transaction changed, for instance. Without a bound transaction fn runs now.
func AfterCommit(ctx context.Context, fn func()) {
	b, ok := ctx.Value(boundKey{}).(*bound)
	if !ok || b.txn == nil {
		fn()
		return
	}
	b.txn.afterCommit = append(b.txn.afterCommit, fn)
}

// Commit commits the transaction.
func (x *Txn) Commit() error {
	if x.done {
		return errors.New("tenantdb: transaction already finished")
	}
	x.done = true
	if err := x.tx.Commit(); err != nil {
		return err
	}
	for _, fn := range x.afterCommit {
		fn()
	}
	return nil
}

// Rollback aborts the transaction unless it has finished.
func (x *Txn) Rollback() error {
	if x.done {
		return nil
	}
	x.done = true
	return x.tx.Rollback()
}

// Tx runs fn in a read-write transaction bound to t, committing when fn returns
// nil and rolling back on error or panic. Called with a context already bound to
// the same tenant, fn joins that transaction.
func (db *DB) Tx(ctx context.Context, t *Tenant, fn func(ctx context.Context) error) error {
	return db.run(ctx, t, false, fn)
}

// ReadTx is Tx with a read-only transaction.
func (db *DB) ReadTx(ctx context.Context, t *Tenant, fn func(ctx context.Context) error) error {
	return db.run(ctx, t, true, fn)
}

func (db *DB) run(ctx context.Context, t *Tenant, readOnly bool, fn func(ctx context.Context) error) error {
	if b, ok := ctx.Value(boundKey{}).(*bound); ok {
		if b.tenant.ID != t.ID {
			return fmt.Errorf("tenantdb: context is bound to %q, not %q", b.tenant.Slug, t.Slug)
		}
		return fn(ctx)
	}
	ctx, txn, err := db.Begin(ctx, t, readOnly)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = txn.Rollback()
			panic(p)
		}
	}()
	if err := fn(ctx); err != nil {
		if rbErr := txn.Rollback(); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return txn.Commit()
}

// Unbound returns a context whose tenant client reads t's tables
// schema-qualified, as the application role, outside any transaction: no
// wall. It exists so the price of binding can be measured against it (the
// benchmark baseline) and for platform-wide tooling; request handling never
// uses it.
func (db *DB) Unbound(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, boundKey{}, &bound{tenant: t, client: db.UnboundTenantClient(t)})
}

// begun is a driver whose BeginTx returns a transaction already begun.
type begun struct {
	dialect.Driver
	tx dialect.Tx
}

func (b begun) BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error) { return b.tx, nil }
