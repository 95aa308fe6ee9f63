package system

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// sectionTimeout bounds the gathering of each section: a section the
// database does not answer in time fails, saying so, and the others are
// still reported.
const sectionTimeout = 5 * time.Second

// The thresholds of the health report. A figure past a warn threshold is a
// warning, past a fail threshold a failure.
const (
	dbLatencyWarn       = 100 * time.Millisecond // one trivial round trip
	dbConnectionsWarn   = 0.8                    // of max_connections
	queueWaitWarn       = 5 * time.Minute        // the oldest job ready to run has waited this long
	queueWaitFail       = 30 * time.Minute       // … nobody works the queue
	mailWaitWarn        = 10 * time.Minute       // the oldest unsent mail was enqueued this long ago
	mailWaitFail        = time.Hour              // … mail is not going out
	importStalled       = 30 * time.Minute       // a running import whose summary has not moved for this long
	failedTenantsListed = 50                     // tenants whose migration failed, listed by slug
	runningImportsShown = 20                     // running imports listed
)

// Health is the platform's health: each section with its status and why,
// and the worst of them as the whole's.
type Health struct {
	Section
	CheckedAt time.Time      `json:"checked_at"`
	Database  DatabaseHealth `json:"database"`
	Queue     QueueHealth    `json:"queue"`
	Tenants   TenantHealth   `json:"tenants"`
	Spares    SpareHealth    `json:"spares"`
	Mail      MailHealth     `json:"mail"`
	Imports   ImportHealth   `json:"imports"`
	Version   VersionHealth  `json:"version"`
}

// Health gathers the report. Its sections are gathered at once, each within
// sectionTimeout; a section that cannot be read fails with the reason in
// plain words, and the others are still answered. Nothing in it visits a
// tenant schema.
func (s *Service) Health(ctx context.Context) Health {
	h := Health{CheckedAt: s.now().UTC()}
	var wg sync.WaitGroup
	for _, gather := range []func(ctx context.Context){
		func(ctx context.Context) { h.Database = s.database(ctx) },
		func(ctx context.Context) { h.Queue = s.queue(ctx) },
		func(ctx context.Context) { h.Tenants = s.tenants(ctx) },
		func(ctx context.Context) { h.Spares = s.spares(ctx) },
		func(ctx context.Context) { h.Mail = s.mail(ctx) },
		func(ctx context.Context) { h.Imports = s.imports(ctx) },
		func(ctx context.Context) { h.Version = s.version(ctx) },
	} {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, sectionTimeout)
			defer cancel()
			gather(ctx)
		})
	}
	wg.Wait()
	var j judge
	for _, sec := range []struct {
		name string
		Section
	}{
		{"database", h.Database.Section}, {"queue", h.Queue.Section}, {"tenants", h.Tenants.Section},
		{"spares", h.Spares.Section}, {"mail", h.Mail.Section}, {"imports", h.Imports.Section}, {"version", h.Version.Section},
	} {
		if sec.Status != OK {
			j.add(sec.Status, "%s: %s", sec.name, sec.Reason)
		}
	}
	h.Section = j.section()
	return h
}

// DatabaseHealth is PostgreSQL as this instance reaches it.
type DatabaseHealth struct {
	Section
	Reachable      bool    `json:"reachable"`
	LatencyMS      float64 `json:"latency_ms"` // one trivial round trip from this instance
	ServerVersion  string  `json:"server_version,omitempty"`
	Connections    int     `json:"connections"`     // client connections to the server, every database's
	MaxConnections int     `json:"max_connections"` // the server's limit
	// SizeBytes is the database's files on disk, measured at SizeMeasuredAt
	// (at most 10 minutes before; see sizeEvery).
	SizeBytes      int64      `json:"size_bytes"`
	SizeMeasuredAt *time.Time `json:"size_measured_at"`
}

func (s *Service) database(ctx context.Context) DatabaseHealth {
	var d DatabaseHealth
	start := time.Now()
	if err := s.scan(ctx, `SELECT 1`, nil); err != nil {
		d.Section = s.unreadable(ctx, "database", err)
		d.Reason = "unreachable: " + plainReason(err)
		return d
	}
	d.Reachable = true
	d.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if err := s.scan(ctx, `SELECT current_setting('server_version'),
			(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), current_setting('max_connections')::int`,
		nil, &d.ServerVersion, &d.Connections, &d.MaxConnections); err != nil {
		d.Section = s.unreadable(ctx, "database", err)
		return d
	}
	size, at, err := s.size.get(ctx, s.measureSize)
	if err != nil {
		d.Section = s.unreadable(ctx, "database", err)
		return d
	}
	d.SizeBytes, d.SizeMeasuredAt = size, &at
	var j judge
	if lat := time.Duration(d.LatencyMS * float64(time.Millisecond)); lat > dbLatencyWarn {
		j.add(Warn, "a round trip took %s (over %s)", lat.Round(time.Millisecond), dbLatencyWarn)
	}
	if d.MaxConnections > 0 && float64(d.Connections) >= dbConnectionsWarn*float64(d.MaxConnections) {
		j.add(Warn, "%d of the server's %d connections are in use", d.Connections, d.MaxConnections)
	}
	d.Section = j.section()
	return d
}

// sizeEvery is how long a measure of the database's size is answered before
// it is measured again. pg_database_size reads the size of every file of
// the database — each tenant's tables and indexes are files of their own —
// so it grows with the tenants: ~110 ms at 1,000 (make bench). The report
// answers the last measure and has it taken again in the background once
// it is older than this; only the first report an instance gives waits for
// one.
const sizeEvery = 10 * time.Minute

// measureSize measures the database's size.
func (s *Service) measureSize(ctx context.Context) (int64, error) {
	var n int64
	err := s.scan(ctx, `SELECT pg_database_size(current_database())`, nil, &n)
	if err != nil {
		s.log.WarnContext(ctx, "system health: the database's size could not be measured", "err", err)
	}
	return n, err
}

// sizeCache holds the last measure of the database's size.
type sizeCache struct {
	mu         sync.Mutex
	bytes      int64
	at         time.Time
	refreshing bool
}

// get answers the last measure, measuring now when there is none and in
// the background when it is older than sizeEvery.
func (c *sizeCache) get(ctx context.Context, measure func(context.Context) (int64, error)) (int64, time.Time, error) {
	c.mu.Lock()
	if c.at.IsZero() {
		c.mu.Unlock()
		n, err := measure(ctx)
		if err != nil {
			return 0, time.Time{}, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.at.IsZero() {
			c.bytes, c.at = n, time.Now().UTC()
		}
		return c.bytes, c.at, nil
	}
	defer c.mu.Unlock()
	if time.Since(c.at) > sizeEvery && !c.refreshing {
		c.refreshing = true
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			n, err := measure(ctx)
			c.mu.Lock()
			defer c.mu.Unlock()
			c.refreshing = false
			if err == nil {
				c.bytes, c.at = n, time.Now().UTC()
			}
		}()
	}
	return c.bytes, c.at, nil
}

// TenantHealth is the tenants as the registry records them.
type TenantHealth struct {
	Section
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
	// NewestMigration is this binary's newest tenant migration; Current
	// tenants are at it, Behind ones older (their hosts answer 503
	// vendor_upgrading until `bazaar migrate` reaches them), Ahead ones
	// newer (a newer binary migrated them).
	NewestMigration string `json:"newest_migration"`
	Current         int    `json:"current"`
	Behind          int    `json:"behind"`
	Ahead           int    `json:"ahead"`
	// MigrationFailed counts tenants whose last migration failed; Failed
	// lists the first 50 by slug.
	MigrationFailed int            `json:"migration_failed"`
	Failed          []FailedTenant `json:"failed"`
}

// FailedTenant is a tenant whose last migration failed, with which one in
// words safe to show (the database's message is for `bazaar tenant
// status`).
type FailedTenant struct {
	ID    int    `json:"id"`
	Slug  string `json:"slug"`
	Error string `json:"error"`
}

func (s *Service) tenants(ctx context.Context) TenantHealth {
	t := TenantHealth{ByStatus: map[string]int{}, Failed: []FailedTenant{}, NewestMigration: s.db.TenantLatest()}
	f, err := s.db.TenantFigures(ctx, failedTenantsListed)
	if err != nil {
		t.Section = s.unreadable(ctx, "tenants", err)
		return t
	}
	t.Total, t.Current, t.Behind, t.Ahead, t.MigrationFailed = f.Total, f.Current, f.Behind, f.Ahead, f.FailedTotal
	for st, n := range f.ByStatus {
		t.ByStatus[string(st)] = n
	}
	for _, m := range f.Failed {
		t.Failed = append(t.Failed, FailedTenant{ID: m.ID, Slug: m.Slug, Error: m.Error})
	}
	var j judge
	if f.FailedTotal > 0 {
		j.add(Fail, "%s failed", count(f.FailedTotal, "tenant's last migration", "tenants' last migrations"))
	}
	if f.Behind > 0 {
		j.add(Warn, "%s behind this binary's migrations (their shops answer 503 until `bazaar migrate` reaches them)", count(f.Behind, "tenant is", "tenants are"))
	}
	t.Section = j.section()
	return t
}

// SpareHealth is the pool of spare schemas provisioning claims.
type SpareHealth struct {
	Section
	Wanted int `json:"wanted"` // tenant.spare_schemas
	Ready  int `json:"ready"`  // claimable
	Stale  int `json:"stale"`  // an older binary's: never claimed, dropped by the next top-up
	Newer  int `json:"newer"`  // a newer binary's (a rolling deploy)
}

func (s *Service) spares(ctx context.Context) SpareHealth {
	sp := SpareHealth{Wanted: s.o.SpareSchemas}
	f, err := s.db.SpareFigures(ctx)
	if err != nil {
		sp.Section = s.unreadable(ctx, "spares", err)
		return sp
	}
	sp.Ready, sp.Stale, sp.Newer = f.Ready, f.Stale, f.Newer
	var j judge
	if f.Ready < s.o.SpareSchemas {
		j.add(Warn, "%d of %d spare schemas ready: provisioning without one runs all the schema's DDL (~120 ms) until `serve` tops them up", f.Ready, s.o.SpareSchemas)
	}
	if f.Stale > 0 {
		j.add(Warn, "%s made by an older binary (dropped by the next top-up)", count(f.Stale, "spare schema", "spare schemas"))
	}
	sp.Section = j.section()
	return sp
}

// MailHealth is the mail outbox's delivery.
type MailHealth struct {
	Section
	Waiting              int    `json:"waiting"`                // not sent yet, still to be tried
	OldestWaitingSeconds *int64 `json:"oldest_waiting_seconds"` // since the oldest of them was enqueued; null: none waits
	Retrying             int    `json:"retrying"`               // waiting after a failed attempt
	GivenUp              int    `json:"given_up"`               // left unsent after mail.max_attempts failures
	GivenUpLast7Days     int    `json:"given_up_last_7_days"`   // of those, enqueued in the last 7 days
	SentLastHour         int    `json:"sent_last_hour"`
	LastError            string `json:"last_error,omitempty"` // a failed unsent mail's reason, as the sender recorded it
}

func (s *Service) mail(ctx context.Context) MailHealth {
	now := s.now()
	b, err := s.outbox.Backlog(ctx, s.o.MailMaxAttempts, now)
	if err != nil {
		return MailHealth{Section: s.unreadable(ctx, "mail", err)}
	}
	m := MailHealth{Waiting: b.Waiting, Retrying: b.Retrying, GivenUp: b.GivenUp, GivenUpLast7Days: b.GivenUpRecent,
		SentLastHour: b.SentLastHour, LastError: cut(b.LastError, maxErrorText)}
	var j judge
	if b.OldestWaiting != nil {
		age := max(now.Sub(*b.OldestWaiting), 0)
		secs := int64(age.Seconds())
		m.OldestWaitingSeconds = &secs
		switch {
		case age > mailWaitFail:
			j.add(Fail, "the oldest unsent mail has waited %s: mail is not going out", human(age))
		case age > mailWaitWarn:
			j.add(Warn, "the oldest unsent mail has waited %s", human(age))
		}
	}
	if b.GivenUpRecent > 0 {
		j.add(Warn, "%s given up in the last 7 days (never delivered)", count(b.GivenUpRecent, "mail was", "mails were"))
	}
	m.Section = j.section()
	return m
}

// ImportHealth is the imports running now across vendors, from the
// summaries their schemas report (tenant_reports).
type ImportHealth struct {
	Section
	Running int             `json:"running"`
	Queued  int             `json:"queued"`  // waiting to start, or for a retry
	Stalled int             `json:"stalled"` // running, their summary unchanged for 30 minutes
	Jobs    []RunningImport `json:"jobs"`    // the running ones, longest running first (at most 20)
}

// RunningImport is an import running now.
type RunningImport struct {
	Vendor    VendorRef  `json:"vendor"`
	JobID     int        `json:"job_id"` // its id in the vendor's history
	DryRun    bool       `json:"dry_run"`
	StartedAt *time.Time `json:"started_at"`
	RowsDone  int64      `json:"rows_done"`
	UpdatedAt time.Time  `json:"updated_at"` // when its summary last changed
}

// VendorRef names a vendor.
type VendorRef struct {
	ID   int    `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (s *Service) imports(ctx context.Context) ImportHealth {
	im := ImportHealth{Jobs: []RunningImport{}}
	stalledBefore := s.now().Add(-importStalled)
	// Joined to the registry: only vendors' summaries (a spare's, or a row
	// some role wrote under its own name, are nobody's).
	if err := s.scan(ctx, `SELECT count(*) FILTER (WHERE j.status = 'running'), count(*) FILTER (WHERE j.status = 'queued'),
			count(*) FILTER (WHERE j.status = 'running' AND j.updated_at < $1)
		FROM `+jobsTable+` j JOIN `+vendorsTable+` v ON v.db_role = j.db_role WHERE j.status IN ('running', 'queued')`,
		[]any{stalledBefore}, &im.Running, &im.Queued, &im.Stalled); err != nil {
		im.Section = s.unreadable(ctx, "imports", err)
		return im
	}
	rows, err := s.db.Platform().QueryContext(ctx, `SELECT v.id, v.slug, v.name, j.job_id, j.dry_run, j.started_at, j.rows_done, j.updated_at
		FROM `+jobsTable+` j JOIN `+vendorsTable+` v ON v.db_role = j.db_role WHERE j.status = 'running'
		ORDER BY j.started_at NULLS LAST, v.id, j.job_id LIMIT $1`, runningImportsShown)
	if err != nil {
		im.Section = s.unreadable(ctx, "imports", err)
		return im
	}
	defer rows.Close()
	for rows.Next() {
		var r RunningImport
		var started sql.NullTime
		if err := rows.Scan(&r.Vendor.ID, &r.Vendor.Slug, &r.Vendor.Name, &r.JobID, &r.DryRun, &started, &r.RowsDone, &r.UpdatedAt); err != nil {
			im.Section = s.unreadable(ctx, "imports", err)
			return im
		}
		if started.Valid {
			r.StartedAt = &started.Time
		}
		im.Jobs = append(im.Jobs, r)
	}
	if err := rows.Err(); err != nil {
		im.Section = s.unreadable(ctx, "imports", err)
		return im
	}
	var j judge
	if im.Stalled > 0 {
		j.add(Warn, "%s reported no progress for %s (a dead worker's import is queued again by the resume check)",
			count(im.Stalled, "running import has", "running imports have"), human(importStalled))
	}
	im.Section = j.section()
	return im
}

// VersionHealth is what this instance runs, and the schemas' migrations.
type VersionHealth struct {
	Section
	Build    Build          `json:"build"`
	Platform MigrationState `json:"platform_migrations"`
	Tenant   MigrationState `json:"tenant_migrations"`
}

// MigrationState is the newest migration this binary knows and, for the
// platform schema, the newest applied to it.
type MigrationState struct {
	Binary  string `json:"binary"`
	Applied string `json:"applied,omitempty"`
}

func (s *Service) version(ctx context.Context) VersionHealth {
	v := VersionHealth{Build: s.build,
		Platform: MigrationState{Binary: s.db.PlatformLatest()}, Tenant: MigrationState{Binary: s.db.TenantLatest()}}
	applied, err := s.db.PlatformApplied(ctx)
	if err != nil {
		v.Section = s.unreadable(ctx, "version", err)
		return v
	}
	v.Platform.Applied = applied
	var j judge
	switch {
	case applied < v.Platform.Binary:
		j.add(Fail, "the platform schema is behind this binary (%s, this binary knows %s): run `bazaar migrate`", orNone(applied), v.Platform.Binary)
	case applied > v.Platform.Binary:
		j.add(Warn, "a newer binary migrated the platform schema (%s): this instance runs an older one", applied)
	}
	v.Section = j.section()
	return v
}

// scan runs a one-row query on the platform client into dst.
func (s *Service) scan(ctx context.Context, query string, args []any, dst ...any) error {
	rows, err := s.db.Platform().QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("system: no row")
	}
	if len(dst) > 0 {
		if err := rows.Scan(dst...); err != nil {
			return err
		}
	}
	return rows.Close()
}

// count is "1 thing" or "n things".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func orNone(v string) string {
	if v == "" {
		return "none applied"
	}
	return v
}
