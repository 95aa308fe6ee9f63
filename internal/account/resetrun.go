package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/passwordresetjob"
	"github.com/bazaar/bazaar/ent/platform/passwordresetjobuser"
	"github.com/bazaar/bazaar/internal/fault"
)

// lockReset is the advisory lock namespace ("bzpr") of mass reset runs: the
// second key is the job's id, so one run at a time works on a job,
// whichever instance holds it.
const lockReset = 0x627a7072

// ErrResetBusy says another run holds the job.
var ErrResetBusy = errors.New("account: the password reset job is being run elsewhere")

// resetBatch is how many pending accounts a run reads at a time.
const resetBatch = 200

// RunReset resets the pending accounts of job id in user id order and
// finishes the job. Each account is reset in one platform transaction that
// also records its outcome and counts it — must change password, sessions
// and access tokens ended, a reset link mailed through the outbox (identity's
// ForcePasswordReset) — so a run that stops, however abruptly, has reset
// exactly the accounts it recorded, and the next run goes on from the
// first still pending: nobody is reset twice, nobody is missed. progress,
// if given, is told after each account.
func (s *Service) RunReset(ctx context.Context, id int, progress func(ResetJob)) error {
	conn, err := s.db.LockSession(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockReset, id).Scan(&got); err != nil {
		return err
	}
	if !got {
		return ErrResetBusy
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, lockReset, id) //nolint:errcheck // the session closes anyway

	job, err := s.db.Platform().PasswordResetJob.Get(ctx, id)
	if platform.IsNotFound(err) {
		return fault.New(fault.NotFound, "no password reset job %d", id)
	}
	if err != nil {
		return err
	}
	switch job.Status {
	case passwordresetjob.StatusSucceeded:
		return nil
	case passwordresetjob.StatusQueued:
		if job, err = job.Update().SetStatus(passwordresetjob.StatusRunning).SetStartedAt(time.Now()).Save(ctx); err != nil {
			return err
		}
	}
	by := Actor{UserID: job.CreatedBy, Email: job.ActorEmail, IP: job.ActorIP, RequestID: job.RequestID}
	reason := fmt.Sprintf("password reset job %d", id)
	after := 0
	for {
		rows, err := s.db.Platform().PasswordResetJobUser.Query().
			Where(passwordresetjobuser.JobID(id), passwordresetjobuser.UserIDGT(after),
				passwordresetjobuser.OutcomeEQ(passwordresetjobuser.OutcomePending)).
			Order(passwordresetjobuser.ByUserID()).Limit(resetBatch).All(ctx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			j, err := s.resetOne(ctx, id, row, by, reason)
			if err != nil {
				return fmt.Errorf("account: password reset job %d, user %d: %w", id, row.UserID, err)
			}
			if j != nil && progress != nil {
				progress(jobView(j))
			}
			after = row.UserID
		}
		if len(rows) < resetBatch {
			break
		}
	}
	job, err = s.db.Platform().PasswordResetJob.UpdateOneID(id).
		SetStatus(passwordresetjob.StatusSucceeded).SetFinishedAt(time.Now()).Save(ctx)
	if err == nil && progress != nil {
		progress(jobView(job))
	}
	return err
}

// resetOne resets the account of row, records the row's outcome and
// counts it on the job, in one transaction; a row found done meanwhile is
// left alone (nil job). An account gone or deactivated since the job was
// asked for is skipped, saying so.
func (s *Service) resetOne(ctx context.Context, jobID int, row *platform.PasswordResetJobUser, by Actor, reason string) (*platform.PasswordResetJob, error) {
	var job *platform.PasswordResetJob
	err := s.platformTx(ctx, func(tx *platform.Tx) error {
		r, err := tx.PasswordResetJobUser.Query().
			Where(passwordresetjobuser.ID(row.ID), passwordresetjobuser.OutcomeEQ(passwordresetjobuser.OutcomePending)).
			ForUpdate().Only(ctx)
		if platform.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		outcome, why := passwordresetjobuser.OutcomeReset, ""
		err = s.o.Accounts.ForceReset(ctx, tx, r.UserID, by, reason, s.resetLink)
		if fe, ok := fault.As(err); ok && (fe.Kind == fault.NotFound || fe.Kind == fault.Conflict) {
			// Refused before anything was written.
			outcome, why, err = passwordresetjobuser.OutcomeSkipped, SkipDeactivated, nil
			if fe.Kind == fault.NotFound {
				why = SkipGone
			}
		}
		if err != nil {
			return err
		}
		if err := tx.PasswordResetJobUser.UpdateOne(r).SetOutcome(outcome).SetReason(why).SetDoneAt(time.Now()).Exec(ctx); err != nil {
			return err
		}
		u := tx.PasswordResetJob.UpdateOneID(jobID).AddDone(1)
		if outcome == passwordresetjobuser.OutcomeReset {
			u.AddReset(1)
		} else {
			u.AddSkipped(1)
		}
		job, err = u.Save(ctx)
		return err
	})
	return job, err
}

// UnfinishedResets lists the mass resets still queued or running, oldest
// first: the resume check hands each to a run (which leaves one another
// run holds).
func (s *Service) UnfinishedResets(ctx context.Context) ([]int, error) {
	return s.db.Platform().PasswordResetJob.Query().
		Where(passwordresetjob.StatusIn(passwordresetjob.StatusQueued, passwordresetjob.StatusRunning)).
		Order(passwordresetjob.ByID()).IDs(ctx)
}
