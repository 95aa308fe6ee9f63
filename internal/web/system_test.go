package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/internal/queue"
	"github.com/bazaar/bazaar/internal/system"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// systemFixture is a database of the test's own with a super admin, a
// shop's Owner signed in on the admin host (nobody there) and the runner
// for the admin site.
type systemFixture struct {
	d     *tenanttest.Database
	db    *tenantdb.DB
	raw   *sql.DB
	ts    *testServer
	shop  *tenantdb.Tenant
	admin scenarioRunner
}

func newSystemFixture(t *testing.T) *systemFixture {
	t.Helper()
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	fx := &systemFixture{d: d, db: db, raw: tenanttest.SQL(t, d), shop: tenanttest.Tenant(t, db, "sys-shop")}
	fx.ts = start(t, db, setup{opts: defaultOptions()})
	adminHost := "admin." + base
	rootEmail := "root@" + fx.shop.Slug + ".test"
	if _, err := fx.ts.ids.CreateUser(context.Background(), identity.NewUser{Email: rootEmail, FirstName: "Platform", LastName: "Admin",
		Password: testPassword, SuperAdmin: true}); err != nil {
		t.Fatal(err)
	}
	ownerEmail := "owner@" + fx.shop.Slug + ".test"
	fx.ts.join(t, fx.shop, fx.ts.user(t, ownerEmail).ID, "owner")
	fx.admin = fx.ts.scenarios(adminHost, map[string]string{
		"root":  fx.ts.login(t, adminHost, rootEmail).access,
		"owner": fx.ts.login(t, adminHost, ownerEmail).access,
		"shop":  fx.ts.login(t, hostOf(fx.shop), ownerEmail).access,
	})
	return fx
}

func (fx *systemFixture) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := fx.raw.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// refusals are the system routes' refusals: a shop's Owner on the admin
// host, anonymous, and a vendor's host (which answers no admin route).
func (fx *systemFixture) refusals(path string) []scenario {
	return []scenario{
		{name: "OwnerIsRefused", as: "owner", method: "GET", path: path, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "AnonymousMustSignIn", method: "GET", path: path, wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
		{name: "NotOnAVendorHost", as: "shop", host: hostOf(fx.shop), method: "GET", path: path, wantStatus: http.StatusNotFound},
	}
}

// TestSystemHealth: the super admins' health report over a platform with
// something wrong in every section but the database's and the version's —
// a tenant behind the migrations, one whose migration failed (the
// database's message in the registry), one spare schema of the two wanted,
// a mail waiting for 20 minutes and one given up, jobs failed in the queue
// (one with a SQL error and a stack trace, one retrying) and one waiting for
// 10 minutes, an import running — answers each section with its figures,
// status and reason, and the worst as the whole's. Neither SQL, a stack,
// a schema name nor the connection string appears anywhere in it.
// slowRoundTrip is the database section's warning of a slow round trip,
// which a loaded test machine may earn it.
var slowRoundTrip = regexp.MustCompile(`database: a round trip took [0-9.]+[µm]?s \(over 100ms\)`)

func TestSystemHealth(t *testing.T) {
	fx := newSystemFixture(t)
	ctx := context.Background()
	behind := tenanttest.Tenant(t, fx.db, "sys-behind")
	broken := tenanttest.Tenant(t, fx.db, "sys-broken")
	importing := tenanttest.Tenant(t, fx.db, "sys-importing")
	if _, err := fx.db.SetStatus(ctx, behind.Slug, tenantdb.StatusSuspended, "testing"); err != nil {
		t.Fatal(err)
	}
	fx.exec(t, `UPDATE platform.vendors SET schema_version = '' WHERE id = $1`, behind.ID)
	fx.exec(t, `UPDATE platform.vendors SET schema_version = '', migration_error = $2 WHERE id = $1`, broken.ID,
		`migration 20270101000000_break: pq: syntax error at or near "SELEKT" in SELECT * FROM "`+broken.Schema+`".products`)

	if _, err := fx.db.FillSpares(ctx, 1); err != nil {
		t.Fatal(err)
	}

	// Mail: one waiting since 20 minutes ago, one given up (20 attempts).
	tx, err := fx.db.Platform().Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"late@shop.test", "lost@shop.test"} {
		if err := mail.Enqueue(ctx, tx, mail.Message{Kind: "invitation", To: to, Subject: "Join", Body: "A link"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	fx.exec(t, `UPDATE platform.outbox_mails SET created_at = now() - interval '20 minutes' WHERE "to" = 'late@shop.test'`)
	fx.exec(t, `UPDATE platform.outbox_mails SET attempts = 20, last_error = 'the mail server refused the connection' WHERE "to" = 'lost@shop.test'`)

	// The queue's tables, migrated as `bazaar migrate` does, and jobs in
	// them as River leaves them (no client runs here, so nothing moves).
	pool, err := fx.db.OpenSidePool(ctx, "queue", 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	if err := queue.Migrate(ctx, pool, "river"); err != nil {
		t.Fatal(err)
	}
	trace := "goroutine 42 [running]:\nmain.work()\n\t/src/bazaar/worker.go:12 +0x1d"
	fx.exec(t, `INSERT INTO river.river_job (state, attempt, max_attempts, attempted_at, finalized_at, scheduled_at, args, errors, kind)
		VALUES ('discarded', 3, 3, now() - interval '2 hours', now() - interval '2 hours', now() - interval '3 hours', '{}',
			ARRAY[jsonb_build_object('at', now(), 'attempt', 3, 'error', $1::text, 'trace', $2::text)], 'marketplace_import'),
		('retryable', 1, 5, now() - interval '5 minutes', NULL, now() + interval '1 minute', '{}',
			ARRAY[jsonb_build_object('at', now(), 'attempt', 1, 'error', $3::text, 'trace', $2::text)], 'vendor_bulk_import'),
		('discarded', 5, 5, now() - interval '3 days', now() - interval '3 days', now() - interval '3 days', '{}',
			ARRAY[jsonb_build_object('at', now(), 'attempt', 5, 'error', 'long ago', 'trace', '')], 'marketplace_import'),
		('available', 0, 5, NULL, NULL, now() - interval '10 minutes', '{}', '{}', 'marketplace_import'),
		('running', 1, 5, now(), NULL, now(), '{}', '{}', 'vendor_bulk_import')`,
		`pq: relation "`+broken.Schema+`.products" does not exist (SELECT * FROM products WHERE id = 1)`, trace,
		"the feed server answered 503 Service Unavailable\nsecond line, never shown")

	// An import running in a shop, reported by its schema's trigger.
	if err := fx.db.Tx(ctx, importing, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.ImportJob.Create().SetLanguages([]schema.LanguageRun{}).SetStatus(importjob.StatusRunning).
			SetStartedAt(time.Now()).SetRowsDone(1200).Exec(ctx)
	}); err != nil {
		t.Fatal(err)
	}

	var h system.Health
	u, err := url.Parse(fx.d.URL)
	if err != nil {
		t.Fatal(err)
	}
	secret := []string{"SELEKT", "SELECT", "pq:", "goroutine", "worker.go", "second line", broken.Schema, importing.Schema,
		u.Host, fx.d.Name, "postgres://", "sslmode"}
	if p, ok := u.User.Password(); ok && p != "" {
		secret = append(secret, p)
	}
	fx.admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/system/health", wantStatus: http.StatusOK,
		wantNot: secret, check: func(t testing.TB, r *resp) { r.decode(t, &h) }})

	want := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	want("status", h.Status, system.Fail)
	// Every section that is not ok, the failures first.
	if !strings.HasPrefix(h.Reason, "tenants: 1 tenant's last migration failed; 2 tenants are behind") ||
		!strings.Contains(h.Reason, "; queue: the oldest job") || !strings.Contains(h.Reason, "; spares: 1 of 2") || !strings.Contains(h.Reason, "; mail: ") ||
		strings.Contains(slowRoundTrip.ReplaceAllString(h.Reason, ""), "database:") || strings.Contains(h.Reason, "imports:") {
		t.Errorf("reason %q", h.Reason)
	}

	db := h.Database
	// One round trip over 100 ms is a warning; on a loaded test machine
	// that is the machine's doing, not this test's subject.
	dbStatus := db.Status
	if dbStatus == system.Warn && slowRoundTrip.MatchString("database: "+db.Reason) && !strings.Contains(db.Reason, ";") {
		dbStatus = system.OK
	}
	want("database", [2]any{dbStatus, db.Reachable}, [2]any{system.OK, true})
	if !strings.HasPrefix(db.ServerVersion, "1") || db.SizeBytes <= 0 || db.SizeMeasuredAt == nil || db.Connections < 1 || db.MaxConnections < db.Connections || db.LatencyMS <= 0 {
		t.Errorf("database figures: %+v", db)
	}

	q := h.Queue
	want("queue status", q.Status, system.Warn)
	want("queue totals", q.Totals, system.StateCounts{Available: 1, Running: 1, Retryable: 1, Discarded: 2})
	want("queue kinds", q.ByKind, []system.KindCounts{
		{Kind: "marketplace_import", StateCounts: system.StateCounts{Available: 1, Discarded: 2}},
		{Kind: "vendor_bulk_import", StateCounts: system.StateCounts{Running: 1, Retryable: 1}},
	})
	if q.OldestWaitingSeconds == nil || *q.OldestWaitingSeconds < 590 || *q.OldestWaitingSeconds > 700 {
		t.Errorf("oldest waiting: %v s, want ~600", q.OldestWaitingSeconds)
	}
	want("failed in 24 h", q.FailedLast24h.Total, 2)
	if f := q.FailedLast24h.ByKind; len(f) != 2 || f[0].Kind != "marketplace_import" || f[0].Discarded != 1 || f[0].Retryable != 0 ||
		f[1].Kind != "vendor_bulk_import" || f[1].Retryable != 1 || f[1].LastJobID == 0 {
		t.Errorf("failed by kind: %+v", f)
	} else {
		if !strings.HasPrefix(f[0].LastError, "a database error (job ") {
			t.Errorf("a database error is shown as %q", f[0].LastError)
		}
		want("a job's error", f[1].LastError, "the feed server answered 503 Service Unavailable")
	}
	for _, w := range []string{"the oldest job ready to run has waited 10 min", "2 jobs failed in the last 24 hours"} {
		if !strings.Contains(q.Reason, w) {
			t.Errorf("queue reason %q lacks %q", q.Reason, w)
		}
	}

	tn := h.Tenants
	want("tenants status", tn.Status, system.Fail)
	want("tenants", [6]int{tn.Total, tn.ByStatus["active"], tn.ByStatus["suspended"], tn.Current, tn.Behind, tn.MigrationFailed},
		[6]int{4, 3, 1, 2, 2, 1})
	want("newest migration", tn.NewestMigration, fx.db.TenantLatest())
	if len(tn.Failed) != 1 || tn.Failed[0].Slug != broken.Slug || tn.Failed[0].ID != broken.ID ||
		tn.Failed[0].Error != "migration 20270101000000_break failed; `bazaar tenant status` shows the database's message" {
		t.Errorf("failed tenants: %+v", tn.Failed)
	}

	want("spares", h.Spares, system.SpareHealth{Wanted: 2, Ready: 1, Section: system.Section{Status: system.Warn,
		Reason: "1 of 2 spare schemas ready: provisioning without one runs all the schema's DDL (~120 ms) until `serve` tops them up"}})

	m := h.Mail
	want("mail", [5]any{m.Status, m.Waiting, m.Retrying, m.GivenUp, m.GivenUpLast7Days}, [5]any{system.Warn, 1, 0, 1, 1})
	want("mail's last error", m.LastError, "the mail server refused the connection")
	if m.OldestWaitingSeconds == nil || *m.OldestWaitingSeconds < 1190 || *m.OldestWaitingSeconds > 1300 {
		t.Errorf("oldest mail waiting: %v s, want ~1200", m.OldestWaitingSeconds)
	}
	if !strings.Contains(m.Reason, "the oldest unsent mail has waited 20 min") || !strings.Contains(m.Reason, "1 mail was given up") {
		t.Errorf("mail reason: %q", m.Reason)
	}

	im := h.Imports
	want("imports", [4]any{im.Status, im.Running, im.Queued, im.Stalled}, [4]any{system.OK, 1, 0, 0})
	if len(im.Jobs) != 1 || im.Jobs[0].Vendor.Slug != importing.Slug || im.Jobs[0].RowsDone != 1200 || im.Jobs[0].StartedAt == nil {
		t.Errorf("running imports: %+v", im.Jobs)
	}

	v := h.Version
	want("version", [3]any{v.Status, v.Platform.Applied, v.Tenant.Binary}, [3]any{system.OK, fx.db.PlatformLatest(), fx.db.TenantLatest()})
	if v.Build.GoVersion == "" || v.Build.Module == "" {
		t.Errorf("build: %+v", v.Build)
	}

	// The figures move: the import stalls, the queue's tables go.
	fx.exec(t, `UPDATE tenant_reports.import_jobs SET updated_at = now() - interval '1 hour' WHERE db_role = $1`, importing.Role)
	fx.exec(t, `DROP SCHEMA river CASCADE`)
	fx.admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/system/health", wantStatus: http.StatusOK,
		check: func(t testing.TB, r *resp) {
			var h system.Health
			r.decode(t, &h)
			if h.Imports.Status != system.Warn || h.Imports.Stalled != 1 {
				t.Errorf("a stalled import: %+v", h.Imports)
			}
			if h.Queue.Status != system.Fail || h.Queue.Reason != "the queue's tables are missing: run `bazaar migrate`" {
				t.Errorf("no queue tables: %+v", h.Queue.Section)
			}
		}})

	fx.admin.run(t, false, fx.refusals("/api/v1/admin/system/health"))
}

// TestSystemAnalytics: users, vendors and imports made on known days (their
// times set by hand), products in two shops; the rollup backfills the days
// from the first record, counts today with the product total, and writes
// the same rows when run again; its first run after midnight counts
// yesterday again, whole, keeping the total its day took. The analytics
// answer every day of the range exactly — days without a row explicitly
// (recorded false, counts 0, products null) — and refuse bad dates naming
// them.
func TestSystemAnalytics(t *testing.T) {
	fx := newSystemFixture(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return today.AddDate(0, 0, n) }
	date := func(n int) string { return day(n).Format(time.DateOnly) }
	at := func(n int, clock string) time.Time {
		d, err := time.Parse("15:04", clock)
		if err != nil {
			t.Fatal(err)
		}
		return day(n).Add(time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute)
	}

	a := fx.shop
	b := tenanttest.Tenant(t, fx.db, "sys-b")
	fx.exec(t, `UPDATE platform.vendors SET created_at = $1`, at(-2, "08:00"))
	// Every user so far (the super admin, the Owner) signed up today; two
	// more three days ago, one yesterday just before midnight.
	fx.exec(t, `UPDATE platform.users SET created_at = $1`, at(0, "00:30"))
	for i, when := range []time.Time{at(-3, "10:00"), at(-3, "11:00"), at(-1, "23:59")} {
		u := fx.ts.user(t, fmt.Sprintf("signup%d@shop.test", i))
		fx.exec(t, `UPDATE platform.users SET created_at = $2 WHERE id = $1`, u.ID, when)
	}
	// Import summaries as the shops report them: a succeeded one, a failed
	// one started before midnight, a dry run (left out), one cancelled before
	// it started, one running; another shop's partially failed one; and a
	// row written under a role that is no vendor's (left out).
	for _, j := range []struct {
		role                       string
		id                         int
		status                     string
		dry                        bool
		created, started, finished *time.Time
	}{
		{a.Role, 1, "succeeded", false, ptr(at(-2, "09:00")), ptr(at(-2, "09:00")), ptr(at(-2, "09:10"))},
		{a.Role, 2, "failed", false, ptr(at(-2, "23:50")), ptr(at(-2, "23:50")), ptr(at(-1, "00:20"))},
		{a.Role, 3, "succeeded", true, ptr(at(-1, "10:00")), ptr(at(-1, "10:00")), ptr(at(-1, "10:05"))},
		{a.Role, 4, "cancelled", false, ptr(at(-1, "11:00")), nil, ptr(at(-1, "11:01"))},
		{a.Role, 5, "running", false, ptr(at(0, "00:40")), ptr(at(0, "00:40")), nil},
		{b.Role, 1, "partially_failed", false, ptr(at(-1, "12:00")), ptr(at(-1, "12:00")), ptr(at(-1, "12:30"))},
		{"nobody_at_all", 1, "succeeded", false, ptr(at(-1, "12:00")), ptr(at(-1, "12:00")), ptr(at(-1, "12:30"))},
	} {
		fx.exec(t, `INSERT INTO tenant_reports.import_jobs (db_role, job_id, status, dry_run, created_at, started_at, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, j.role, j.id, j.status, j.dry, j.created, j.started, j.finished)
	}
	addProduct(t, fx.db, a, "A-1", "one")
	addProduct(t, fx.db, a, "A-2", "two")
	addProduct(t, fx.db, b, "B-1", "three")

	rows := func() string { // the table, as text
		t.Helper()
		var out string
		if err := fx.raw.QueryRowContext(ctx, `SELECT coalesce(string_agg(f::text, E'\n' ORDER BY day), '') FROM platform.platform_daily_figures f`).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	rep, err := fx.ts.system.Rollup(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (system.RollupReport{Backfilled: 3, Products: 3}) {
		t.Errorf("first run: %+v, want 3 days backfilled (from the first signup) and 3 products", rep)
	}
	first := rows()
	if rep, err := fx.ts.system.Rollup(ctx, now); err != nil || rep != (system.RollupReport{Products: 3}) {
		t.Errorf("second run: %+v, %v", rep, err)
	}
	if again := rows(); again != first {
		t.Errorf("the same run twice wrote\n%s\nthen\n%s", first, again)
	}

	type dayWant struct {
		recorded                                               bool
		signups, vendors                                       int
		started, succeeded, partiallyFailed, failed, cancelled int
		products                                               *int64
	}
	check := func(t testing.TB, got system.Analytics, from int, days []dayWant) {
		t.Helper()
		if len(got.Days) != len(days) {
			t.Fatalf("%d days, want %d: %+v", len(got.Days), len(days), got.Days)
		}
		for i, w := range days {
			g := got.Days[i]
			if g.Date != date(from+i) {
				t.Errorf("day %d is %s, want %s", i, g.Date, date(from+i))
			}
			have := dayWant{g.Recorded, g.Signups, g.NewVendors, g.Imports.Started, g.Imports.Succeeded, g.Imports.PartiallyFailed,
				g.Imports.Failed, g.Imports.Cancelled, g.Products}
			if !reflect.DeepEqual(have, w) {
				t.Errorf("%s: %+v (products %v), want %+v (products %v)", g.Date, have, deref(g.Products), w, deref(w.products))
			}
			if (g.ProductsAt == nil) != (g.Products == nil) {
				t.Errorf("%s: products %v at %v", g.Date, deref(g.Products), g.ProductsAt)
			}
		}
	}
	three := int64(3)
	path := fmt.Sprintf("/api/v1/admin/system/analytics?from=%s&to=%s", date(-5), date(0))
	fx.admin.send(t, scenario{as: "root", method: "GET", path: path, wantStatus: http.StatusOK, check: func(t testing.TB, r *resp) {
		var got system.Analytics
		r.decode(t, &got)
		if got.From != date(-5) || got.To != date(0) || got.TimeZone != "UTC" || got.Vendors.Total != 2 || got.Vendors.ByStatus["active"] != 2 {
			t.Errorf("range and vendors: %+v", got)
		}
		check(t, got, -5, []dayWant{
			{}, {}, // before the first record: no row
			{recorded: true, signups: 2},
			{recorded: true, vendors: 2, started: 2, succeeded: 1},
			{recorded: true, signups: 1, started: 1, partiallyFailed: 1, failed: 1, cancelled: 1},
			{recorded: true, signups: 2, started: 1, products: &three},
		})
		if got.Totals != (system.Totals{Signups: 5, NewVendors: 2, Imports: system.ImportCounts{Started: 4, Succeeded: 1,
			PartiallyFailed: 1, Failed: 1, Cancelled: 1}}) {
			t.Errorf("totals: %+v", got.Totals)
		}
		if got.LastRollup == nil || !got.LastRollup.Equal(now) {
			t.Errorf("last rollup %v, want %v", got.LastRollup, now)
		}
	}})

	// Today goes on: a signup late in the day, a product. The first run after
	// midnight counts today again, whole, and keeps its total (3); tomorrow
	// gets the total then (4). A later run leaves today alone.
	u := fx.ts.user(t, "late@shop.test")
	fx.exec(t, `UPDATE platform.users SET created_at = $2 WHERE id = $1`, u.ID, at(0, "23:30"))
	addProduct(t, fx.db, b, "B-2", "four")
	afterMidnight := day(1).Add(10 * time.Minute)
	if rep, err := fx.ts.system.Rollup(ctx, afterMidnight); err != nil || rep != (system.RollupReport{Yesterday: true, Products: 4}) {
		t.Errorf("after midnight: %+v, %v", rep, err)
	}
	if rep, err := fx.ts.system.Rollup(ctx, afterMidnight.Add(time.Hour)); err != nil || rep != (system.RollupReport{Products: 4}) {
		t.Errorf("an hour later: %+v, %v", rep, err)
	}
	four := int64(4)
	fx.admin.send(t, scenario{as: "root", method: "GET", path: fmt.Sprintf("/api/v1/admin/system/analytics?from=%s&to=%s", date(0), date(2)),
		wantStatus: http.StatusOK, check: func(t testing.TB, r *resp) {
			var got system.Analytics
			r.decode(t, &got)
			check(t, got, 0, []dayWant{
				{recorded: true, signups: 3, started: 1, products: &three},
				{recorded: true, products: &four},
				{}, // the future
			})
			if p := got.Days[0].ProductsAt; p == nil || !p.Equal(now) {
				t.Errorf("today's total taken at %v, want %v (its day's last run)", p, now)
			}
		}})

	// The default range: the last 30 days, today's last.
	fx.admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/system/analytics", wantStatus: http.StatusOK,
		check: func(t testing.TB, r *resp) {
			var got system.Analytics
			r.decode(t, &got)
			if len(got.Days) != 30 || got.To != time.Now().UTC().Format(time.DateOnly) {
				t.Errorf("default range: %s to %s, %d days", got.From, got.To, len(got.Days))
			}
		}})

	bad := "/api/v1/admin/system/analytics?"
	fx.admin.run(t, false, append([]scenario{
		{name: "NotADate", as: "root", method: "GET", path: bad + "from=2026-13-01", wantStatus: http.StatusBadRequest, check: wantField("from", "YYYY-MM-DD")},
		{name: "NotADateEither", as: "root", method: "GET", path: bad + "to=yesterday", wantStatus: http.StatusBadRequest, check: wantField("to", "YYYY-MM-DD")},
		{name: "Both", as: "root", method: "GET", path: bad + "from=1.5.2026&to=2026-02-30", wantStatus: http.StatusBadRequest,
			check: func(t testing.TB, r *resp) { wantField("from")(t, r); wantField("to")(t, r) }},
		{name: "FromAfterTo", as: "root", method: "GET", path: bad + "from=2026-03-02&to=2026-03-01", wantStatus: http.StatusBadRequest, check: wantField("from", "after")},
		{name: "TooLong", as: "root", method: "GET", path: bad + "from=2025-01-01&to=2026-01-02", wantStatus: http.StatusBadRequest, check: wantField("from", "366")},
		{name: "YearZero", as: "root", method: "GET", path: bad + "from=0000-01-01&to=0000-12-31", wantStatus: http.StatusBadRequest, check: wantField("from")},
		{name: "ALeapYear", as: "root", method: "GET", path: bad + "from=2024-01-01&to=2024-12-31", wantStatus: http.StatusOK, want: []string{`"date":"2024-02-29"`}},
	}, fx.refusals("/api/v1/admin/system/analytics")...))
}

func ptr[T any](v T) *T { return &v }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestSystemRollupRunsOnTheQueue: the rollup is a periodic job of the queue
// that runs when the queue starts, so a fresh deployment has today's row at
// once.
func TestSystemRollupRunsOnTheQueue(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	tn := tenanttest.Tenant(t, db, "sys-queue")
	addProduct(t, db, tn, "Q-1", "one")
	start(t, db, setup{opts: defaultOptions(), queue: true})
	raw := tenanttest.SQL(t, d)
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Today's row (yesterday's, should midnight have passed meanwhile).
		var rows int
		if err := raw.QueryRow(`SELECT count(*) FROM platform.platform_daily_figures
			WHERE day >= (now() AT TIME ZONE 'UTC')::date - 1 AND products = 1`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no rollup of today with the shop's product after 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
