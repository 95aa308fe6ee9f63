package system

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/riverqueue/river"
)

// The daily figures. A periodic queue job (every Options.RollupEvery, an
// hour by default, and when an instance starts) rolls the platform-side
// tables up into one row per UTC day of platform_daily_figures, which the
// analytics read. Each run, in one transaction:
//
//  1. backfills the days of the last 366 that have no row, from the day of
//     the platform's first user or vendor: their counts only (a product
//     total cannot be derived after the fact, so it stays null);
//  2. on the first run after midnight — yesterday's row last written
//     before today began — counts yesterday again, whole, keeping the
//     product total its last run of the day took;
//  3. upserts today's row: the counts so far and the product total now.
//
// Every step is an upsert computed from the tables as they are, so a run
// repeated, or two instances' runs, write the same rows. Counts come from
// the timestamps of the platform's users and vendors and of the import
// summaries the vendors' schemas report (tenant_reports), dry runs aside;
// a vendor deleted since takes its vendor and imports out of days counted
// afterwards, never out of a row already written.

// backfillDays is how far back a run fills missing days: the analytics'
// longest range.
const backfillDays = maxRangeDays

// RollupReport says what a run wrote.
type RollupReport struct {
	Backfilled int  // days without a row given their counts
	Yesterday  bool // yesterday counted again (the first run after midnight)
	Products   int64
}

// Rollup rolls the figures up as of now (see above).
func (s *Service) Rollup(ctx context.Context, now time.Time) (RollupReport, error) {
	var rep RollupReport
	today := dayOf(now)
	yesterday := today.AddDate(0, 0, -1)
	tx, err := s.db.Platform().Tx(ctx)
	if err != nil {
		return rep, fmt.Errorf("system: rollup: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	// 1. Missing days, from the platform's first record on.
	rows, err := tx.QueryContext(ctx, `WITH first AS (SELECT (least((SELECT min(created_at) FROM `+usersTable+`),
			(SELECT min(created_at) FROM `+vendorsTable+`)) AT TIME ZONE 'UTC')::date AS day)
		SELECT d::date::text FROM first, generate_series(greatest($1::date, first.day), $2::date, interval '1 day') d
		WHERE first.day IS NOT NULL AND NOT EXISTS (SELECT FROM `+dailyTable+` f WHERE f.day = d::date) ORDER BY 1`,
		dateString(today.AddDate(0, 0, -backfillDays+1)), dateString(yesterday))
	if err != nil {
		return rep, fmt.Errorf("system: rollup: %w", err)
	}
	var missing []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return rep, fmt.Errorf("system: rollup: %w", err)
		}
		missing = append(missing, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("system: rollup: %w", err)
	}
	if len(missing) > 0 {
		if _, err := tx.ExecContext(ctx, countsUpsert+`NOTHING`, pq.Array(missing), nil, nil, now); err != nil {
			return rep, fmt.Errorf("system: rollup: backfill: %w", err)
		}
		rep.Backfilled = len(missing)
	}

	// 2. Yesterday, once after midnight.
	var written sql.NullTime
	rows, err = tx.QueryContext(ctx, `SELECT updated_at FROM `+dailyTable+` WHERE day = $1::date`, dateString(yesterday))
	if err != nil {
		return rep, fmt.Errorf("system: rollup: %w", err)
	}
	if rows.Next() {
		err = rows.Scan(&written)
	}
	rows.Close()
	if err != nil {
		return rep, fmt.Errorf("system: rollup: %w", err)
	}
	if written.Valid && written.Time.Before(today) {
		if _, err := tx.ExecContext(ctx, countsUpsert+countsUpdate, pq.Array([]string{dateString(yesterday)}), nil, nil, now); err != nil {
			return rep, fmt.Errorf("system: rollup: yesterday: %w", err)
		}
		rep.Yesterday = true
	}

	// 3. Today, with the product total now: every vendor's (suspended ones
	// keep theirs), a spare's placeholder count aside.
	rows, err = tx.QueryContext(ctx, `SELECT coalesce(sum(f.products), 0)::bigint FROM `+figuresTable+` f JOIN `+vendorsTable+` v ON v.db_role = f.db_role`)
	if err != nil {
		return rep, fmt.Errorf("system: rollup: %w", err)
	}
	if rows.Next() {
		err = rows.Scan(&rep.Products)
	}
	rows.Close()
	if err != nil {
		return rep, fmt.Errorf("system: rollup: %w", err)
	}
	if _, err := tx.ExecContext(ctx, countsUpsert+countsUpdate, pq.Array([]string{dateString(today)}), rep.Products, now, now); err != nil {
		return rep, fmt.Errorf("system: rollup: today: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return rep, fmt.Errorf("system: rollup: %w", err)
	}
	return rep, nil
}

// countsUpsert writes the rows of the days $1 (date[]): each day's counts
// from the platform-side tables, the product total $2 taken at $3 (null for
// days other than today), updated at $4. It ends with the ON CONFLICT
// action: NOTHING, or countsUpdate. The sources are read once for the
// whole span of the days, each grouped by day.
var countsUpsert = `WITH days AS (SELECT DISTINCT unnest($1::date[]) AS day),
	span AS (SELECT min(day)::timestamp AT TIME ZONE 'UTC' AS lo, (max(day) + 1)::timestamp AT TIME ZONE 'UTC' AS hi FROM days),
	u AS (SELECT (x.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM ` + usersTable + ` x, span
		WHERE x.created_at >= span.lo AND x.created_at < span.hi GROUP BY 1),
	v AS (SELECT (x.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM ` + vendorsTable + ` x, span
		WHERE x.created_at >= span.lo AND x.created_at < span.hi GROUP BY 1),
	st AS (SELECT (j.started_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
		FROM ` + jobsTable + ` j JOIN ` + vendorsTable + ` r ON r.db_role = j.db_role, span
		WHERE NOT j.dry_run AND j.started_at >= span.lo AND j.started_at < span.hi GROUP BY 1),
	fin AS (SELECT (j.finished_at AT TIME ZONE 'UTC')::date AS day,
			count(*) FILTER (WHERE j.status = 'succeeded') AS succeeded,
			count(*) FILTER (WHERE j.status = 'partially_failed') AS partially_failed,
			count(*) FILTER (WHERE j.status = 'failed') AS failed,
			count(*) FILTER (WHERE j.status = 'cancelled') AS cancelled
		FROM ` + jobsTable + ` j JOIN ` + vendorsTable + ` r ON r.db_role = j.db_role, span
		WHERE NOT j.dry_run AND j.finished_at >= span.lo AND j.finished_at < span.hi GROUP BY 1)
INSERT INTO ` + dailyTable + ` AS t (day, signups, vendors_new, imports_started, imports_succeeded, imports_partially_failed,
	imports_failed, imports_cancelled, products, products_at, updated_at)
SELECT d.day, coalesce(u.n, 0), coalesce(v.n, 0), coalesce(st.n, 0), coalesce(fin.succeeded, 0), coalesce(fin.partially_failed, 0),
	coalesce(fin.failed, 0), coalesce(fin.cancelled, 0), $2::bigint, $3::timestamptz, $4::timestamptz
FROM days d LEFT JOIN u USING (day) LEFT JOIN v USING (day) LEFT JOIN st USING (day) LEFT JOIN fin USING (day)
ON CONFLICT (day) DO `

// countsUpdate replaces a day's counts; its product total only when one was
// taken (today's).
const countsUpdate = `UPDATE SET signups = EXCLUDED.signups, vendors_new = EXCLUDED.vendors_new,
	imports_started = EXCLUDED.imports_started, imports_succeeded = EXCLUDED.imports_succeeded,
	imports_partially_failed = EXCLUDED.imports_partially_failed, imports_failed = EXCLUDED.imports_failed,
	imports_cancelled = EXCLUDED.imports_cancelled, products = coalesce(EXCLUDED.products, t.products),
	products_at = coalesce(EXCLUDED.products_at, t.products_at), updated_at = EXCLUDED.updated_at`

// dayOf is the UTC day t falls on, at its midnight.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateString(day time.Time) string { return day.Format(time.DateOnly) }

// rollupArgs is the periodic queue job that runs Rollup.
type rollupArgs struct{}

func (rollupArgs) Kind() string { return "system_daily_figures" }

// Register adds the rollup worker to workers and returns its periodic job
// for the queue client: every Options.RollupEvery, and when an instance
// starts (so a fresh deployment has today's row at once). River runs
// periodic jobs on its elected leader only.
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &rollupWorker{s: s})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(s.o.RollupEvery),
			func() (river.JobArgs, *river.InsertOpts) { return rollupArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}

type rollupWorker struct {
	river.WorkerDefaults[rollupArgs]
	s *Service
}

func (w *rollupWorker) Timeout(*river.Job[rollupArgs]) time.Duration { return 5 * time.Minute }

func (w *rollupWorker) Work(ctx context.Context, _ *river.Job[rollupArgs]) error {
	_, err := w.s.Rollup(ctx, w.s.now())
	return err
}
