package vendor

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/bazaar/bazaar/internal/queue"
)

// BulkArgs is the queue job that runs a bulk vendor import. Resume makes a
// job queued again by the resume check distinct from the one before it.
type BulkArgs struct {
	ImportID int   `json:"import_id"`
	Resume   int64 `json:"resume,omitempty"`
}

// Kind names the job in the queue.
func (BulkArgs) Kind() string { return "vendor_bulk_import" }

// InsertOpts make each (import, resume) a unique queue job.
func (BulkArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// bulkResumeArgs looks for bulk imports nobody runs.
type bulkResumeArgs struct{}

func (bulkResumeArgs) Kind() string { return "vendor_bulk_resume" }

// Queue enqueues bulk imports on the job queue.
type Queue struct{ Client *queue.Client }

// EnqueueBulk inserts the queue job of a bulk import.
func (q Queue) EnqueueBulk(ctx context.Context, importID int) error {
	_, err := q.Client.Insert(context.WithoutCancel(ctx), BulkArgs{ImportID: importID}, nil)
	return err
}

// Register adds the bulk import workers to workers and returns the periodic
// resume check for the queue client (it also runs when an instance starts,
// so a killed server's bulk import goes on as soon as one is back).
func (s *Service) Register(workers *river.Workers, resumeEvery time.Duration) []*river.PeriodicJob {
	if resumeEvery <= 0 {
		resumeEvery = time.Minute
	}
	river.AddWorker(workers, &bulkWorker{s: s})
	river.AddWorker(workers, &bulkResumeWorker{s: s})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(resumeEvery),
			func() (river.JobArgs, *river.InsertOpts) { return bulkResumeArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}

type bulkWorker struct {
	river.WorkerDefaults[BulkArgs]
	s *Service
}

// Timeout: a bulk import of thousands of vendors takes minutes; the run
// records each row as it goes, so a timeout loses nothing.
func (w *bulkWorker) Timeout(*river.Job[BulkArgs]) time.Duration { return time.Hour }

func (w *bulkWorker) Work(ctx context.Context, job *river.Job[BulkArgs]) error {
	err := w.s.RunBulk(ctx, job.Args.ImportID, nil)
	if errors.Is(err, ErrBulkBusy) {
		return nil // another run has it; the resume check covers that one dying
	}
	return err
}

type bulkResumeWorker struct {
	river.WorkerDefaults[bulkResumeArgs]
	s *Service
}

// Work queues a run for every unfinished bulk import; a run finds one that
// another run holds busy and leaves it.
func (w *bulkResumeWorker) Work(ctx context.Context, _ *river.Job[bulkResumeArgs]) error {
	ids, err := w.s.UnfinishedBulk(ctx)
	if err != nil {
		return err
	}
	client := river.ClientFromContext[*sql.Tx](ctx)
	for _, id := range ids {
		if _, err := client.Insert(ctx, BulkArgs{ImportID: id, Resume: time.Now().UnixNano()}, nil); err != nil {
			return err
		}
	}
	return nil
}
