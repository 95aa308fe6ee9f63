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
	srcs, err := s.sources(ctx, t)
	if err != nil {
		return err
	}
	order := languagesOf(j)
	// Downloads first: the staging transaction stays open only while it works.
	files := make([]*download, len(j.Languages))
	defer func() {
		for _, d := range files {
			d.close()
		}
	}()
	cur := map[string]int{}
	for i, l := range j.Languages {
		now := time.Now()
		if err := s.setLanguage(ctx, t, j.ID, i, func(l *schema.LanguageRun) { l.Status, l.StartedAt = langRunning, &now }); err != nil {
			return err
		}
		d, err := s.fetchFile(ctx, t.ID, l.URL, srcs[l.Language])
		switch {
		case err != nil:
			if err := s.downloadFailed(ctx, t, j, i, err); err != nil {
				return err
			}
		case d.file == nil:
			if src := srcs[l.Language]; src != nil {
				cur[l.Language] = src.LastJob
			}
			done := time.Now()
			if err := s.setLanguage(ctx, t, j.ID, i, func(l *schema.LanguageRun) { l.Status, l.FinishedAt = langUnchanged, &done }); err != nil {
				return err
			}
		default:
			files[i] = d
		}
	}
	outside := func(fn func(ctx context.Context) error) error { return s.db.Tx(context.WithoutCancel(ctx), t, fn) }
	var before Progress
	// The staging transaction is sctx; job rows and reports are written
	// outside it (ctx), so nothing of them waits for or dies with it.
	err = s.db.Tx(ctx, t, func(sctx context.Context) error {
		tx, err := tenantdb.SQLTx(sctx)
		if err != nil {
			return err
		}
		for i, l := range j.Languages {
			d := files[i]
			if d == nil {
				continue
			}
			current := map[string]bool{}
			for lang := range cur {
				current[lang] = true
			}
			st := &stager{s: s, jobID: j.ID, lang: l.Language, order: order, current: current, report: outside,
				progress: s.progressFn(ctx, t, j.ID, before)}
			if _, err := tx.ExecContext(sctx, `SAVEPOINT language`); err != nil {
				return err
			}
			err := st.run(sctx, d.file)
			if isFileError(err) {
				// An import would drop the whole file: so does its preview.
				if _, err := tx.ExecContext(sctx, `ROLLBACK TO SAVEPOINT language`); err != nil {
					return err
				}
				if err := outside(func(ctx context.Context) error {
					c, err := tenantdb.Current(ctx)
					if err != nil {
						return err
					}
					if _, err = c.ImportChange.Delete().Where(importchange.JobID(j.ID), importchange.Language(l.Language)).Exec(ctx); err != nil {
						return err
					}
					_, err = c.ImportRowError.Delete().Where(importrowerror.JobID(j.ID), importrowerror.Language(l.Language)).Exec(ctx)
					return err
				}); err != nil {
					return err
				}
				if err := s.failLanguage(ctx, t, j.ID, i, err); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			prev := 0
			if src := srcs[l.Language]; src != nil {
				prev = src.LastJob
			}
			if st.counts.Missing, err = missingFromFile(sctx, l.Language, prev); err != nil {
				return err
			}
			done := time.Now()
			if err := s.setLanguage(ctx, t, j.ID, i, func(l *schema.LanguageRun) { finishLanguage(l, st.counts, d.bytes, &done) }); err != nil {
				return err
			}
			cur[l.Language] = j.ID
			before.RowsDone += int64(st.counts.Rows)
			before.BytesDone += d.bytes
		}
		if err := s.finish(sctx, t, j.ID, cur, outside); err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}
