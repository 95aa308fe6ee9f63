package marketplace

import (
	"context"
	"errors"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importchange"
	"github.com/bazaar/bazaar/ent/tenant/importrowerror"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/tenantdb"
)

// errDryRun rolls a dry run's staging back once its reports are written.
var errDryRun = errors.New("marketplace: dry run: roll back")

// runDry does everything an import would — downloads, merging, missing,
// counts, disagreements, bringing published products along (for the drift
// count) — in one transaction that is rolled back, writing
// only its reports (per row: create, update with the fields, unchanged; row
// errors; disagreements) and its job row, each in short transactions of
// their own. The catalogue is not touched.
func (s *Service) runDry(ctx context.Context, t *tenantdb.Tenant, j *tenant.ImportJob) error {
	a, err := s.newAttempt(ctx, t, j)
	if err != nil {
		return err
	}
	a.before = Progress{} // a dry run starts over
	// Downloads first: the staging transaction stays open only while it works.
	files, err := a.downloadAll(ctx)
	defer func() {
		for _, d := range files {
			d.close()
		}
	}()
	if err != nil {
		return err
	}
	// The staging transaction is sctx; job rows and reports are written
	// outside it (ctx), so nothing of them waits for or dies with it.
	outside := func(fn func(ctx context.Context) error) error { return s.db.Tx(context.WithoutCancel(ctx), t, fn) }
	err = s.db.Tx(ctx, t, func(sctx context.Context) error {
		for i, d := range files {
			if d == nil {
				continue
			}
			if err := a.previewLanguage(ctx, sctx, i, d, outside); err != nil {
				return err
			}
		}
		if err := s.finish(sctx, t, j.ID, a.cur, outside); err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

// downloadAll downloads every language's file, the unchanged ones (and the
// failed ones) nil.
func (a *attempt) downloadAll(ctx context.Context) ([]*download, error) {
	files := make([]*download, len(a.j.Languages))
	for i, l := range a.j.Languages {
		if err := a.begin(ctx, i); err != nil {
			return files, err
		}
		d, err := a.s.fetchFile(ctx, a.t.ID, l.URL, a.srcs[l.Language])
		switch {
		case err != nil:
			if err := a.s.downloadFailed(ctx, a.t, a.j, i, err); err != nil {
				return files, err
			}
		case d.file == nil:
			if err := a.unchanged(ctx, i); err != nil {
				return files, err
			}
		default:
			files[i] = d
		}
	}
	return files, nil
}

// previewLanguage stages language i's file inside the dry run's staging
// transaction sctx (under a savepoint, so a broken file is dropped whole, as
// an import would drop it), its reports written outside it.
func (a *attempt) previewLanguage(ctx, sctx context.Context, i int, d *download, outside func(fn func(ctx context.Context) error) error) error {
	l := a.j.Languages[i]
	tx, err := tenantdb.SQLTx(sctx)
	if err != nil {
		return err
	}
	st := a.stager(ctx, i)
	st.report = outside
	if _, err := tx.ExecContext(sctx, `SAVEPOINT language`); err != nil {
		return err
	}
	err = st.run(sctx, d.file)
	if isFileError(err) {
		if _, err := tx.ExecContext(sctx, `ROLLBACK TO SAVEPOINT language`); err != nil {
			return err
		}
		if err := outside(func(ctx context.Context) error {
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			if _, err = c.ImportChange.Delete().Where(importchange.JobID(a.j.ID), importchange.Language(l.Language)).Exec(ctx); err != nil {
				return err
			}
			_, err = c.ImportRowError.Delete().Where(importrowerror.JobID(a.j.ID), importrowerror.Language(l.Language)).Exec(ctx)
			return err
		}); err != nil {
			return err
		}
		return a.s.failLanguage(ctx, a.t, a.j.ID, i, err)
	}
	if err != nil {
		return err
	}
	if st.counts.Missing, err = missingFromFile(sctx, l.Language, a.lastJob(l.Language)); err != nil {
		return err
	}
	done := time.Now()
	if err := a.s.setLanguage(ctx, a.t, a.j.ID, i, func(l *schema.LanguageRun) { finishLanguage(l, st.counts, d.bytes, &done) }); err != nil {
		return err
	}
	a.read(i, st.counts, d.bytes)
	return nil
}
