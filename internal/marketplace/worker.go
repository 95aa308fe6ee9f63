package marketplace

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/queue"
)

// ImportArgs is the queue job that runs one import job of one vendor. Resume
// is set on a job re-inserted for an import whose worker died (it makes the
// args, and so the unique key, distinct from the dead job's).
type ImportArgs struct {
	VendorID int   `json:"vendor_id"`
	JobID    int   `json:"job_id"`
	Resume   int64 `json:"resume,omitempty"`
}

// Kind names the job in the queue.
func (ImportArgs) Kind() string { return "marketplace_import" }

// InsertOpts make each (vendor, job, resume) a unique queue job.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// scheduleArgs starts the imports that are due.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return "marketplace_schedule" }

// resumeArgs looks for imports whose worker died.
type resumeArgs struct{}

func (resumeArgs) Kind() string { return "marketplace_resume" }

// WorkerOptions tune the queue side of imports.
type WorkerOptions struct {
	Timeout       time.Duration // one import job at most (default 2h)
	ScheduleCheck time.Duration // how often due scheduled imports are looked for (default 5m)
	ResumeCheck   time.Duration // how often orphaned imports are looked for (default 1m)
	ResumeGrace   time.Duration // a running job younger than this is left alone (default 10s)
}

func (o *WorkerOptions) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Hour
	}
	if o.ScheduleCheck <= 0 {
		o.ScheduleCheck = 5 * time.Minute
	}
	if o.ResumeCheck <= 0 {
		o.ResumeCheck = time.Minute
	}
	if o.ResumeGrace <= 0 {
		o.ResumeGrace = 10 * time.Second
	}
}

// Register adds the import workers to workers and returns the periodic
// jobs to give the queue client: scheduled imports and the resume check
// (which also runs when an instance starts, so a killed server's import
// continues as soon as one is back).
func (s *Service) Register(workers *river.Workers, o WorkerOptions) []*river.PeriodicJob {
	o.defaults()
	river.AddWorker(workers, &importWorker{s: s, timeout: o.Timeout})
	river.AddWorker(workers, &scheduleWorker{s: s})
	river.AddWorker(workers, &resumeWorker{s: s, grace: o.ResumeGrace})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(o.ScheduleCheck),
			func() (river.JobArgs, *river.InsertOpts) { return scheduleArgs{}, nil },
			&river.PeriodicJobOpts{ID: "marketplace_schedule", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(o.ResumeCheck),
			func() (river.JobArgs, *river.InsertOpts) { return resumeArgs{}, nil },
			&river.PeriodicJobOpts{ID: "marketplace_resume", RunOnStart: true}),
	}
}

// Queue is the Enqueuer over a queue client.
type Queue struct{ Client *queue.Client }

// EnqueueImport inserts the queue job of an import job.
func (q Queue) EnqueueImport(ctx context.Context, vendorID, jobID int) error {
	_, err := q.Client.Insert(context.WithoutCancel(ctx), ImportArgs{VendorID: vendorID, JobID: jobID}, nil)
	return err
}

// CancelImport cancels the queue jobs of an import job that wait to run
// (for its first attempt, a retry, or after a snooze) — and one still
// "running" for the queue: an attempt that has just ended and is being
// snoozed is recorded a moment later, and River then cancels it instead.
func (q Queue) CancelImport(ctx context.Context, vendorID, jobID int) error {
	args, err := json.Marshal(map[string]int{"vendor_id": vendorID, "job_id": jobID})
	if err != nil {
		return err
	}
	res, err := q.Client.JobList(ctx, river.NewJobListParams().Kinds(ImportArgs{}.Kind()).
		States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStatePending,
			rivertype.JobStateRunning).
		Where("args @> @args::jsonb", river.NamedArgs{"args": string(args)}).First(100))
	if err != nil {
		return err
	}
	for _, j := range res.Jobs {
		if _, err := q.Client.JobCancel(ctx, j.ID); err != nil {
			return err
		}
	}
	return nil
}

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	s       *Service
	timeout time.Duration
}

func (w *importWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return w.timeout }

func (w *importWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	t, err := w.s.db.TenantByID(ctx, job.Args.VendorID)
	if errors.Is(err, fault.ErrNotFound) {
		return river.JobCancel(err) // the vendor is gone
	}
	if err != nil {
		return err
	}
	if !t.Active() {
		// A suspended shop does not import; its job says why.
		_, err := w.s.jobUpdate(ctx, t, job.Args.JobID, func(j *tenant.ImportJob, u *tenant.ImportJobUpdateOne) {
			if j.Status == importjob.StatusQueued || j.Status == importjob.StatusRunning {
				u.SetStatus(importjob.StatusFailed).SetError("the shop is suspended").SetFinishedAt(time.Now())
			}
		})
		return err
	}
	err = w.s.RunJob(ctx, t, job.Args.JobID)
	var retry *RetryError
	switch {
	case errors.As(err, &retry):
		// The import's own policy (bounded, shown on the job): a snooze
		// does not spend one of the queue's attempts.
		return river.JobSnooze(retry.After)
	case errors.Is(err, ErrBusy):
		return river.JobSnooze(15 * time.Second)
	case errors.Is(err, ErrNoJob):
		// The request that queued it may not have committed yet; if it
		// never does, there is nothing to run.
		if time.Since(job.CreatedAt) < time.Minute {
			return river.JobSnooze(200 * time.Millisecond)
		}
		return river.JobCancel(err)
	case err != nil && job.Attempt >= job.MaxAttempts:
		// What reaches the queue as an error is a stopped worker or a
		// database too far gone to record the attempt. The queue gives up
		// on it: so does the import, or it would hold the vendor's one
		// import slot for ever.
		w.s.log.Error("import abandoned after its last attempt", "tenant", t.Slug, "import", job.Args.JobID, "err", err)
		if _, uerr := w.s.jobUpdate(ctx, t, job.Args.JobID, func(j *tenant.ImportJob, u *tenant.ImportJobUpdateOne) {
			if j.Status == importjob.StatusQueued || j.Status == importjob.StatusRunning {
				u.SetStatus(importjob.StatusFailed).SetError("the import failed repeatedly and was abandoned; try again later").SetFinishedAt(time.Now())
			}
		}); uerr != nil {
			return errors.Join(err, uerr)
		}
	}
	return err
}

type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	s *Service
}

func (w *scheduleWorker) Work(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	ids, err := w.s.db.DueImports(ctx, w.s.o.ScheduleEvery)
	if err != nil {
		return err
	}
	for _, id := range ids {
		t, err := w.s.db.TenantByID(ctx, id)
		if err != nil {
			w.s.log.Error("scheduled import: vendor", "vendor", id, "err", err)
			continue
		}
		err = w.s.db.Tx(ctx, t, func(ctx context.Context) error {
			cfg, err := w.s.GetConfig(ctx)
			if err != nil || cfg.Schedule != ScheduleDaily || !cfg.Active {
				return err
			}
			_, err = w.s.Trigger(ctx, nil, false, TriggerSchedule)
			return err
		})
		var fe *fault.Error
		switch {
		case errors.As(err, &fe):
			w.s.log.Info("scheduled import skipped", "tenant", t.Slug, "reason", fe.Message)
		case err != nil:
			w.s.log.Error("scheduled import", "tenant", t.Slug, "err", err)
		default:
			w.s.log.Info("scheduled import queued", "tenant", t.Slug)
		}
	}
	return nil
}

type resumeWorker struct {
	river.WorkerDefaults[resumeArgs]
	s     *Service
	grace time.Duration
}

// Work re-queues imports whose queue job is running but whose vendor's
// import lock nobody holds: the worker that ran it is dead.
func (w *resumeWorker) Work(ctx context.Context, _ *river.Job[resumeArgs]) error {
	client := river.ClientFromContext[*sql.Tx](ctx)
	res, err := client.JobList(ctx, river.NewJobListParams().Kinds(ImportArgs{}.Kind()).States(rivertype.JobStateRunning).First(1000))
	if err != nil {
		return err
	}
	for _, j := range res.Jobs {
		if j.AttemptedAt == nil || time.Since(*j.AttemptedAt) < w.grace {
			continue
		}
		var args ImportArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			continue
		}
		free, err := w.s.lockFree(ctx, args.VendorID)
		if err != nil || !free {
			continue
		}
		// A job that has just finished is still "running" in the queue for a
		// moment (River records completions in batches): ask the import.
		if open, err := w.s.unfinished(ctx, args.VendorID, args.JobID); err != nil || !open {
			continue
		}
		args.Resume = j.ID
		if _, err := client.Insert(ctx, args, nil); err != nil {
			return err
		}
		w.s.log.Warn("import resumed after its worker died", "vendor", args.VendorID, "import", args.JobID, "queue_job", j.ID)
	}
	return nil
}

// unfinished reports whether the import job is still queued or running.
func (s *Service) unfinished(ctx context.Context, vendorID, jobID int) (bool, error) {
	t, err := s.db.TenantByID(ctx, vendorID)
	if err != nil {
		return false, err
	}
	var open bool
	err = s.db.ReadTx(ctx, t, func(ctx context.Context) error {
		j, err := s.Job(ctx, jobID)
		open = err == nil && (j.Status == StatusQueued || j.Status == StatusRunning)
		return nil
	})
	return open, err
}

// lockFree reports whether no session holds the vendor's import lock.
func (s *Service) lockFree(ctx context.Context, vendorID int) (bool, error) {
	conn, err := s.db.LockSession(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockImport, vendorID).Scan(&got); err != nil {
		return false, err
	}
	if got {
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockImport, vendorID)
	}
	return got, err
}
