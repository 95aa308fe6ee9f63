package system

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/queue"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// BenchmarkSystem measures the super admins' health report and analytics at
// 10 and at 1,000 vendors — real tenants (tenanttest.Fleet: their schemas
// are what the database's size is measured over), with a year of history
// inserted directly: three users and ten import summaries per vendor spread
// over the last 365 days, each shop's product count, some mail and queue
// jobs — and the daily rollups of that year (the first rollup backfills
// them). Each iteration asks both fleets, each query timed on its own, for
// the health report, the analytics of the default 30 days and of 366 days:
// <query>-p50-ms/<n>, and <query>-ratio, the 1,000 vendors' p50 over the
// 10's. The fleets take turns query by query, so other load on the machine
// slows both alike. The rollup's first run (a year backfilled), an hourly
// run and a measure of the database's size (which the report caches) are
// timed once per fleet.
func BenchmarkSystem(b *testing.B) {
	ctx := context.Background()
	fleets := []*systemFleet{newSystemFleet(b, 10), newSystemFleet(b, 1000)}
	names := []string{"health", "analytics30", "analytics366"}
	times := make([][][]time.Duration, len(fleets))
	for f := range fleets {
		times[f] = make([][]time.Duration, len(names))
	}
	for b.Loop() {
		for q, name := range names {
			for f, fl := range fleets {
				s := time.Now()
				switch name {
				case "health":
					h := fl.svc.Health(ctx)
					times[f][q] = append(times[f][q], time.Since(s))
					if h.Tenants.Total != fl.n || h.Database.Status != OK || h.Queue.Totals.Available != 5 {
						b.Fatalf("%d vendors: health %+v", fl.n, h)
					}
				default:
					from := time.Now().UTC().AddDate(0, 0, -29).Format(time.DateOnly)
					days := 30
					if name == "analytics366" {
						from, days = time.Now().UTC().AddDate(0, 0, -365).Format(time.DateOnly), 366
					}
					a, err := fl.svc.Analytics(ctx, from, "")
					times[f][q] = append(times[f][q], time.Since(s))
					if err != nil || len(a.Days) != days || a.Vendors.Total != fl.n || a.Totals.Signups == 0 {
						b.Fatalf("%d vendors: analytics %+v, %v", fl.n, a.Totals, err)
					}
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
	for _, fl := range fleets {
		b.ReportMetric(fl.backfill.Seconds()*1e3, fmt.Sprintf("rollup-backfill-ms/%d", fl.n))
		b.ReportMetric(fl.hourly.Seconds()*1e3, fmt.Sprintf("rollup-hourly-ms/%d", fl.n))
		b.ReportMetric(fl.size.Seconds()*1e3, fmt.Sprintf("db-size-ms/%d", fl.n))
	}
}

// systemFleet is a database of n vendors with a year of history, and the
// service over it.
type systemFleet struct {
	n                      int
	svc                    *Service
	backfill, hourly, size time.Duration
}

func newSystemFleet(b *testing.B, n int) *systemFleet {
	ctx := context.Background()
	start := time.Now()
	d, _ := tenanttest.Fleet(b, fmt.Sprintf("system-%d", n), n, 0)
	db := tenanttest.OpenDatabase(b, d)
	raw := tenanttest.SQL(b, d)
	pool, err := db.OpenSidePool(ctx, "queue", 2)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if err := queue.Migrate(ctx, pool, "river"); err != nil {
		b.Fatal(err)
	}
	// A year of history, spread over the days: vendors, their users, their
	// import jobs (a failed one in ten), products; mail and queue jobs.
	for _, q := range []string{
		`UPDATE platform.vendors SET created_at = now() - (id % 365) * interval '1 day'`,
		`INSERT INTO platform.users (email, password_hash, tokens_valid_after, created_at, updated_at)
			SELECT 'user' || g || '@fleet.test', 'x', now(), now() - (g % 365) * interval '1 day' - (g % 24) * interval '1 hour', now()
			FROM generate_series(1, 3 * (SELECT count(*) FROM platform.vendors)) g`,
		`INSERT INTO platform.users (email, password_hash, tokens_valid_after, created_at, updated_at)
			VALUES ('first@fleet.test', 'x', now(), now() - interval '400 days', now())`, // the platform is older than a year
		`INSERT INTO tenant_reports.import_jobs (db_role, job_id, status, trigger, rows, created_at, started_at, finished_at)
			SELECT v.db_role, g, CASE WHEN (v.id + g) % 10 = 0 THEN 'failed' ELSE 'succeeded' END, 'scheduled', 1000,
				a, a, a + interval '10 minutes'
			FROM platform.vendors v, generate_series(1, 10) g,
				LATERAL (SELECT now() - ((v.id * 37 + g * 36) % 365) * interval '1 day' AS a) t`,
		`UPDATE tenant_reports.vendor_figures f SET products = 100 + v.id FROM platform.vendors v WHERE v.db_role = f.db_role`,
		`INSERT INTO platform.outbox_mails (kind, "to", subject, body, attempts, next_attempt_at, sent_at, last_error, created_at)
			SELECT 'invitation', 'm' || g || '@fleet.test', 'Join', 'A link', 0, now(),
				CASE WHEN g > 5 THEN now() - g * interval '1 minute' END, '', now() - g * interval '1 minute'
			FROM generate_series(1, 100) g`,
		`INSERT INTO river.river_job (state, attempt, max_attempts, attempted_at, finalized_at, scheduled_at, args, kind)
			SELECT 'completed', 1, 5, now(), now(), now() - g * interval '1 second', '{}', 'marketplace_import'
			FROM generate_series(1, 1000) g`,
		`INSERT INTO river.river_job (state, attempt, max_attempts, scheduled_at, args, kind)
			SELECT 'available', 0, 5, now(), '{}', 'marketplace_import' FROM generate_series(1, 5)`,
		`ANALYZE platform.vendors; ANALYZE platform.users; ANALYZE platform.outbox_mails; ANALYZE tenant_reports.import_jobs;
			ANALYZE tenant_reports.vendor_figures; ANALYZE river.river_job`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	fl := &systemFleet{n: n, svc: New(db, Options{QueueSchema: "river"}, nil)}
	s := time.Now()
	rep, err := fl.svc.Rollup(ctx, time.Now())
	fl.backfill = time.Since(s)
	if err != nil || rep.Backfilled != 365 {
		b.Fatalf("first rollup: %+v, %v", rep, err)
	}
	s = time.Now()
	if _, err := fl.svc.Rollup(ctx, time.Now()); err != nil {
		b.Fatal(err)
	}
	fl.hourly = time.Since(s)
	if _, err := raw.ExecContext(ctx, `ANALYZE platform.platform_daily_figures`); err != nil {
		b.Fatal(err)
	}
	// What the report's first call pays, and a background one every
	// sizeEvery: pg_database_size over every tenant's files.
	s = time.Now()
	if _, err := fl.svc.measureSize(ctx); err != nil {
		b.Fatal(err)
	}
	fl.size = time.Since(s)
	b.Logf("%d vendors with a year of history ready in %s", n, time.Since(start).Round(time.Millisecond))
	return fl
}
