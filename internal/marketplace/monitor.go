package marketplace

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// The super admins' view of imports across vendors. Import jobs live in the
// vendors' schemas; each schema's triggers keep a summary row per job, and
// the shop's product count, in tenantdb.ReportsSchema, written in the
// transaction that changes them. So the listing and the figures read those
// platform-side tables (with the platform's vendors for their names) and
// never visit a schema. Starting imports does visit (triggermany.go): one
// transaction per vendor asked for, as a manual import does.

// The tables the monitoring reads, qualified.
var (
	reportsTable = pq.QuoteIdentifier(tenantdb.ReportsSchema) + ".import_jobs"
	figuresTable = pq.QuoteIdentifier(tenantdb.ReportsSchema) + ".vendor_figures"
	vendorsTable = pq.QuoteIdentifier(tenantdb.PlatformSchema) + ".vendors"
)

// JobStatuses are the statuses a job can have, the listing's status filter.
var JobStatuses = []string{StatusQueued, StatusRunning, StatusSucceeded, StatusPartiallyFailed, StatusFailed, StatusCancelled}

// JobFilter selects the jobs of the cross-vendor listing. Zero values select
// everything.
type JobFilter struct {
	Status   string    // one of JobStatuses
	VendorID int       // one vendor's jobs
	Since    time.Time // jobs created at or after it
}

// VendorRef names a job's vendor.
type VendorRef struct {
	ID   int    `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// SummaryCounts are the totals the summary of a job keeps (Counts without
// what only the vendor's own view shows).
type SummaryCounts struct {
	Rows      int64 `json:"rows"`
	Created   int64 `json:"created"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Missing   int64 `json:"missing"`
	Failed    int64 `json:"failed"`
}

// JobSummary is an import job as the cross-vendor listing shows it. ID is
// the job's id in its vendor's history (/api/v1/marketplace/imports/{id} on
// the vendor's host).
type JobSummary struct {
	Vendor     VendorRef     `json:"vendor"`
	ID         int           `json:"id"`
	Status     string        `json:"status"`
	DryRun     bool          `json:"dry_run"`
	Trigger    string        `json:"trigger"`
	Counts     SummaryCounts `json:"counts"`
	RowsDone   int64         `json:"rows_done"`
	Error      string        `json:"error,omitempty"` // its first 500 characters
	CreatedAt  time.Time     `json:"created_at"`
	StartedAt  *time.Time    `json:"started_at"`
	FinishedAt *time.Time    `json:"finished_at"`
	UpdatedAt  time.Time     `json:"updated_at"` // when the summary last changed
	DurationMS *int64        `json:"duration_ms"`
}

// MonitorLimits bound a page of the cross-vendor listing.
var MonitorLimits = page.Bounds{Default: 50, Max: 200}

// monitorList names the listing in its cursors.
const monitorList = "admin/import-jobs"

// monitorCursor is where a page of the listing ended: its last job's
// creation time, vendor and id (newest first; the vendor and the id break
// ties between jobs created at one instant).
type monitorCursor struct {
	List   string `json:"l"`
	At     string `json:"t"` // RFC 3339 with nanoseconds
	Vendor int    `json:"v"`
	Job    int    `json:"i"`
}

func decodeMonitorCursor(s string) (c monitorCursor, at time.Time, ok bool) {
	if !page.Decode(s, &c) || c.List != monitorList || c.Vendor < 1 || c.Job < 1 {
		return c, time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, c.At)
	return c, at, err == nil
}

// AllJobs lists import jobs across vendors, newest first, a page at a time,
// from the summaries the vendors' schemas keep platform-side: one query,
// whatever the number of vendors. A vendor that has been deleted is gone
// from it with its summaries.
func (s *Service) AllJobs(ctx context.Context, f JobFilter, r page.Request) (page.Page[JobSummary], error) {
	bad := map[string]string{}
	limit := MonitorLimits.Size(r.Limit, bad)
	if f.Status != "" && !slices.Contains(JobStatuses, f.Status) {
		bad["status"] = "must be one of " + strings.Join(JobStatuses, ", ")
	}
	if f.VendorID < 0 {
		bad["vendor"] = "must be a vendor id"
	}
	var after monitorCursor
	var afterAt time.Time
	if r.Cursor != "" {
		var ok bool
		if after, afterAt, ok = decodeMonitorCursor(r.Cursor); !ok {
			bad[page.CursorField] = page.CursorProblem
		}
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[JobSummary]{}, err
	}

	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		where = append(where, "j.status = "+arg(f.Status))
	}
	if f.VendorID > 0 {
		where = append(where, "v.id = "+arg(f.VendorID))
	}
	if !f.Since.IsZero() {
		where = append(where, "j.created_at >= "+arg(f.Since))
	}
	if r.Cursor != "" {
		// The first condition alone lets the index on created_at start there.
		t := arg(afterAt)
		where = append(where, "j.created_at <= "+t,
			"(j.created_at, v.id, j.job_id) < ("+t+", "+arg(after.Vendor)+", "+arg(after.Job)+")")
	}
	q := `SELECT v.id, v.slug, v.name, j.job_id, j.status, j.dry_run, j.trigger, j.rows, j.created, j.updated, j.unchanged,
			j.missing, j.failed, j.rows_done, j.error, j.created_at, j.started_at, j.finished_at, j.updated_at
		FROM ` + reportsTable + ` j JOIN ` + vendorsTable + ` v ON v.db_role = j.db_role`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY j.created_at DESC, v.id DESC, j.job_id DESC LIMIT ` + arg(limit+1)

	rows, err := s.db.Platform().QueryContext(ctx, q, args...)
	if err != nil {
		return page.Page[JobSummary]{}, fmt.Errorf("marketplace: monitor jobs: %w", err)
	}
	defer rows.Close()
	var out []JobSummary
	for rows.Next() {
		var j JobSummary
		var started, finished sql.NullTime
		if err := rows.Scan(&j.Vendor.ID, &j.Vendor.Slug, &j.Vendor.Name, &j.ID, &j.Status, &j.DryRun, &j.Trigger,
			&j.Counts.Rows, &j.Counts.Created, &j.Counts.Updated, &j.Counts.Unchanged, &j.Counts.Missing, &j.Counts.Failed,
			&j.RowsDone, &j.Error, &j.CreatedAt, &started, &finished, &j.UpdatedAt); err != nil {
			return page.Page[JobSummary]{}, fmt.Errorf("marketplace: monitor jobs: %w", err)
		}
		if started.Valid {
			j.StartedAt = &started.Time
		}
		if finished.Valid {
			j.FinishedAt = &finished.Time
		}
		if j.StartedAt != nil && j.FinishedAt != nil {
			d := j.FinishedAt.Sub(*j.StartedAt).Milliseconds()
			j.DurationMS = &d
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return page.Page[JobSummary]{}, fmt.Errorf("marketplace: monitor jobs: %w", err)
	}
	return page.Of(out, limit, func(j JobSummary) JobSummary { return j }, func(last JobSummary) string {
		return page.Encode(monitorCursor{List: monitorList, At: last.CreatedAt.Format(time.RFC3339Nano), Vendor: last.Vendor.ID, Job: last.ID})
	}), nil
}

// VendorFigures are a vendor's figures for the super admins' vendor list,
// read from what its schema reports platform-side.
type VendorFigures struct {
	Products   int64         `json:"products"`
	LastImport *ImportFigure `json:"last_import"` // nil: it has never imported
}

// ImportFigure is a vendor's latest import (dry runs left out).
type ImportFigure struct {
	JobID      int        `json:"job_id"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// Figures returns the figures of the vendors asked for, by vendor id, in one
// query over the platform-side reports: a vendor that reported nothing yet
// has zero products and no last import; an id that is no vendor is left out.
func (s *Service) Figures(ctx context.Context, vendorIDs []int) (map[int]VendorFigures, error) {
	out := make(map[int]VendorFigures, len(vendorIDs))
	if len(vendorIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.Platform().QueryContext(ctx, `SELECT v.id, coalesce(f.products, 0), l.job_id, l.status, l.created_at, l.finished_at
		FROM `+vendorsTable+` v
		LEFT JOIN `+figuresTable+` f ON f.db_role = v.db_role
		LEFT JOIN LATERAL (SELECT j.job_id, j.status, j.created_at, j.finished_at FROM `+reportsTable+` j
			WHERE j.db_role = v.db_role AND NOT j.dry_run ORDER BY j.created_at DESC, j.job_id DESC LIMIT 1) l ON true
		WHERE v.id = ANY($1)`, intArray(vendorIDs))
	if err != nil {
		return nil, fmt.Errorf("marketplace: figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var f VendorFigures
		var job sql.NullInt64
		var status sql.NullString
		var created, finished sql.NullTime
		if err := rows.Scan(&id, &f.Products, &job, &status, &created, &finished); err != nil {
			return nil, fmt.Errorf("marketplace: figures: %w", err)
		}
		if job.Valid {
			f.LastImport = &ImportFigure{JobID: int(job.Int64), Status: status.String, CreatedAt: created.Time}
			if finished.Valid {
				f.LastImport.FinishedAt = &finished.Time
			}
		}
		out[id] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("marketplace: figures: %w", err)
	}
	return out, nil
}
