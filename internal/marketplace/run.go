package marketplace

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importchange"
	"github.com/bazaar/bazaar/ent/tenant/importdisagreement"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/importrowerror"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/tenantdb"
)

// Errors RunJob returns for the queue to act on.
var (
	// ErrBusy: another worker holds this vendor's import lock.
	ErrBusy = errors.New("marketplace: an import of this vendor is running elsewhere")
	// ErrNoJob: the job row does not exist (yet: its transaction may not
	// have committed; or it never will).
	ErrNoJob = errors.New("marketplace: no such import job")
)

// lockImport is the advisory lock class held (per vendor) while an import
// runs. It is a session lock on a connection of its own, so it vanishes
// with a killed worker's connection and a restarted job can take over.
const lockImport = 0x62617a01

// RunJob runs an attempt of an import job. It is safe to call again for a
// job that was interrupted: an import's language files each commit in one
// transaction, so the files finished stay finished and the one in progress
// starts over; a dry run starts over entirely. Counts are therefore exact
// and nothing is staged twice.
//
// It returns nil when the job has ended (succeeded, partially failed,
// failed, cancelled — a failure a retry cannot fix is recorded on the job,
// not returned), a *RetryError when the job is queued for another attempt,
// ErrBusy or ErrNoJob, or the context's error when it was stopped. It opens
// transactions of its own, so ctx must not be bound to another tenant.
func (s *Service) RunJob(ctx context.Context, t *tenantdb.Tenant, jobID int) error {
	if err := tenantdb.CheckTenant(ctx, t); err != nil {
		return err
	}
	conn, err := s.db.LockSession(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var locked bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockImport, t.ID).Scan(&locked); err != nil {
		return err
	}
	if !locked {
		return ErrBusy
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, lockImport, t.ID) //nolint:errcheck // the connection closes anyway
	s.sweepSpool(t.ID)

	j, err := s.start(ctx, t, jobID)
	if err != nil || j == nil {
		return err
	}
	log := s.log.With("tenant", t.Slug, "import", jobID, "dry_run", j.DryRun)
	log.Info("import started", "attempt", j.Attempts)
	actx, stop := s.watchCancel(ctx, t, jobID)
	defer stop()
	if j.DryRun {
		err = s.runDry(actx, t, j)
	} else {
		err = s.runImport(actx, t, j)
	}
	if err != nil {
		return s.attemptFailed(actx, t, j, err, log)
	}
	log.Info("import finished")
	return nil
}

// start marks the job running and says where to resume; nil when there is
// nothing to do: it has ended, or it ends here — cancelled (the request came
// while no attempt ran), or failed when its attempts are spent (a job whose
// server died under it every time).
func (s *Service) start(ctx context.Context, t *tenantdb.Tenant, jobID int) (*tenant.ImportJob, error) {
	var out *tenant.ImportJob
	err := s.db.Tx(ctx, t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		j, err := lockJob(ctx, c, jobID)
		if tenant.IsNotFound(err) {
			return ErrNoJob
		}
		if err != nil {
			return err
		}
		now := time.Now()
		switch {
		case j.Status != importjob.StatusQueued && j.Status != importjob.StatusRunning:
			return nil
		case j.CancelRequested:
			return endCancelled(j, j.Update()).Exec(ctx)
		case lastAttempt(j):
			// Only a job still running gets here (a failed attempt is queued
			// again only while attempts are left): the last one died.
			return j.Update().SetStatus(importjob.StatusFailed).SetFinishedAt(now).ClearNextAttemptAt().
				SetError(fmt.Sprintf("gave up after %d attempts: the last one was interrupted (its server stopped)", j.Attempts)).
				SetLanguages(settle(j.Languages, langFailed, "")).Exec(ctx)
		}
		langs := j.Languages
		var rows, bytes int64
		for i := range langs {
			l := &langs[i]
			if !j.DryRun && (l.Status == langDone || l.Status == langUnchanged) {
				rows += int64(l.Rows)
				bytes += l.Bytes
				continue
			}
			*l = schema.LanguageRun{Language: l.Language, URL: l.URL, Status: langPending}
		}
		if j.DryRun {
			// A dry run's reports are written as it goes; a restart redoes them.
			for _, del := range []func() error{
				func() error { _, err := c.ImportChange.Delete().Where(importchange.JobID(jobID)).Exec(ctx); return err },
				func() error {
					_, err := c.ImportRowError.Delete().Where(importrowerror.JobID(jobID)).Exec(ctx)
					return err
				},
				func() error {
					_, err := c.ImportDisagreement.Delete().Where(importdisagreement.JobID(jobID)).Exec(ctx)
					return err
				},
			} {
				if err := del(); err != nil {
					return err
				}
			}
		}
		up := j.Update().SetStatus(importjob.StatusRunning).AddAttempts(1).SetLanguages(langs).
			SetRowsDone(rows).SetBytesDone(bytes).ClearNextAttemptAt()
		if j.Status == importjob.StatusRunning && j.Attempts > 0 {
			// Still running: the attempt before died with its server.
			up.SetLastError(fmt.Sprintf("attempt %d was interrupted (its server stopped)", j.Attempts))
		}
		if j.StartedAt == nil {
			up.SetStartedAt(now)
		}
		out, err = up.Save(ctx)
		return err
	})
	return out, err
}

// lockJob reads a job row and locks it against other changes (a cancel, an
// attempt starting or ending) until the transaction ends. FOR NO KEY
// UPDATE: a running import holds KEY SHARE locks on its job row (its
// reports reference it) until its file commits; FOR UPDATE would wait for
// that, this does not.
func lockJob(ctx context.Context, c *tenant.Client, id int) (*tenant.ImportJob, error) {
	return c.ImportJob.Query().Where(importjob.ID(id)).Modify(func(s *sql.Selector) { s.For(sql.LockNoKeyUpdate) }).Only(ctx)
}

// jobUpdate changes the job row in a short transaction of its own (also
// when ctx is cancelled), fn seeing it locked.
func (s *Service) jobUpdate(ctx context.Context, t *tenantdb.Tenant, jobID int, fn func(j *tenant.ImportJob, u *tenant.ImportJobUpdateOne)) (*tenant.ImportJob, error) {
	var out *tenant.ImportJob
	err := s.db.Tx(context.WithoutCancel(ctx), t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		j, err := lockJob(ctx, c, jobID)
		if err != nil {
			return err
		}
		u := j.Update()
		fn(j, u)
		out, err = u.Save(ctx)
		return err
	})
	return out, err
}

func (s *Service) setLanguage(ctx context.Context, t *tenantdb.Tenant, jobID int, i int, fn func(l *schema.LanguageRun)) error {
	_, err := s.jobUpdate(ctx, t, jobID, func(j *tenant.ImportJob, u *tenant.ImportJobUpdateOne) {
		langs := j.Languages
		fn(&langs[i])
		u.SetLanguages(langs)
	})
	return err
}

// progressFn saves progress at most every ProgressEvery (a cancel request
// reaches the attempt through its context: watchCancel).
func (s *Service) progressFn(ctx context.Context, t *tenantdb.Tenant, jobID int, before Progress) func(rows int, bytes int64) error {
	last := time.Now()
	return func(rows int, bytes int64) error {
		if time.Since(last) < s.o.ProgressEvery {
			return ctx.Err()
		}
		last = time.Now()
		_, err := s.jobUpdate(ctx, t, jobID, func(_ *tenant.ImportJob, u *tenant.ImportJobUpdateOne) {
			u.SetRowsDone(before.RowsDone + int64(rows)).SetBytesDone(before.BytesDone + bytes)
		})
		if err != nil {
			return err
		}
		return ctx.Err()
	}
}

// languagesOf is the job's languages in order, the primary first.
func languagesOf(j *tenant.ImportJob) []string {
	out := make([]string, len(j.Languages))
	for i, l := range j.Languages {
		out[i] = l.Language
	}
	return out
}

// languageError is what a vendor is told about a file that failed: the
// download's or the parser's own words (they are about the vendor's file and
// URL), never a database error. They may quote what a server sent (a status
// line), so they are made storable and bounded like a feed's text.
func languageError(err error) string {
	var fe *letzshop.FileError
	var dns *net.DNSError
	msg := err.Error()
	switch {
	case errors.As(err, &fe):
		msg = fe.Error()
	case errors.As(err, &dns):
		// Not the resolver's own words: they name our DNS server.
		msg = fmt.Sprintf("the host %s could not be resolved", dns.Name)
	}
	msg, _ = letzshop.Excerpt(msg, maxMessageBytes)
	return msg
}

// maxMessageBytes bounds an error message kept on a job.
const maxMessageBytes = 1000

// runImport reads every language file not yet read by an earlier attempt,
// each in its own transaction, then finishes the job: missing products,
// totals, published products brought along.
func (s *Service) runImport(ctx context.Context, t *tenantdb.Tenant, j *tenant.ImportJob) error {
	a, err := s.newAttempt(ctx, t, j)
	if err != nil {
		return err
	}
	for i, l := range j.Languages {
		switch l.Status {
		case langDone: // committed by an earlier attempt
			a.cur[l.Language] = j.ID
		case langUnchanged:
			a.keepLast(l.Language)
		default:
			if err := a.importLanguage(ctx, i); err != nil {
				return err
			}
		}
	}
	return s.db.Tx(ctx, t, func(ctx context.Context) error {
		return s.finish(ctx, t, j.ID, a.cur, inTx(ctx))
	})
}

// inTx writes reports into the transaction bound to ctx.
func inTx(ctx context.Context) func(fn func(ctx context.Context) error) error {
	return func(fn func(ctx context.Context) error) error { return fn(ctx) }
}

// importLanguage downloads language i's file and stages it in one
// transaction with its counts, its source and its outcome on the job: a
// killed server leaves the file either done or untouched. A failed download
// or a broken file fails the language (or ends the attempt, when a retry
// may do better); the import goes on with the next.
func (a *attempt) importLanguage(ctx context.Context, i int) error {
	l := a.j.Languages[i]
	if err := a.begin(ctx, i); err != nil {
		return err
	}
	d, err := a.s.fetchFile(ctx, a.t.ID, l.URL, a.srcs[l.Language])
	if err != nil {
		return a.s.downloadFailed(ctx, a.t, a.j, i, err)
	}
	defer d.close()
	if d.file == nil {
		if err := a.s.db.Tx(ctx, a.t, func(ctx context.Context) error {
			return saveSource(ctx, l.Language, l.URL, d, a.j.ID, true)
		}); err != nil {
			return err
		}
		return a.unchanged(ctx, i)
	}
	st := a.stager(ctx, i)
	err = a.s.db.Tx(ctx, a.t, func(ctx context.Context) error {
		st.report = inTx(ctx)
		if err := st.run(ctx, d.file); err != nil {
			return err
		}
		var err error
		if st.counts.Missing, err = missingFromFile(ctx, l.Language, a.lastJob(l.Language)); err != nil {
			return err
		}
		if err := saveSource(ctx, l.Language, l.URL, d, a.j.ID, false); err != nil {
			return err
		}
		// The language's outcome commits with its rows — unless a cancel was
		// asked for meanwhile: the file's rows are then rolled back, so an
		// accepted cancel never lets a file through that the watch (which
		// looks every CancelCheck) had no time to stop. Locking the job row
		// here orders the two: a cancel committed first is seen; one asked
		// after waits for this commit and stops the next file.
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		jr, err := lockJob(ctx, c, a.j.ID)
		if err != nil {
			return err
		}
		if jr.CancelRequested {
			return errCancelled
		}
		langs := jr.Languages
		done := time.Now()
		finishLanguage(&langs[i], st.counts, d.bytes, &done)
		return c.ImportJob.UpdateOneID(a.j.ID).SetLanguages(langs).
			SetRowsDone(a.before.RowsDone + int64(st.counts.Rows)).SetBytesDone(a.before.BytesDone + d.bytes).Exec(ctx)
	})
	if isFileError(err) {
		return a.s.failLanguage(ctx, a.t, a.j.ID, i, err)
	}
	if err != nil {
		return err
	}
	a.read(i, st.counts, d.bytes)
	return nil
}

func isFileError(err error) bool {
	var fe *letzshop.FileError
	return errors.As(err, &fe)
}

func finishLanguage(l *schema.LanguageRun, c fileCounts, bytes int64, at *time.Time) {
	l.Status, l.FinishedAt = langDone, at
	l.Rows, l.Created, l.Merged, l.Updated, l.Unchanged, l.Missing, l.Failed = c.Rows, c.Created, c.Merged, c.Updated, c.Unchanged, c.Missing, c.Failed
	l.Bytes = bytes
}

func (s *Service) failLanguage(ctx context.Context, t *tenantdb.Tenant, jobID, i int, cause error) error {
	done := time.Now()
	return s.setLanguage(ctx, t, jobID, i, func(l *schema.LanguageRun) {
		*l = schema.LanguageRun{Language: l.Language, URL: l.URL, Status: langFailed, Error: languageError(cause), StartedAt: l.StartedAt, FinishedAt: &done}
	})
}

// attempt is what one attempt of an import, real or dry, carries from one
// language to the next: the sources the last import left, the languages in
// order, which job's reading of each language's file is current, and the
// progress made before the file at hand.
type attempt struct {
	s      *Service
	t      *tenantdb.Tenant
	j      *tenant.ImportJob
	srcs   map[string]*tenant.ImportSource
	order  []string
	cur    map[string]int
	before Progress
}

func (s *Service) newAttempt(ctx context.Context, t *tenantdb.Tenant, j *tenant.ImportJob) (*attempt, error) {
	srcs, err := s.sources(ctx, t)
	if err != nil {
		return nil, err
	}
	return &attempt{s: s, t: t, j: j, srcs: srcs, order: languagesOf(j), cur: map[string]int{},
		before: Progress{RowsDone: j.RowsDone, BytesDone: j.BytesDone}}, nil
}

// lastJob is the import that last read lang's file (0: none).
func (a *attempt) lastJob(lang string) int {
	if src := a.srcs[lang]; src != nil {
		return src.LastJob
	}
	return 0
}

// keepLast keeps the last import's reading of lang's file as the current
// one, if there is one.
func (a *attempt) keepLast(lang string) {
	if last := a.lastJob(lang); last != 0 {
		a.cur[lang] = last
	}
}

// begin marks language i running.
func (a *attempt) begin(ctx context.Context, i int) error {
	now := time.Now()
	return a.s.setLanguage(ctx, a.t, a.j.ID, i, func(l *schema.LanguageRun) { l.Status, l.StartedAt = langRunning, &now })
}

// unchanged marks language i unchanged: its file is what the last import
// read, whose reading stays current.
func (a *attempt) unchanged(ctx context.Context, i int) error {
	a.keepLast(a.j.Languages[i].Language)
	done := time.Now()
	return a.s.setLanguage(ctx, a.t, a.j.ID, i, func(l *schema.LanguageRun) { l.Status, l.FinishedAt = langUnchanged, &done })
}

// stager reads language i's file into the staging area; the caller sets
// where its reports go.
func (a *attempt) stager(ctx context.Context, i int) *stager {
	current := map[string]bool{}
	for lang := range a.cur {
		current[lang] = true
	}
	return &stager{s: a.s, jobID: a.j.ID, lang: a.j.Languages[i].Language, order: a.order, current: current,
		progress: a.s.progressFn(ctx, a.t, a.j.ID, a.before)}
}

// read records that language i's file was read: this job's reading is now
// the current one, and the progress moves past it.
func (a *attempt) read(i int, c fileCounts, bytes int64) {
	a.cur[a.j.Languages[i].Language] = a.j.ID
	a.before.RowsDone += int64(c.Rows)
	a.before.BytesDone += bytes
}
