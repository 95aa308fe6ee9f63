package tenantdb

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/bazaar/bazaar/internal/fault"
)

// Several clusters. The platform schema lives on the main cluster (database.url,
// named DefaultCluster); Options.Clusters names more PostgreSQL clusters that
// hold tenant schemas. The registry row of each vendor says which cluster
// holds its schema, and a tenant transaction is begun on that cluster's pool;
// everything else (resolution, identity, the outbox, the queue) stays on the
// main cluster.
//
// Every cluster carries the platform migrations, so that each has the
// tenant_reports schema its tenants' triggers write into; on a cluster other
// than main the platform's own tables stay empty. What a tenant reports on
// another cluster is forwarded to the main one (ForwardReports).

// DefaultCluster names the PostgreSQL cluster of database.url, which holds
// the platform schema and, until others are configured, every tenant.
const DefaultCluster = "main"

// clusterNameRE is what a cluster's name must match: it is stored in the
// registry and typed on the command line.
var clusterNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// ValidateClusterName checks a cluster name.
func ValidateClusterName(name string) error {
	if !clusterNameRE.MatchString(name) {
		return fmt.Errorf("cluster name %q: use lower-case letters, digits, '-' and '_', starting with a letter", name)
	}
	return nil
}

// cluster is one PostgreSQL cluster and this process's pool on it.
type cluster struct {
	name  string
	url   string
	pool  *sql.DB
	conns *connector // the pool's, which counts the connections it retired
	lanes []*lane    // tenant transactions' pools, when Options.TenantLanes > 0
}

// openClusters opens a pool on each extra cluster, with the main pool's
// settings. Their URLs lead to PostgreSQL itself (or session-mode pools):
// their pools serve session work too. A cluster that does not answer is logged, not fatal: the
// tenants of the others serve.
func (db *DB) openClusters(ctx context.Context) error {
	// The main cluster's url is where the DBA's connections go (COPY streams
	// and session locks): PostgreSQL itself even when the pool's URL is a
	// transaction pooler (Options.SessionURL).
	db.clusters = map[string]*cluster{DefaultCluster: {name: DefaultCluster, url: db.sessionURL(), pool: db.pool, conns: db.conns,
		lanes: db.openLanes(db.conns)}}
	names := make([]string, 0, len(db.opts.Clusters))
	for name := range db.opts.Clusters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := ValidateClusterName(name); err != nil {
			return err
		}
		if name == DefaultCluster {
			return fmt.Errorf("cluster name %q is the main cluster's (database.url)", name)
		}
		u := db.opts.Clusters[name]
		dsn, err := withSessionSettings(u, db.opts.ApplicationName, db.opts.StatementTimeout)
		if err != nil {
			return fmt.Errorf("cluster %s: %w", name, err)
		}
		c, err := newConnector(dsn, db.opts.MaxTenantsPerConn)
		if err != nil {
			return fmt.Errorf("cluster %s: database URL: %w", name, err)
		}
		pool := sql.OpenDB(c)
		pool.SetMaxOpenConns(db.opts.MaxOpenConns)
		pool.SetMaxIdleConns(db.opts.MaxIdleConns)
		pool.SetConnMaxLifetime(db.opts.ConnMaxLifetime)
		pool.SetConnMaxIdleTime(db.opts.ConnMaxIdleTime)
		if err := pool.PingContext(ctx); err != nil {
			db.log.WarnContext(ctx, "a database cluster does not answer; its tenants will not serve until it does", "cluster", name, "err", err)
		}
		db.clusters[name] = &cluster{name: name, url: u, pool: pool, conns: c, lanes: db.openLanes(c)}
	}
	return nil
}

// Clusters names the clusters this DB knows, main first.
func (db *DB) Clusters() []string {
	out := []string{DefaultCluster}
	for name := range db.clusters {
		if name != DefaultCluster {
			out = append(out, name)
		}
	}
	slices.Sort(out[1:])
	return out
}

// cluster returns the named cluster, or a NotFound naming the known ones.
func (db *DB) cluster(name string) (*cluster, error) {
	if name == "" {
		name = DefaultCluster
	}
	c, ok := db.clusters[name]
	if !ok {
		return nil, fault.New(fault.NotFound, "no cluster %q in this configuration (database.clusters names: %s)", name, strings.Join(db.Clusters(), ", "))
	}
	return c, nil
}

// clusterOf is the cluster of t's schema.
func (db *DB) clusterOf(t *Tenant) (*cluster, error) {
	c, err := db.cluster(t.Cluster)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: tenant %q lives on cluster %q, which this instance does not know: %w", t.Slug, t.Cluster, err)
	}
	return c, nil
}

// ClusterLoad is how many tenants each known cluster holds.
func (db *DB) ClusterLoad(ctx context.Context) (map[string]int, error) {
	load := map[string]int{}
	for _, name := range db.Clusters() {
		load[name] = 0
	}
	rows, err := db.pool.QueryContext(ctx, `SELECT cluster, count(*) FROM `+quoteIdent(PlatformSchema)+`.vendors GROUP BY cluster`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		load[name] = n
	}
	return load, rows.Err()
}

// placement picks the cluster of a new tenant: the one asked for, else
// Options.Placement, else the known cluster holding the fewest tenants.
func (db *DB) placement(ctx context.Context, asked string) (*cluster, error) {
	if asked == "" {
		asked = db.opts.Placement
	}
	if asked != "" {
		return db.cluster(asked)
	}
	if len(db.clusters) == 1 {
		return db.clusters[DefaultCluster], nil
	}
	load, err := db.ClusterLoad(ctx)
	if err != nil {
		return nil, err
	}
	best := DefaultCluster
	for _, name := range db.Clusters() {
		if load[name] < load[best] {
			best = name
		}
	}
	return db.clusters[best], nil
}

// closeClusters closes the extra clusters' pools.
func (db *DB) closeClusters() {
	for name, c := range db.clusters {
		if name != DefaultCluster {
			_ = c.pool.Close()
		}
		for _, l := range c.lanes {
			_ = l.pool.Close()
		}
	}
}

// openLanes opens a cluster's lanes as configured (none by default).
func (db *DB) openLanes(c *connector) []*lane {
	if db.opts.TenantLanes <= 0 {
		return nil
	}
	return openLanes(c, db.opts.TenantLanes, max(db.opts.LaneConns, 1), db.opts)
}
