package marketplace

import (
	"context"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Job statuses.
const (
	StatusQueued          = "queued"
	StatusRunning         = "running"
	StatusSucceeded       = "succeeded"
	StatusPartiallyFailed = "partially_failed"
	StatusFailed          = "failed"
	StatusCancelled       = "cancelled"
)

// Language statuses within a job.
const (
	langPending   = "pending"
	langRunning   = "running"
	langDone      = "done"
	langUnchanged = "unchanged" // the file had not changed since the last import: skipped
	langFailed    = "failed"
	langCancelled = "cancelled"
)

// Triggers say who started a job.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	TriggerDemo     = "demo"
)

// Job is an import job as clients see it.
type Job struct {
	ID              int                  `json:"id"`
	Marketplace     string               `json:"marketplace"`
	Status          string               `json:"status"`
	DryRun          bool                 `json:"dry_run"`
	Trigger         string               `json:"trigger"`
	RequestedBy     *int                 `json:"requested_by"`
	CancelRequested bool                 `json:"cancel_requested"`
	Languages       []schema.LanguageRun `json:"languages"`
	Counts          Counts               `json:"counts"`
	Progress        Progress             `json:"progress"`
	Error           string               `json:"error,omitempty"` // why it failed, or which files failed
	Attempts        int                  `json:"attempts"`        // started so far
	MaxAttempts     int                  `json:"max_attempts"`
	LastError       string               `json:"last_error,omitempty"`      // why the last attempt failed
	NextAttemptAt   *time.Time           `json:"next_attempt_at,omitempty"` // set while it waits to be tried again
	CreatedAt       time.Time            `json:"created_at"`
	StartedAt       *time.Time           `json:"started_at"`
	FinishedAt      *time.Time           `json:"finished_at"`
	DurationMS      *int64               `json:"duration_ms"`
}

// Counts total a job: rows read; staged products created, updated (existed
// and changed, a new language included), unchanged (listed, not changed),
// missing from the feed; rows failed; drifted published products and
// disagreements between languages. Each product counts once whatever the
// number of files listing it; a language's own counts (schema.LanguageRun)
// count its file's rows instead: created (the row created the product),
// merged (its language joined a product another file created), updated,
// unchanged, failed.
type Counts struct {
	Rows          int `json:"rows"`
	Created       int `json:"created"`
	Updated       int `json:"updated"`
	Unchanged     int `json:"unchanged"`
	Missing       int `json:"missing"`
	Failed        int `json:"failed"`
	Drifted       int `json:"drifted"`
	Disagreements int `json:"disagreements"`
}

// Progress is how far a running job is.
type Progress struct {
	RowsDone  int64 `json:"rows_done"`
	BytesDone int64 `json:"bytes_done"`
}

func jobView(j *tenant.ImportJob) Job {
	v := Job{
		ID: j.ID, Marketplace: j.Marketplace, Status: string(j.Status), DryRun: j.DryRun, Trigger: j.Trigger,
		RequestedBy: j.RequestedBy, CancelRequested: j.CancelRequested, Languages: j.Languages,
		Counts: Counts{Rows: j.Rows, Created: j.Created, Updated: j.Updated, Unchanged: j.Unchanged,
			Missing: j.Missing, Failed: j.Failed, Drifted: j.Drifted, Disagreements: j.Disagreements},
		Progress: Progress{RowsDone: j.RowsDone, BytesDone: j.BytesDone},
		Error:    j.Error,
		Attempts: j.Attempts, MaxAttempts: j.MaxAttempts, LastError: j.LastError, NextAttemptAt: j.NextAttemptAt,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt,
	}
	if j.StartedAt != nil && j.FinishedAt != nil {
		d := j.FinishedAt.Sub(*j.StartedAt).Milliseconds()
		v.DurationMS = &d
	}
	if v.Languages == nil {
		v.Languages = []schema.LanguageRun{}
	}
	return v
}

// Trigger queues an import of the configured feeds in the tenant transaction
// bound to ctx. The queue gets the job before that transaction commits: if
// the commit fails the worker finds no job and lets it go; if the queue
// fails, nothing is stored. A vendor has at most one import queued or
// running (a unique index says so, whatever the race).
func (s *Service) Trigger(ctx context.Context, by *int, dryRun bool, trigger string) (Job, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return Job{}, err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return Job{}, err
	}
	cfg, err := loadConfig(ctx, c)
	if err != nil {
		return Job{}, err
	}
	switch {
	case len(cfg.Feeds) == 0:
		return Job{}, fault.New(fault.Invalid, "the import is not configured: add a feed URL per language first")
	case !cfg.Active:
		return Job{}, fault.New(fault.Invalid, "the import is switched off in its configuration")
	}
	if active, err := c.ImportJob.Query().Where(importjob.StatusIn(importjob.StatusQueued, importjob.StatusRunning)).First(ctx); err == nil {
		return Job{}, fault.New(fault.Conflict, "import %d is already %s: wait for it or cancel it", active.ID, active.Status)
	} else if !tenant.IsNotFound(err) {
		return Job{}, fmt.Errorf("marketplace: trigger: %w", err)
	}
	langs := make([]schema.LanguageRun, len(cfg.Feeds))
	for i, f := range cfg.Feeds {
		langs[i] = schema.LanguageRun{Language: f.Language, URL: f.URL, Status: langPending}
	}
	j, err := c.ImportJob.Create().SetMarketplace(Marketplace).SetDryRun(dryRun).SetTrigger(trigger).
		SetNillableRequestedBy(by).SetLanguages(langs).SetMaxAttempts(s.o.MaxAttempts).Save(ctx)
	if err != nil {
		if tenant.IsConstraintError(err) {
			return Job{}, fault.New(fault.Conflict, "another import was queued at the same moment")
		}
		return Job{}, fmt.Errorf("marketplace: trigger: %w", err)
	}
	if s.queue != nil {
		if err := s.queue.EnqueueImport(ctx, t.ID, j.ID); err != nil {
			return Job{}, fault.Wrap(err, fault.Unavailable, "the job queue is not available: try again shortly")
		}
	}
	return jobView(j), nil
}

// JobLimits bound a page of the import history.
var JobLimits = page.Bounds{Default: 20, Max: 100}

// jobList pages the import history by id, newest first.
var jobList = page.ByID{List: "imports", Bounds: JobLimits}

// Jobs lists the import history, newest first, a page at a time.
func (s *Service) Jobs(ctx context.Context, r page.Request) (page.Page[Job], error) {
	bad := map[string]string{}
	limit, before := jobList.Start(r, bad)
	if err := page.Invalid(bad); err != nil {
		return page.Page[Job]{}, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return page.Page[Job]{}, err
	}
	q := c.ImportJob.Query().Order(importjob.ByID(sqlDesc())).Limit(limit + 1)
	if before > 0 {
		q.Where(importjob.IDLT(before))
	}
	js, err := q.All(ctx)
	if err != nil {
		return page.Page[Job]{}, fmt.Errorf("marketplace: jobs: %w", err)
	}
	return page.Of(js, limit, jobView, func(last *tenant.ImportJob) string { return jobList.Cursor(last.ID) }), nil
}

// Job returns one job.
func (s *Service) Job(ctx context.Context, id int) (Job, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return Job{}, err
	}
	j, err := c.ImportJob.Get(ctx, id)
	if tenant.IsNotFound(err) {
		return Job{}, fault.New(fault.NotFound, "import %d not found", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("marketplace: job: %w", err)
	}
	return jobView(j), nil
}

// Cancel stops a job. One that no attempt is running — waiting for its
// first attempt or for a retry, or whose worker died — is cancelled at once
// (the vendor's import slot is free when this transaction commits, and its
// waiting queue job is cancelled after); a running one is stopped by its
// worker within CancelCheck, wherever it is (what its finished language
// files wrote stays; the file in progress is rolled back).
func (s *Service) Cancel(ctx context.Context, id int) (Job, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return Job{}, err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return Job{}, err
	}
	j, err := lockJob(ctx, c, id)
	if tenant.IsNotFound(err) {
		return Job{}, fault.New(fault.NotFound, "import %d not found", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("marketplace: cancel: %w", err)
	}
	ends := false // no attempt runs: it ends now
	switch j.Status {
	case importjob.StatusQueued:
		ends = true
	case importjob.StatusRunning:
		// Running, unless its worker died: nobody holds the vendor's import
		// lock then, and nobody would see the request.
		if ends, err = s.lockFree(ctx, t.ID); err != nil {
			return Job{}, fmt.Errorf("marketplace: cancel: %w", err)
		}
	default:
		return Job{}, fault.New(fault.Conflict, "import %d has already finished (%s)", id, j.Status)
	}
	up := j.Update().SetCancelRequested(true)
	if ends {
		endCancelled(j, up)
		if s.queue != nil {
			tenantdb.AfterCommit(ctx, func() { s.unqueue(ctx, t, id) })
		}
	}
	if j, err = up.Save(ctx); err != nil {
		return Job{}, fmt.Errorf("marketplace: cancel: %w", err)
	}
	return jobView(j), nil
}

// unqueue cancels the queue job of an import cancelled while it waited (its
// worker would find it cancelled and stop at once anyway: this only spares
// the queue a job with nothing to do).
func (s *Service) unqueue(ctx context.Context, t *tenantdb.Tenant, jobID int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.queue.CancelImport(ctx, t.ID, jobID); err != nil {
		s.log.Warn("cancelled import: its queue job stays queued", "tenant", t.Slug, "import", jobID, "err", err)
	}
}
