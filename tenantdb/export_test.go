package tenantdb

import (
	"context"
	"database/sql"
)

// SetFaultHook makes Provision call f after each step; an error from f aborts
// provisioning there, as a crash would.
func SetFaultHook(db *DB, f func(step string) error) { db.faultHook = f }

// ProvisionSteps are the step names Provision passes to the fault hook.
var ProvisionSteps = []string{"lock", "register", "orphan", "schema", "role", "grants", "migrate", "notify"}

// RetiredConns counts the pooled connections retired, on every cluster, for
// having been bound to more than Options.MaxTenantsPerConn tenants.
func RetiredConns(db *DB) int64 {
	var n int64
	for _, c := range db.clusters {
		n += c.conns.retired.Load()
	}
	return n
}

// LaneInUse counts the transactions begun and not finished on t's home lane.
func LaneInUse(db *DB, t *Tenant) int {
	c, err := db.clusterOf(t)
	if err != nil || len(c.lanes) == 0 {
		return 0
	}
	return int(c.lanes[t.bind.lane].inUse.Load())
}

// Pool exposes the shared pool, to inspect connections after use.
func Pool(db *DB) *sql.DB { return db.pool }

// HandMadeBinding returns ctx carrying a client of t's schema-qualified
// tables with neither a transaction nor Unbound's leave: what Unbound made
// before it needed AllowUnbound. Current must refuse it.
func HandMadeBinding(ctx context.Context, db *DB, t *Tenant) context.Context {
	return context.WithValue(ctx, boundKey{}, &bound{tenant: t, client: db.unboundClient(t)})
}

// SchemaExists reports whether the named cluster holds schema.
func SchemaExists(ctx context.Context, db *DB, cluster, schema string) (bool, error) {
	c, err := db.cluster(cluster)
	if err != nil {
		return false, err
	}
	var ok bool
	err = c.pool.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&ok)
	return ok, err
}

// SchemasLike counts the named cluster's schemas whose name is LIKE pattern.
func SchemasLike(ctx context.Context, db *DB, cluster, pattern string) (int, error) {
	c, err := db.cluster(cluster)
	if err != nil {
		return 0, err
	}
	var n int
	err = c.pool.QueryRowContext(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE $1`, pattern).Scan(&n)
	return n, err
}
