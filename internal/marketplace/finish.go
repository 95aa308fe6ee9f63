package marketplace

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/tenantdb"
)

// missingFromFile counts the products the language's previous file listed
// and this one does not.
func missingFromFile(ctx context.Context, lang string, prevJob int) (int, error) {
	if prevJob == 0 {
		return 0, nil
	}
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return 0, err
	}
	pred, args := listed(map[string]int{lang: prevJob}, 1)
	var n int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM staged_products WHERE `+pred, args...).Scan(&n)
	return n, err
}

// listed builds the predicate "the current file of some language lists the
// product", with its arguments numbered from argN. It is never NULL — a
// product some language's file never listed has no key for it in seen, and
// `seen ->> lang = job` would be NULL there, so NOT of it would never hold —
// hence containment.
func listed(cur map[string]int, argN int) (string, []any) {
	if len(cur) == 0 {
		return "false", nil
	}
	var parts []string
	var args []any
	for lang, job := range cur {
		parts = append(parts, fmt.Sprintf("seen @> jsonb_build_object($%d::text, $%d::bigint)", argN, argN+1))
		args = append(args, lang, job)
		argN += 2
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// finish closes a job in the tenant transaction bound to ctx: products no
// longer listed by any language's file are marked missing (only when every
// file was read: a failed download says nothing about what is missing),
// totals are counted from the staged rows, disagreements are kept once per
// product and field, published products follow the feed (sync), and the job
// gets its final status. report writes the job's reports and row (the same
// transaction, or short ones for a dry run). A dry run syncs too, in its
// transaction that is rolled back: its drift count is the import's.
func (s *Service) finish(ctx context.Context, t *tenantdb.Tenant, jobID int, cur map[string]int, report func(func(ctx context.Context) error) error) error {
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	j, err := c.ImportJob.Get(ctx, jobID)
	if err != nil {
		return err
	}
	var failedFiles, doneFiles int
	var rows, failedRows int
	var bytes int64
	var msgs []string
	for _, l := range j.Languages {
		switch l.Status {
		case langFailed:
			failedFiles++
			msgs = append(msgs, fileMessage(l.Language, l.URL, l.Error))
		case langDone, langUnchanged:
			doneFiles++
		}
		rows += l.Rows
		failedRows += l.Failed
		bytes += l.Bytes
	}
	var missingNow []change
	if failedFiles == 0 {
		pred, args := listed(cur, 2)
		rs, err := tx.QueryContext(ctx, `UPDATE staged_products SET missing_since_job = $1
			WHERE missing_since_job IS NULL AND NOT `+pred+` RETURNING feed_id`, append([]any{jobID}, args...)...)
		if err != nil {
			return fmt.Errorf("marketplace: mark missing: %w", err)
		}
		for rs.Next() {
			var id string
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return err
			}
			missingNow = append(missingNow, change{feedID: id, action: "missing"})
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
	}
	var created, updated, missing, listedN int
	pred, args := listed(cur, 2)
	err = tx.QueryRowContext(ctx, `SELECT
			count(*) FILTER (WHERE created_job = $1),
			count(*) FILTER (WHERE changed_job = $1 AND created_job <> $1),
			count(*) FILTER (WHERE missing_since_job IS NOT NULL),
			count(*) FILTER (WHERE `+pred+`)
		FROM staged_products`, append([]any{jobID}, args...)...).Scan(&created, &updated, &missing, &listedN)
	if err != nil {
		return fmt.Errorf("marketplace: count: %w", err)
	}
	drifted := 0
	if s.sync != nil {
		if drifted, err = s.sync(ctx, jobID); err != nil {
			return err
		}
	}
	status := importjob.StatusSucceeded
	switch {
	case doneFiles == 0:
		status = importjob.StatusFailed
	case failedFiles > 0 || failedRows > 0:
		status = importjob.StatusPartiallyFailed
	}
	return report(func(ctx context.Context) error {
		tx, err := tenantdb.SQLTx(ctx)
		if err != nil {
			return err
		}
		st := &stager{jobID: jobID}
		if err := st.writeChanges(ctx, tx, missingNow); err != nil {
			return err
		}
		var disagreements int
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_disagreements a USING import_disagreements b
			WHERE a.job_id = $1 AND b.job_id = $1 AND a.feed_id = b.feed_id AND a.field = b.field AND a.id < b.id`, jobID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM import_disagreements WHERE job_id = $1`, jobID).Scan(&disagreements); err != nil {
			return err
		}
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		err = c.ImportJob.UpdateOneID(jobID).SetStatus(status).SetFinishedAt(time.Now()).
			SetRows(rows).SetCreated(created).SetUpdated(updated).SetUnchanged(max(listedN-created-updated, 0)).
			SetMissing(missing).SetFailed(failedRows).SetDrifted(drifted).SetDisagreements(disagreements).
			SetRowsDone(int64(rows)).SetBytesDone(bytes).SetError(strings.Join(msgs, "; ")).Exec(ctx)
		if err != nil {
			return err
		}
		return s.prune(ctx, tx)
	})
}

// prune drops the oldest finished jobs beyond KeepJobs, reports included.
func (s *Service) prune(ctx context.Context, tx *sql.Tx) error {
	// import_changes has no foreign key (see the schema): its rows go here.
	_, err := tx.ExecContext(ctx, `WITH gone AS (
			DELETE FROM import_jobs WHERE id IN (
				SELECT id FROM import_jobs WHERE status NOT IN ('queued', 'running') ORDER BY id DESC OFFSET $1)
			RETURNING id)
		DELETE FROM import_changes WHERE job_id IN (SELECT id FROM gone)`, s.o.KeepJobs)
	return err
}
