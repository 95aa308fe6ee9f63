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

// ErrNotBound is returned by Current and CurrentTenant when no tenant
// transaction is bound: tenant code fails closed rather than falling back to
// any default schema.
var ErrNotBound = errors.New("tenantdb: no tenant transaction bound to the context")

// ErrOtherTenant is returned (wrapped, naming both) for work asked of one
// tenant on a context bound to another.
var ErrOtherTenant = errors.New("tenantdb: the context is bound to another tenant")

type boundKey struct{}

type bound struct {
	tenant  *Tenant
	client  *tenant.Client
	txn     *Txn // nil for Unbound contexts
	unbound bool // made by Unbound of a DB opened with AllowUnbound
}

// current is the binding of ctx: a bound transaction's, or an Unbound
// context's that a DB allowed to make. Anything else — no binding, or a
// binding that is neither — is ErrNotBound, so a client that is not a bound
// transaction's can never pass for one.
func current(ctx context.Context) (*bound, error) {
	b, ok := ctx.Value(boundKey{}).(*bound)
	if !ok || (b.txn == nil && !b.unbound) {
		return nil, ErrNotBound
	}
	return b, nil
}

// Current returns the client of the tenant transaction bound to ctx, and
// ErrNotBound without one: it is how every service reaches tenant data, and
// it fails closed rather than falling back to any default schema.
func Current(ctx context.Context) (*tenant.Client, error) {
	b, err := current(ctx)
	if err != nil {
		return nil, err
	}
	return b.client, nil
}

// CurrentTenant returns the tenant whose transaction is bound to ctx, and
// ErrNotBound without one: a service running in the request's transaction
// learns its tenant here, never from an argument.
func CurrentTenant(ctx context.Context) (*Tenant, error) {
	b, err := current(ctx)
	if err != nil {
		return nil, err
	}
	return b.tenant, nil
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
	lane        *lane // given back when the transaction ends (lanes.go)
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
	c, err := db.clusterOf(t)
	if err != nil {
		return nil, nil, err
	}
	// The binding rides only on the context given to BeginTx, never on the
	// context handed back, so platform work done later with that context is
	// not bound by accident.
	sqlTx, lane, err := c.begin(context.WithValue(ctx, bindingKey{}, t.bind), t.bind.lane, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return nil, nil, fmt.Errorf("tenantdb: begin transaction for %q: %w", t.Slug, err)
	}
	// ent starts its transactions through the driver; hand it the one just
	// begun so the ent client and SQLTx share it.
	tx, err := tenant.NewClient(tenant.Driver(begun{db.drv, &entsql.Tx{Conn: entsql.Conn{ExecQuerier: sqlTx}, Tx: sqlTx}})).BeginTx(ctx, nil)
	if err != nil {
		_ = sqlTx.Rollback()
		lane.done()
		return nil, nil, fmt.Errorf("tenantdb: begin transaction for %q: %w", t.Slug, err)
	}
	txn := &Txn{tx: tx, sqlTx: sqlTx, lane: lane}
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
	err := x.tx.Commit()
	x.lane.done()
	if err != nil {
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
	defer x.lane.done()
	return x.tx.Rollback()
}

// Tx runs fn in a read-write transaction bound to t, committing when fn returns
// nil and rolling back on error or panic. Called with a context already bound to
// the same tenant, fn joins that transaction; bound to another tenant, it is
// refused.
func (db *DB) Tx(ctx context.Context, t *Tenant, fn func(ctx context.Context) error) error {
	return db.run(ctx, t, false, fn)
}

// CheckTenant refuses work for t on a context bound to another tenant. A
// method that takes an explicit tenant because it opens transactions of its
// own calls it before doing anything for t; Tx and ReadTx call it first.
func CheckTenant(ctx context.Context, t *Tenant) error {
	b, ok := ctx.Value(boundKey{}).(*bound)
	switch {
	case !ok:
		return nil
	case t == nil:
		return errors.New("tenantdb: no tenant given")
	case b.tenant.ID != t.ID:
		return fmt.Errorf("%w: %q, not %q", ErrOtherTenant, b.tenant.Slug, t.Slug)
	}
	return nil
}

// ReadTx is Tx with a read-only transaction.
func (db *DB) ReadTx(ctx context.Context, t *Tenant, fn func(ctx context.Context) error) error {
	return db.run(ctx, t, true, fn)
}

func (db *DB) run(ctx context.Context, t *Tenant, readOnly bool, fn func(ctx context.Context) error) error {
	if err := CheckTenant(ctx, t); err != nil {
		return err
	}
	if _, err := current(ctx); err == nil {
		return fn(ctx) // joins the transaction bound to ctx
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

// errUnbound refuses Unbound to a DB opened without AllowUnbound.
var errUnbound = errors.New("tenantdb: unbound tenant access is for benchmarks only (Options.AllowUnbound)")

// Unbound returns a context whose tenant client reads t's tables
// schema-qualified, as the application role, outside any transaction: no
// wall. It exists so the price of binding can be measured against it (the
// benchmark baseline), and only a DB opened with Options.AllowUnbound makes
// one; any other refuses and hands back ctx as it was, so a caller that
// ignores the error gets no unbound client either.
func (db *DB) Unbound(ctx context.Context, t *Tenant) (context.Context, error) {
	if !db.opts.AllowUnbound {
		return ctx, errUnbound
	}
	return context.WithValue(ctx, boundKey{}, &bound{tenant: t, client: db.unboundClient(t), unbound: true}), nil
}

// unboundClient reads t's tables schema-qualified, as the application role.
func (db *DB) unboundClient(t *Tenant) *tenant.Client {
	return tenant.NewClient(tenant.Driver(db.drv), tenant.AlternateSchema(TenantSchemaConfig(t.Schema)))
}

// begun is a driver whose BeginTx returns a transaction already begun.
type begun struct {
	dialect.Driver
	tx dialect.Tx
}

func (b begun) BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error) { return b.tx, nil }
