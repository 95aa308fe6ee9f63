package account

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/bazaar/bazaar/internal/queue"
)

// ResetArgs is the queue job that runs a mass password reset. Resume makes
// a job queued again by the resume check distinct from the one before it.
type ResetArgs struct {
	JobID  int   `json:"job_id"`
	Resume int64 `json:"resume,omitempty"`
}

// Kind names the job in the queue.
func (ResetArgs) Kind() string { return "account_password_reset" }

// InsertOpts make each (job, resume) a unique queue job.
func (ResetArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// resetResumeArgs looks for mass resets nobody runs.
type resetResumeArgs struct{}

func (resetResumeArgs) Kind() string { return "account_password_reset_resume" }

// Queue enqueues mass resets on the job queue.
type Queue struct{ Client *queue.Client }

// EnqueueReset inserts the queue job of a mass reset.
func (q Queue) EnqueueReset(ctx context.Context, jobID int) error {
	_, err := q.Client.Insert(context.WithoutCancel(ctx), ResetArgs{JobID: jobID}, nil)
	return err
}

// Register adds the mass reset workers to workers and returns the periodic
// resume check for the queue client (it also runs when an instance starts,
// so a killed server's reset goes on as soon as one is back).
func (s *Service) Register(workers *river.Workers, resumeEvery time.Duration) []*river.PeriodicJob {
	if resumeEvery <= 0 {
		resumeEvery = time.Minute
	}
	river.AddWorker(workers, &resetWorker{s: s})
	river.AddWorker(workers, &resetResumeWorker{s: s})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(resumeEvery),
			func() (river.JobArgs, *river.InsertOpts) { return resetResumeArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}

type resetWorker struct {
	river.WorkerDefaults[ResetArgs]
	s *Service
}

// Timeout: resetting every account of a large platform takes minutes; the
// run records each account as it goes, so a timeout loses nothing.
func (w *resetWorker) Timeout(*river.Job[ResetArgs]) time.Duration { return time.Hour }

func (w *resetWorker) Work(ctx context.Context, job *river.Job[ResetArgs]) error {
	err := w.s.RunReset(ctx, job.Args.JobID, nil)
	if errors.Is(err, ErrResetBusy) {
		return nil // another run has it; the resume check covers that one dying
	}
	return err
}

type resetResumeWorker struct {
	river.WorkerDefaults[resetResumeArgs]
	s *Service
}

// Work queues a run for every unfinished mass reset; a run finds one that
// another run holds busy and leaves it.
func (w *resetResumeWorker) Work(ctx context.Context, _ *river.Job[resetResumeArgs]) error {
	ids, err := w.s.UnfinishedResets(ctx)
	if err != nil {
		return err
	}
	client := river.ClientFromContext[*sql.Tx](ctx)
	for _, id := range ids {
		if _, err := client.Insert(ctx, ResetArgs{JobID: id, Resume: time.Now().UnixNano()}, nil); err != nil {
			return err
		}
	}
	return nil
}
