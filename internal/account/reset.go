package account

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/passwordresetjob"
	"github.com/bazaar/bazaar/ent/platform/passwordresetjobuser"
	"github.com/bazaar/bazaar/ent/platform/user"
	entvendor "github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// ResetSelection says whose passwords a mass reset covers — exactly one of:
// the accounts listed, a vendor's team (its active members), or every
// active account, the last only with Confirm set to ConfirmAll.
type ResetSelection struct {
	UserIDs  []int  `json:"user_ids"`
	VendorID int    `json:"vendor_id"`
	All      bool   `json:"all"`
	Confirm  string `json:"confirm"`
}

// ConfirmAll is the phrase a reset of every password must be sent with.
const ConfirmAll = "reset every password"

// MaxResetUsers bounds the accounts one reset lists by id.
const MaxResetUsers = 1000

// What became of an account in a mass reset, and why one was skipped.
const (
	OutcomePending = "pending"
	OutcomeReset   = "reset"
	OutcomeSkipped = "skipped"

	SkipYourself    = "yourself: list your own id to reset your password too"
	SkipDeactivated = "deactivated"
	SkipGone        = "the account no longer exists"
)

// ResetJob is a mass password reset and how far it has come: the accounts
// it covers (Users), how many are done, and of those how many were reset
// and how many skipped.
type ResetJob struct {
	ID         int        `json:"id"`
	Status     string     `json:"status"` // queued, running, succeeded
	Scope      string     `json:"scope"`  // users, vendor, all
	VendorID   *int       `json:"vendor_id,omitempty"`
	Users      int        `json:"users"`
	Done       int        `json:"done"`
	Reset      int        `json:"reset"`
	Skipped    int        `json:"skipped"`
	ActorID    int        `json:"actor_id"`
	ActorEmail string     `json:"actor_email,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

func jobView(j *platform.PasswordResetJob) ResetJob {
	return ResetJob{ID: j.ID, Status: string(j.Status), Scope: string(j.Scope), VendorID: j.VendorID,
		Users: j.Users, Done: j.Done, Reset: j.Reset, Skipped: j.Skipped, ActorID: j.CreatedBy, ActorEmail: j.ActorEmail,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt}
}

// check validates sel and returns its scope and the ids listed (sorted,
// once each).
func (s *Service) check(ctx context.Context, sel ResetSelection) (passwordresetjob.Scope, []int, error) {
	bad := map[string]string{}
	given := 0
	if sel.UserIDs != nil {
		given++
	}
	if sel.VendorID != 0 {
		given++
	}
	if sel.All {
		given++
	}
	const one = "give exactly one of user_ids, vendor_id and all"
	if given != 1 {
		return "", nil, fault.Fields("say whose passwords to reset", map[string]string{"user_ids": one, "vendor_id": one, "all": one})
	}
	switch {
	case sel.All:
		if sel.Confirm != ConfirmAll {
			msg := fmt.Sprintf("must be %q to reset every password", ConfirmAll)
			return "", nil, &fault.Error{Kind: fault.Invalid, Code: "confirmation_required",
				Message: "resetting every password needs the confirmation phrase", Fields: map[string]string{"confirm": msg}}
		}
		return passwordresetjob.ScopeAll, nil, nil
	case sel.Confirm != "":
		bad["confirm"] = "is only for all"
	}
	if sel.VendorID != 0 {
		if sel.VendorID < 0 {
			bad["vendor_id"] = "must be a vendor id (a positive whole number)"
		} else if ok, err := s.db.Platform().Vendor.Query().Where(entvendor.ID(sel.VendorID)).Exist(ctx); err != nil {
			return "", nil, err
		} else if !ok {
			bad["vendor_id"] = "is no vendor"
		}
		return passwordresetjob.ScopeVendor, nil, fault.Fields("the reset cannot be started", bad)
	}
	switch {
	case len(sel.UserIDs) == 0:
		bad["user_ids"] = "must list at least one account"
	case len(sel.UserIDs) > MaxResetUsers:
		bad["user_ids"] = fmt.Sprintf("must list at most %d accounts", MaxResetUsers)
	}
	ids := slices.Compact(slices.Sorted(slices.Values(sel.UserIDs)))
	if len(bad) == 0 {
		found, err := s.db.Platform().User.Query().Where(user.IDIn(ids...)).IDs(ctx)
		if err != nil {
			return "", nil, err
		}
		for i, id := range sel.UserIDs {
			if !slices.Contains(found, id) {
				bad["user_ids["+strconv.Itoa(i)+"]"] = "is no account"
			}
		}
	}
	return passwordresetjob.ScopeUsers, ids, fault.Fields("the reset cannot be started", bad)
}

// StartReset records a mass password reset of sel and queues its run. The
// accounts it covers are fixed now, one row each, in the transaction that
// records the job and its event (user.password_reset_job): every active
// account for all, the vendor's active members for a vendor, the accounts
// listed for ids (a deactivated one is skipped when the run reaches it).
// The acting super admin's own account is left out of a vendor's team and
// of all — recorded as skipped, saying so — unless listed by id.
func (s *Service) StartReset(ctx context.Context, a Actor, sel ResetSelection) (*ResetJob, error) {
	scope, ids, err := s.check(ctx, sel)
	if err != nil {
		return nil, err
	}
	var out *platform.PasswordResetJob
	err = s.platformTx(ctx, func(tx *platform.Tx) error {
		c := tx.PasswordResetJob.Create().SetCreatedBy(a.UserID).SetActorEmail(a.Email).
			SetActorIP(clip(a.IP, 64)).SetRequestID(clip(a.RequestID, 64)).SetScope(scope)
		if scope == passwordresetjob.ScopeVendor {
			c.SetVendorID(sel.VendorID)
		}
		job, err := c.Save(ctx)
		if err != nil {
			return err
		}
		users, skipped, err := s.selectAccounts(ctx, tx, job.ID, scope, sel.VendorID, ids, a.UserID)
		if err != nil {
			return err
		}
		if out, err = job.Update().SetUsers(users).SetDone(skipped).SetSkipped(skipped).Save(ctx); err != nil {
			return err
		}
		after := map[string]any{"scope": string(scope), "users": users, "skipped": skipped}
		switch scope {
		case passwordresetjob.ScopeVendor:
			after["vendor_id"] = sel.VendorID
		case passwordresetjob.ScopeUsers:
			after["user_ids"] = ids
		}
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "user.password_reset_job", TargetType: "password_reset_job",
			TargetID: strconv.Itoa(job.ID), After: after, IP: a.IP, RequestID: a.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	if s.queue != nil {
		if err := s.queue.EnqueueReset(ctx, out.ID); err != nil {
			// The job is recorded; the resume check will queue it.
			s.log.ErrorContext(ctx, "queue a mass password reset", "job", out.ID, "err", err)
		}
	}
	v := jobView(out)
	return &v, nil
}

// selectAccounts writes the job's rows, one per account it covers, in one
// statement, and returns how many there are and how many were skipped at
// once (the actor, outside a list of ids).
func (s *Service) selectAccounts(ctx context.Context, tx *platform.Tx, jobID int, scope passwordresetjob.Scope, vendorID int, ids []int, actor int) (users, skipped int, err error) {
	ps := pq.QuoteIdentifier(tenantdb.PlatformSchema)
	var where string
	args := []any{jobID, actor, SkipYourself}
	switch scope {
	case passwordresetjob.ScopeUsers:
		where, args[1] = `u.id = ANY($4)`, 0 // the actor is reset when listed
		args = append(args, pq.Array(ids))
	case passwordresetjob.ScopeVendor:
		where = fmt.Sprintf(`u.active AND EXISTS (SELECT 1 FROM %s.memberships m WHERE m.user_id = u.id AND m.vendor_id = $4 AND m.active)`, ps)
		args = append(args, vendorID)
	default:
		where = `u.active`
	}
	q := fmt.Sprintf(`INSERT INTO %[1]s.password_reset_job_users (job_id, user_id, outcome, reason, done_at)
SELECT $1, u.id,
       CASE WHEN u.id = $2 THEN 'skipped' ELSE 'pending' END,
       CASE WHEN u.id = $2 THEN $3 ELSE '' END,
       CASE WHEN u.id = $2 THEN now() END
FROM %[1]s.users u WHERE %[2]s`, ps, where)
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("account: select the accounts of reset job %d: %w", jobID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, 0, err
	}
	if args[1] != 0 { // was the actor among them?
		skipped, err = tx.PasswordResetJobUser.Query().
			Where(passwordresetjobuser.JobID(jobID), passwordresetjobuser.UserID(actor)).Count(ctx)
		if err != nil {
			return 0, 0, err
		}
	}
	return int(n), skipped, nil
}

// Reset returns mass password reset id and its progress.
func (s *Service) Reset(ctx context.Context, id int) (*ResetJob, error) {
	j, err := s.db.Platform().PasswordResetJob.Get(ctx, id)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no password reset job %d", id)
	}
	if err != nil {
		return nil, err
	}
	v := jobView(j)
	return &v, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
