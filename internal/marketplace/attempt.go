package marketplace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/fetch"
	"github.com/bazaar/bazaar/tenantdb"
)

// How an attempt of an import ends when it does not finish: cancelled, at
// once; failed, at once, when a retry cannot help (the failure is about the
// data, the configuration, or a fault of ours); queued again after a
// back-off when it may (a download or the database unreachable for a
// moment), at most MaxAttempts attempts in all. The job row shows each: its
// status, attempts, last error and next attempt.

// RetryError is what RunJob returns when an attempt failed in a way a later
// one may not: the job is queued again and should run after After.
type RetryError struct {
	After  time.Duration
	Reason string
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("marketplace: import attempt failed (%s); next in %s", e.Reason, e.After)
}

// errCancelled is the cause of an attempt's context when its job's cancel
// was requested (watchCancel).
var errCancelled = errors.New("marketplace: import cancelled")

// errSpool marks a failure to keep a download on local disk.
var errSpool = errors.New("marketplace: spool the download")

// downloadError is a temporary download failure before the job's last
// attempt: the attempt ends and the job is tried again.
type downloadError struct {
	lang, url string
	err       error
}

func (e *downloadError) Error() string { return fileMessage(e.lang, e.url, languageError(e.err)) }
func (e *downloadError) Unwrap() error { return e.err }

// fileMessage names a language's file in a message about it.
func fileMessage(lang, url, msg string) string {
	return fmt.Sprintf("the %s file %s: %s", lang, url, msg)
}

// lastAttempt says whether j runs its last allowed attempt.
func lastAttempt(j *tenant.ImportJob) bool { return j.Attempts >= j.MaxAttempts }

// watchCancel returns a context that is cancelled, with errCancelled as its
// cause, within CancelCheck of a cancel request on the job: the request
// reaches a download or a long statement as surely as a batch boundary.
// stop ends the watch.
func (s *Service) watchCancel(ctx context.Context, t *tenantdb.Tenant, jobID int) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(s.o.CancelCheck)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if yes, err := s.cancelRequested(ctx, t, jobID); err == nil && yes {
				cancel(errCancelled)
				return
			}
		}
	}()
	return ctx, func() { cancel(nil); <-done }
}

func (s *Service) cancelRequested(ctx context.Context, t *tenantdb.Tenant, jobID int) (bool, error) {
	var yes bool
	err := s.db.ReadTx(ctx, t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		j, err := c.ImportJob.Get(ctx, jobID)
		if err == nil {
			yes = j.CancelRequested
		}
		return err
	})
	return yes, err
}

// failure is why an attempt ended, as the job shows it.
type failure struct {
	transient bool   // a later attempt may succeed
	stopping  bool   // the worker is stopping: the queue runs the job again
	reason    string // user-safe: never a database's or the system's words
}

// classify says what err, which ended an attempt running under ctx, means.
func classify(ctx context.Context, j *tenant.ImportJob, err error) failure {
	var dl *downloadError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return failure{reason: "the import did not finish in the time an import may take"}
	case ctx.Err() != nil:
		return failure{stopping: true}
	case errors.As(err, &dl):
		return failure{transient: true, reason: dl.Error()}
	case errors.Is(err, errSpool):
		return failure{transient: true, reason: "the server could not store the downloaded file"}
	case databaseUnavailable(err):
		return failure{transient: true, reason: "the database could not be reached"}
	}
	return failure{reason: fmt.Sprintf("an internal error stopped the import (logged with import %d, attempt %d)", j.ID, j.Attempts)}
}

// databaseUnavailable says whether err is the database being unreachable,
// restarting or overloaded (tenantdb.Unavailable), or in a transient
// conflict: a retry may succeed. Anything else it says (bad data, a
// constraint, a missing table) will be said again.
func databaseUnavailable(err error) bool {
	if _, ok := tenantdb.Unavailable(err); ok || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code.Class() {
		case "40", // serialization failure, deadlock
			"53", // insufficient resources (disk full, out of memory)
			"57": // operator intervention: a cancelled statement, besides tenantdb's shutdowns
			return true
		}
		return pe.Code == "55P03" // lock not available
	}
	return false
}

// attemptFailed ends an attempt of j that returned err: cancelled, queued
// for a retry (a *RetryError), failed, or left to the queue (the worker is
// stopping: a context error).
func (s *Service) attemptFailed(ctx context.Context, t *tenantdb.Tenant, j *tenant.ImportJob, err error, log *slog.Logger) error {
	if errors.Is(context.Cause(ctx), errCancelled) || errors.Is(err, errCancelled) {
		log.Info("import cancelled")
		return s.finishCancelled(ctx, t, j.ID)
	}
	f := classify(ctx, j, err)
	if f.stopping {
		log.Warn("import interrupted: its worker is stopping", "err", err)
		return errors.Join(ctx.Err(), err)
	}
	retry := f.transient && !lastAttempt(j)
	after := s.backoff(j.Attempts)
	var ended string
	_, uerr := s.jobUpdate(ctx, t, j.ID, func(cur *tenant.ImportJob, u *tenant.ImportJobUpdateOne) {
		now := time.Now()
		switch {
		case cur.CancelRequested:
			ended = StatusCancelled
			endCancelled(cur, u)
		case retry:
			ended = StatusQueued
			u.SetStatus(importjob.StatusQueued).SetLastError(f.reason).SetNextAttemptAt(now.Add(after)).
				SetLanguages(settle(cur.Languages, langPending, ""))
		default:
			ended = StatusFailed
			msg := f.reason
			if f.transient {
				msg = fmt.Sprintf("gave up after %d attempts: %s", cur.Attempts, f.reason)
			}
			u.SetStatus(importjob.StatusFailed).SetError(msg).SetLastError(f.reason).SetFinishedAt(now).
				SetLanguages(settle(cur.Languages, langFailed, f.reason))
		}
	})
	if uerr != nil {
		return errors.Join(err, uerr)
	}
	switch ended {
	case StatusQueued:
		log.Warn("import attempt failed; it will be tried again", "attempt", j.Attempts, "next_in", after, "reason", f.reason, "err", err)
		return &RetryError{After: after, Reason: f.reason}
	case StatusFailed:
		log.Error("import failed", "attempt", j.Attempts, "reason", f.reason, "err", err)
	default:
		log.Info("import cancelled")
	}
	return nil
}

// backoff is the wait after failed attempt n (1-based): BackoffBase,
// doubled each time, at most BackoffMax.
func (s *Service) backoff(n int) time.Duration {
	d := s.o.BackoffBase
	for ; n > 1 && d < s.o.BackoffMax; n-- {
		d *= 2
	}
	return min(d, s.o.BackoffMax)
}

// settle gives the languages not finished (pending or running) a status;
// the running one (the file in progress) gets why as its error.
func settle(langs []schema.LanguageRun, status, why string) []schema.LanguageRun {
	for i := range langs {
		l := &langs[i]
		switch l.Status {
		case langRunning:
			l.Status, l.Error = status, why
		case langPending:
			l.Status = status
		}
	}
	return langs
}

// endCancelled makes u end job j as cancelled, its unfinished languages too.
func endCancelled(j *tenant.ImportJob, u *tenant.ImportJobUpdateOne) *tenant.ImportJobUpdateOne {
	return u.SetStatus(importjob.StatusCancelled).SetFinishedAt(time.Now()).ClearNextAttemptAt().
		SetLanguages(settle(j.Languages, langCancelled, ""))
}

// finishCancelled ends a job whose attempt was cancelled.
func (s *Service) finishCancelled(ctx context.Context, t *tenantdb.Tenant, jobID int) error {
	_, err := s.jobUpdate(ctx, t, jobID, func(j *tenant.ImportJob, u *tenant.ImportJobUpdateOne) { endCancelled(j, u) })
	return err
}

// downloadFailed decides what a failed download of language i does: a
// temporary failure before the job's last attempt ends the attempt (the job
// is tried again); a failure to spool it is the server's, not the file's;
// anything else fails the language and the import goes on.
func (s *Service) downloadFailed(ctx context.Context, t *tenantdb.Tenant, j *tenant.ImportJob, i int, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, errSpool):
		return err
	case fetch.Temporary(err) && !lastAttempt(j):
		return &downloadError{lang: j.Languages[i].Language, url: j.Languages[i].URL, err: err}
	}
	return s.failLanguage(ctx, t, j.ID, i, err)
}
