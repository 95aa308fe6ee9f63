package marketplace_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// monitorJobs is how many import jobs each vendor of the monitoring
// benchmark has.
const monitorJobs = 10

// monitorStatuses is the mix of finished jobs: mostly succeeded, a failed
// one in ten.
var monitorStatuses = []importjob.Status{importjob.StatusSucceeded, importjob.StatusSucceeded, importjob.StatusPartiallyFailed,
	importjob.StatusSucceeded, importjob.StatusSucceeded, importjob.StatusFailed, importjob.StatusSucceeded,
	importjob.StatusSucceeded, importjob.StatusPartiallyFailed, importjob.StatusSucceeded}

// monitorAt is when job g (1..monitorJobs) of vendor i was created: one a
// day, each vendor at its own time of day.
func monitorAt(base time.Time, i, g int) time.Time {
	return base.Add(-time.Duration(g)*24*time.Hour - time.Duration(i*37%86400)*time.Second)
}

// BenchmarkImportMonitor measures the super admins' cross-vendor listing of
// import jobs (marketplace.AllJobs) at 10 and at 1,000 vendors with 10 jobs
// each, to hold the claim that it reads one table whatever the number of
// vendors. The 10 vendors' jobs are written through the real path — each in
// its shop's bound transaction, reported by the shop's trigger; the 1,000
// vendors' summary rows are inserted directly, the same rows, to build the
// fleet quickly. Each iteration asks both fleets, each query timed on its
// own, for the first page (50 jobs, every vendor), a page of 10 of one
// status (failed) and a page of 10 of one vendor: <query>-p50-ms/<n> for
// each, and <query>-ratio, the 1,000 vendors' p50 over the 10's. The two
// fleets take turns query by query, so a machine busy with something else
// slows both alike (measured one after the other, the ratio swung from 0.7
// to 1.7 between runs of a sub-millisecond query).
func BenchmarkImportMonitor(b *testing.B) {
	ctx := context.Background()
	fleets := []*monitorFleet{newMonitorFleet(b, 10), newMonitorFleet(b, 1000)}
	names := []string{"first", "status", "vendor"}
	times := make([][][]time.Duration, len(fleets)) // fleet, query
	for f := range fleets {
		times[f] = make([][]time.Duration, len(names))
	}
	for b.Loop() {
		for q := range names {
			for f, fl := range fleets {
				query := fl.queries[q]
				s := time.Now()
				p, err := fl.svc.AllJobs(ctx, query.f, page.Request{Limit: query.limit})
				times[f][q] = append(times[f][q], time.Since(s))
				if err != nil || len(p.Items) != query.limit {
					b.Fatalf("%d vendors, %+v: %d jobs (%v), want %d", fl.n, query.f, len(p.Items), err, query.limit)
				}
				if !slices.IsSortedFunc(p.Items, func(x, y marketplace.JobSummary) int { return y.CreatedAt.Compare(x.CreatedAt) }) {
					b.Fatalf("%d vendors, %+v: not newest first", fl.n, query.f)
				}
			}
		}
	}
	p50 := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1e3
	}
	for q, name := range names {
		small, large := p50(times[0][q]), p50(times[1][q])
		b.ReportMetric(small, name+"-p50-ms/10")
		b.ReportMetric(large, name+"-p50-ms/1000")
		b.ReportMetric(large/small, name+"-ratio")
	}
}

// monitorFleet is a database of n vendors with monitorJobs jobs each, and
// the listing's queries on it.
type monitorFleet struct {
	n       int
	svc     *marketplace.Service
	queries []monitorQuery
}

type monitorQuery struct {
	f     marketplace.JobFilter
	limit int
}

func newMonitorFleet(b *testing.B, n int) *monitorFleet {
	ctx := context.Background()
	start := time.Now()
	d, tenants := tenanttest.Fleet(b, fmt.Sprintf("monitor-%d", n), n, 0)
	db := tenanttest.OpenDatabase(b, d)
	raw := tenanttest.SQL(b, d)
	base := time.Now().Truncate(time.Microsecond)
	if n <= 10 {
		for i, tn := range tenants {
			err := db.Tx(ctx, tn, func(ctx context.Context) error {
				c, err := tenantdb.Current(ctx)
				if err != nil {
					return err
				}
				for g := 1; g <= monitorJobs; g++ {
					at := monitorAt(base, i, g)
					if err := c.ImportJob.Create().SetLanguages([]schema.LanguageRun{}).SetStatus(monitorStatuses[(i+g)%len(monitorStatuses)]).
						SetRows(1000).SetCreated(10).SetUpdated(5).SetCreatedAt(at).SetStartedAt(at).SetFinishedAt(at.Add(time.Minute)).
						Exec(ctx); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	} else {
		var roles, ats, statuses []string
		var jobs []int64
		for i, tn := range tenants {
			for g := 1; g <= monitorJobs; g++ {
				roles, jobs = append(roles, tn.Role), append(jobs, int64(g))
				ats = append(ats, monitorAt(base, i, g).Format(time.RFC3339Nano))
				statuses = append(statuses, string(monitorStatuses[(i+g)%len(monitorStatuses)]))
			}
		}
		if _, err := raw.ExecContext(ctx, `INSERT INTO tenant_reports.import_jobs
				(db_role, job_id, status, trigger, rows, created, updated, created_at, started_at, finished_at)
			SELECT r, j, s, 'manual', 1000, 10, 5, a, a, a + interval '1 minute'
			FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[]) AS u(r, j, s, a)`,
			pq.Array(roles), pq.Array(jobs), pq.Array(statuses), pq.Array(ats)); err != nil {
			b.Fatal(err)
		}
	}
	// Statistics, as autovacuum would soon give them.
	if _, err := raw.ExecContext(ctx, `ANALYZE tenant_reports.import_jobs; ANALYZE platform.vendors`); err != nil {
		b.Fatal(err)
	}
	var rows int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM tenant_reports.import_jobs`).Scan(&rows); err != nil || rows != n*monitorJobs {
		b.Fatalf("%d summary rows (%v), want %d", rows, err, n*monitorJobs)
	}
	b.Logf("%d vendors with %d jobs each ready in %s", n, monitorJobs, time.Since(start).Round(time.Millisecond))

	// Each query returns as many jobs at 10 vendors as at 1,000 (a page of
	// the default 50; the filtered ones 10: one failed job per vendor, ten
	// jobs per vendor), so the fleets do the same work but for finding it.
	return &monitorFleet{n: n, svc: marketplace.New(db, marketplace.Options{}, nil, nil), queries: []monitorQuery{
		{marketplace.JobFilter{}, marketplace.MonitorLimits.Default},
		{marketplace.JobFilter{Status: marketplace.StatusFailed}, 10},
		{marketplace.JobFilter{VendorID: tenants[len(tenants)/2].ID}, 10},
	}}
}
