package tenantdb_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// BenchmarkTenantMemory measures what PostgreSQL's backends hold as the
// number of tenants grows: 32 clients each run shop requests (a bound
// read transaction listing 20 products with ent, counting the shop's
// products and reading a cart with its lines) for random tenants among
// 1,000, 5,000 and 10,000, over the default pool of 40 connections, for
// a fixed time (BAZAAR_BENCH_MEMORY_SECONDS, default 40). At the end it
// sums the proportional set size (PSS, /proc/<pid>/smaps_rollup) of the
// pool's backends, and reports it with the throughput:
//
//   - unbounded: connections live their lifetime (30 minutes by default),
//     caching every tenant they touch;
//   - max-tenants=N: a connection is retired once bound to more than N
//     tenants (database.max_tenants_per_conn).
//
// The 10,000-tenant fleet takes several minutes to build. Reading another
// user's /proc needs root or the cluster's own user (scripts/devdb runs
// the cluster as the caller, or as postgres when that is root).
//
// Run: BAZAAR_DEVDB_CLUSTERS=1 scripts/with-db go test ./tenantdb -run '^$' -bench '^BenchmarkTenantMemory$' -benchtime 1x -timeout 60m
func BenchmarkTenantMemory(b *testing.B) {
	seconds := 40
	if s := os.Getenv("BAZAAR_BENCH_MEMORY_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("BAZAAR_BENCH_MEMORY_SECONDS=%q: want a number of seconds", s)
		}
		seconds = n
	}
	sizes := []int{1000, 5000, 10000}
	if s := os.Getenv("BAZAAR_BENCH_MEMORY_TENANTS"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				b.Fatalf("BAZAAR_BENCH_MEMORY_TENANTS=%q: want numbers, comma-separated", s)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		d, _ := tenanttest.Fleet(b, fmt.Sprintf("mem%d", n), n, 20)
		for _, m := range memoryModes {
			b.Run(fmt.Sprintf("tenants=%d/%s", n, m.name()), func(b *testing.B) {
				memoryRun(b, d, m, time.Duration(seconds)*time.Second)
			})
		}
	}
}

// memoryMode is a pool configuration BenchmarkTenantMemory compares.
type memoryMode struct {
	maxTenants       int // Options.MaxTenantsPerConn
	lanes, laneConns int // Options.TenantLanes, LaneConns
}

func (m memoryMode) name() string {
	var parts []string
	if m.lanes > 0 {
		parts = append(parts, fmt.Sprintf("lanes=%dx%d", m.lanes, m.laneConns))
	}
	if m.maxTenants > 0 {
		parts = append(parts, fmt.Sprintf("max-tenants=%d", m.maxTenants))
	}
	if parts == nil {
		return "unbounded"
	}
	return strings.Join(parts, ",")
}

var memoryModes = []memoryMode{
	{},                // one pool of 40, connections live 30 minutes
	{maxTenants: 200}, // the same, retired after 200 tenants
	{maxTenants: 200, lanes: 10, laneConns: 4}, // the configuration's defaults
}

func memoryRun(b *testing.B, d *tenanttest.Database, m memoryMode, run time.Duration) {
	ctx := context.Background()
	app := "bazaar memory " + m.name()
	db := tenanttest.OpenDatabase(b, d, func(o *tenantdb.Options) {
		o.MaxOpenConns, o.MaxIdleConns = 40, 40 // the configuration's defaults
		o.MaxTenantsPerConn = m.maxTenants
		o.TenantLanes, o.LaneConns = m.lanes, m.laneConns
		o.ApplicationName = app
	})
	tenants, err := db.Tenants(ctx) // this DB's: a tenant's lane is its DB's
	if err != nil {
		b.Fatal(err)
	}
	request := func(t *tenantdb.Tenant) error {
		return db.ReadTx(ctx, t, func(ctx context.Context) error {
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			ps, err := c.Product.Query().Limit(20).All(ctx)
			if err != nil {
				return err
			}
			if len(ps) != 20 {
				return fmt.Errorf("%d products", len(ps))
			}
			var count int
			if err := queryRow(ctx, c, `SELECT count(*) FROM products WHERE status = 'active'`, &count); err != nil {
				return err
			}
			rows, err := c.QueryContext(ctx, `SELECT c.id, l.id, l.quantity FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id WHERE c.id = $1`, 1)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			rows.Close()
			return rows.Err()
		})
	}
	var requests atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(run)
	b.ResetTimer()
	for range 32 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := request(tenants[rand.IntN(len(tenants))]); err != nil {
					b.Error(err)
					return
				}
				requests.Add(1)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	pss, backends := backendsPSS(b, tenanttest.SQL(b, d), d.Name, app)
	b.ReportMetric(float64(requests.Load())/run.Seconds(), "req/s")
	if backends > 0 {
		b.ReportMetric(pss, "pss-MB")
		b.ReportMetric(pss/float64(backends), "pss-MB/backend")
	}
	b.ReportMetric(float64(backends), "backends")
	b.ReportMetric(float64(tenantdb.RetiredConns(db)), "retired")
}

// queryRow scans one row of one value.
func queryRow(ctx context.Context, c interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, dst any) error {
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		return fmt.Errorf("no row: %s", q)
	}
	return rows.Scan(dst)
}

// backendsPSS sums the PSS, in MB, of the backends connected to the
// database with the application name, and counts them. Unreadable /proc
// entries (another user's, without root) are logged and left out.
func backendsPSS(b *testing.B, db *sql.DB, dbName, app string) (mb float64, n int) {
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`, dbName, app)
	if err != nil {
		b.Fatal(err)
	}
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		pids = append(pids, pid)
	}
	rows.Close()
	var kb int64
	for _, pid := range pids {
		v, err := pssKB(pid)
		if err != nil {
			b.Logf("backend %d: %v (PSS not counted)", pid, err)
			continue
		}
		kb += v
		n++
	}
	return float64(kb) / 1024, n
}

func pssKB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no Pss line in smaps_rollup")
}
