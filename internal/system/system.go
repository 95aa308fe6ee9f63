// Package system is the super admins' view of the platform as a whole: its
// health (the database, the job queue, the tenants' migrations, the spare
// schemas, the mail outbox, the imports running, the version) and its
// analytics over days (signups, new vendors, imports, products), read from
// the platform-side tables and the queue's — never by visiting a tenant
// schema. The analytics come from rollups a periodic queue job keeps
// (rollup.go): one row a day in platform_daily_figures.
//
// It is a domain package that imports no other domain: what it reads of the
// vendors' imports and products is what their schemas report platform-side
// (tenant_reports), of the outbox what internal/mail says, of the tenants
// what tenantdb's registry says.
package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/tenantdb"
)

// Options configure the service with the settings whose health it judges.
type Options struct {
	QueueSchema     string        // where River's tables live (queue.schema; default "river")
	SpareSchemas    int           // how many spare schemas are wanted (tenant.spare_schemas)
	MailMaxAttempts int           // after this many failures a mail is given up (mail.max_attempts; default 20)
	RollupEvery     time.Duration // how often the daily figures are rolled up (default an hour)
}

// Service gathers the health report and the analytics.
type Service struct {
	db     *tenantdb.DB
	outbox *mail.Outbox
	o      Options
	log    *slog.Logger
	build  Build
	now    func() time.Time // the clock; tests move it
	size   sizeCache        // the database's size, measured at most every sizeEvery

	// The tables read, qualified.
	riverJobs string
}

// New builds the service.
func New(db *tenantdb.DB, o Options, log *slog.Logger) *Service {
	if o.QueueSchema == "" {
		o.QueueSchema = "river"
	}
	if o.MailMaxAttempts <= 0 {
		o.MailMaxAttempts = 20
	}
	if o.RollupEvery <= 0 {
		o.RollupEvery = time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		db: db, outbox: mail.NewOutbox(db), o: o, log: log, build: readBuild(), now: time.Now,
		riverJobs: pq.QuoteIdentifier(o.QueueSchema) + ".river_job",
	}
}

// The tables the service reads, qualified.
var (
	vendorsTable = pq.QuoteIdentifier(tenantdb.PlatformSchema) + ".vendors"
	usersTable   = pq.QuoteIdentifier(tenantdb.PlatformSchema) + ".users"
	dailyTable   = pq.QuoteIdentifier(tenantdb.PlatformSchema) + ".platform_daily_figures"
	jobsTable    = pq.QuoteIdentifier(tenantdb.ReportsSchema) + ".import_jobs"
	figuresTable = pq.QuoteIdentifier(tenantdb.ReportsSchema) + ".vendor_figures"
)

// Status is how a section of the health report, or the whole, is doing.
type Status string

// The statuses, from best to worst.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

func (s Status) rank() int {
	switch s {
	case Warn:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// Section is what every section of the health report says first: its
// status, and why when it is not ok ("" when it is).
type Section struct {
	Status Status `json:"status"`
	Reason string `json:"reason"`
}

// judge collects a section's findings: the worst decides the status, and
// the reason lists them all, the worst first.
type judge struct {
	findings []finding
}

type finding struct {
	status Status
	text   string
}

func (j *judge) add(s Status, format string, args ...any) {
	j.findings = append(j.findings, finding{s, fmt.Sprintf(format, args...)})
}

func (j *judge) section() Section {
	slices.SortStableFunc(j.findings, func(a, b finding) int { return b.status.rank() - a.status.rank() })
	sec := Section{Status: OK}
	texts := make([]string, len(j.findings))
	for i, f := range j.findings {
		if f.status.rank() > sec.Status.rank() {
			sec.Status = f.status
		}
		texts[i] = f.text
	}
	sec.Reason = strings.Join(texts, "; ")
	return sec
}

// human writes a duration for a reader: "45 s", "10 min", "2 h 5 min".
func human(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// unreadable is a section that could not be gathered: failed, with a reason
// in plain words (the cause goes to the log).
func (s *Service) unreadable(ctx context.Context, section string, err error) Section {
	s.log.WarnContext(ctx, "system health: "+section+" could not be read", "err", err)
	return Section{Status: Fail, Reason: "could not be read: " + plainReason(err)}
}

// plainReason says why database work failed, without an address, a user or
// SQL.
func plainReason(err error) string {
	if reason, ok := tenantdb.Unavailable(err); ok {
		return reason
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", sectionTimeout)
	}
	return "unexpected error (details in this instance's log)"
}

// undefinedTable reports a missing table or schema (SQLSTATE 42P01, 3F000).
func undefinedTable(err error) bool {
	e := pq.As(err)
	return e != nil && (e.Code == "42P01" || e.Code == "3F000")
}

// Build is the running binary's version, from its build information.
type Build struct {
	Module    string `json:"module"`
	Version   string `json:"version"`            // the module version: "(devel)" for a build from a work tree
	Revision  string `json:"revision,omitempty"` // the VCS revision it was built from, when stamped
	BuiltFrom string `json:"revision_time,omitempty"`
	Modified  bool   `json:"modified"` // built from a work tree with changes
	GoVersion string `json:"go_version"`
}

func readBuild() Build {
	b := Build{GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.Version = bi.Main.Path, bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.BuiltFrom = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}
