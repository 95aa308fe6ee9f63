package tenantdb

import (
	"context"
	"database/sql"
	"hash/fnv"
	"sync/atomic"
)

// Lanes steer each tenant's transactions to a few connections of its own.
//
// A backend caches the catalogue entries of every tenant schema it touches
// (connector.go); served from one shared pool, random traffic over T tenants
// makes every backend cache all T, and a request whose tenant this backend
// has not cached pays for reading its tables' definitions from the
// catalogue. With lanes the cluster's tenant transactions go through
// Options.TenantLanes small pools (lanes) of Options.LaneConns connections
// each, and a tenant's home lane is fixed by a hash of its schema name: each
// backend sees about T / lanes tenants, so its cache stays warm with less
// memory, and MaxTenantsPerConn (which retires a connection after that many
// tenants) rarely has to act below T = lanes × MaxTenantsPerConn.
//
// A busy tenant is not confined to its lane: when the home lane has as many
// transactions waiting for a connection as it has connections, the
// transaction spills to the next lane that has not, so one shop's burst
// uses the whole pool as it did before. (Spilling as soon as the home lane
// is merely full was measured to defeat the affinity: under even random
// load every lane is often full for an instant.) Platform work (sessions,
// the registry) stays on the cluster's main pool.
type lane struct {
	pool  *sql.DB
	inUse atomic.Int32 // transactions begun on it and not finished
	size  int32
}

// openLanes opens n lanes of size connections each on c.
func openLanes(c *connector, n, size int, o Options) []*lane {
	lanes := make([]*lane, n)
	for i := range lanes {
		p := sql.OpenDB(c)
		p.SetMaxOpenConns(size)
		p.SetMaxIdleConns(size)
		p.SetConnMaxLifetime(o.ConnMaxLifetime)
		p.SetConnMaxIdleTime(o.ConnMaxIdleTime)
		lanes[i] = &lane{pool: p, size: int32(size)}
	}
	return lanes
}

// laneOf is a schema's home lane among n.
func laneOf(schema string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(schema))
	return int(h.Sum32() % uint32(n))
}

// begin opens a transaction for a tenant whose home lane is home: there,
// or on the next lane with a short queue when home's is long (counting what
// this process has begun, a heuristic: a race costs one wait, never
// correctness). The lane it took (nil without lanes) must be given back
// with done once the transaction ends.
func (c *cluster) begin(ctx context.Context, home int, opts *sql.TxOptions) (*sql.Tx, *lane, error) {
	if len(c.lanes) == 0 {
		tx, err := c.pool.BeginTx(ctx, opts)
		return tx, nil, err
	}
	home %= len(c.lanes) // a Tenant made by a DB with more lanes still has a home here
	l := c.lanes[home]
	for i := range len(c.lanes) {
		cand := c.lanes[(home+i)%len(c.lanes)]
		if cand.inUse.Load() < 2*cand.size {
			l = cand
			break
		}
	}
	l.inUse.Add(1)
	tx, err := l.pool.BeginTx(ctx, opts)
	if err != nil {
		l.done()
		return nil, nil, err
	}
	return tx, l, nil
}

// done gives back a lane a transaction took; nil (no lanes) is a no-op.
func (l *lane) done() {
	if l != nil {
		l.inUse.Add(-1)
	}
}

// pools are the cluster's pools: the main one, then its lanes.
func (c *cluster) pools() []*sql.DB {
	out := []*sql.DB{c.pool}
	for _, l := range c.lanes {
		out = append(out, l.pool)
	}
	return out
}
