package marketplace

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/bazaar/bazaar/internal/letzshop"
)

// The job's reports, written with COPY: every row's outcome, the refused
// rows, the disagreements between languages.

func (st *stager) writeChanges(ctx context.Context, tx *sql.Tx, changes []change) error {
	if len(changes) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `COPY import_changes (job_id, feed_id, language, line, action, fields) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("marketplace: record changes: %w", err)
	}
	defer stmt.Close()
	for _, c := range changes {
		var fields any
		if len(c.fields) > 0 {
			b, _ := json.Marshal(c.fields)
			fields = string(b)
		}
		lang := st.lang
		if c.action == "missing" {
			lang = ""
		}
		if _, err := stmt.ExecContext(ctx, st.jobID, c.feedID, lang, c.line, c.action, fields); err != nil {
			return fmt.Errorf("marketplace: record changes: %w", err)
		}
	}
	_, err = stmt.ExecContext(ctx)
	return err
}

func (st *stager) writeRowErrors(ctx context.Context, tx *sql.Tx, errs []*letzshop.RowError) error {
	if len(errs) == 0 || st.errorsKept >= st.s.o.MaxRowErrors {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `COPY import_row_errors (job_id, language, line, "column", field, reason, raw, raw_note) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("marketplace: record row errors: %w", err)
	}
	defer stmt.Close()
	for _, e := range errs {
		if st.errorsKept >= st.s.o.MaxRowErrors {
			break
		}
		st.errorsKept++
		raw, note := letzshop.Excerpt(e.Raw, st.s.o.MaxRawBytes)
		for _, p := range e.Problems {
			if _, err := stmt.ExecContext(ctx, st.jobID, st.lang, e.Line, p.Column, p.Field, p.Reason, raw, note); err != nil {
				return fmt.Errorf("marketplace: record row errors: %w", err)
			}
		}
	}
	_, err = stmt.ExecContext(ctx)
	return err
}

func writeDisagreements(ctx context.Context, tx *sql.Tx, jobID int, dis []disagreement) error {
	if len(dis) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `COPY import_disagreements (job_id, feed_id, field, "values") FROM STDIN`)
	if err != nil {
		return fmt.Errorf("marketplace: record disagreements: %w", err)
	}
	defer stmt.Close()
	for _, d := range dis {
		b, _ := json.Marshal(d.values)
		if _, err := stmt.ExecContext(ctx, jobID, d.feedID, d.field, string(b)); err != nil {
			return fmt.Errorf("marketplace: record disagreements: %w", err)
		}
	}
	_, err = stmt.ExecContext(ctx)
	return err
}
