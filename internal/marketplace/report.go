package marketplace

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importchange"
	"github.com/bazaar/bazaar/ent/tenant/importdisagreement"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/importrowerror"
	"github.com/bazaar/bazaar/internal/csvcell"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Change is one row's outcome in an import (or a dry run).
type Change struct {
	ID       int      `json:"id"`
	FeedID   string   `json:"feed_id"`
	Language string   `json:"language"`
	Line     int      `json:"line"`
	Action   string   `json:"action"` // create, merge, update, unchanged, missing
	Fields   []string `json:"fields,omitempty"`
}

// RowError is a refused feed line. Raw is the line as it was, unless
// RawNote says what was done to keep it (cut; bytes that are not text
// shown as \xNN).
type RowError struct {
	ID       int    `json:"id"`
	Language string `json:"language"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Field    string `json:"field"`
	Reason   string `json:"reason"`
	Raw      string `json:"raw"`
	RawNote  string `json:"raw_note,omitempty"`
}

// Disagreement is a field on which a product's language files differ.
type Disagreement struct {
	ID     int               `json:"id"`
	FeedID string            `json:"feed_id"`
	Field  string            `json:"field"`
	Values map[string]string `json:"values"`
}

// ReportLimits bound a page of an import's reports (changes, refused rows,
// disagreements).
var ReportLimits = page.Bounds{Default: 50, Max: 200}

// report pages one kind of a job's reports by id, in id order; its cursors
// name the job, so one job's cursor is refused by another's report.
func report(kind string, jobID int) page.ByID {
	return page.ByID{List: kind + "/" + strconv.Itoa(jobID), Bounds: ReportLimits}
}

// reportPage starts a page of one of a job's reports: the bound client, and
// a 404 for a job that does not exist.
func reportPage(ctx context.Context, jobID int) (*tenant.Client, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := c.ImportJob.Query().Where(importjob.ID(jobID)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("marketplace: job: %w", err)
	}
	if !ok {
		return nil, fault.New(fault.NotFound, "import %d not found", jobID)
	}
	return c, nil
}

// Changes lists a job's per-row outcomes, optionally of one action or
// language, a page at a time.
func (s *Service) Changes(ctx context.Context, jobID int, action, lang string, r page.Request) (page.Page[Change], error) {
	list := report("changes", jobID)
	bad := map[string]string{}
	limit, after := list.Start(r, bad)
	if action != "" && importchange.ActionValidator(importchange.Action(action)) != nil {
		bad["action"] = "must be create, merge, update, unchanged or missing"
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[Change]{}, err
	}
	c, err := reportPage(ctx, jobID)
	if err != nil {
		return page.Page[Change]{}, err
	}
	q := c.ImportChange.Query().Where(importchange.JobID(jobID), importchange.IDGT(after)).Order(importchange.ByID()).Limit(limit + 1)
	if action != "" {
		q.Where(importchange.ActionEQ(importchange.Action(action)))
	}
	if lang != "" {
		q.Where(importchange.Language(lang))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return page.Page[Change]{}, fmt.Errorf("marketplace: changes: %w", err)
	}
	return page.Of(rows, limit, func(r *tenant.ImportChange) Change {
		return Change{ID: r.ID, FeedID: r.FeedID, Language: r.Language, Line: r.Line, Action: string(r.Action), Fields: r.Fields}
	}, func(last *tenant.ImportChange) string { return list.Cursor(last.ID) }), nil
}

// RowErrors lists a job's refused lines in file order, a page at a time.
func (s *Service) RowErrors(ctx context.Context, jobID int, r page.Request) (page.Page[RowError], error) {
	list := report("errors", jobID)
	bad := map[string]string{}
	limit, after := list.Start(r, bad)
	if err := page.Invalid(bad); err != nil {
		return page.Page[RowError]{}, err
	}
	c, err := reportPage(ctx, jobID)
	if err != nil {
		return page.Page[RowError]{}, err
	}
	rows, err := c.ImportRowError.Query().Where(importrowerror.JobID(jobID), importrowerror.IDGT(after)).
		Order(importrowerror.ByID()).Limit(limit + 1).All(ctx)
	if err != nil {
		return page.Page[RowError]{}, fmt.Errorf("marketplace: row errors: %w", err)
	}
	return page.Of(rows, limit, func(r *tenant.ImportRowError) RowError {
		return RowError{ID: r.ID, Language: r.Language, Line: r.Line, Column: r.Column, Field: r.Field, Reason: r.Reason, Raw: r.Raw, RawNote: r.RawNote}
	}, func(last *tenant.ImportRowError) string { return list.Cursor(last.ID) }), nil
}

// WriteRowErrorsCSV writes every refused line of a job as CSV (language,
// line, column, field, reason, raw, raw_note) to w, a chunk at a time, each
// chunk read in a short transaction of its own: a download of many thousand
// rows holds neither a transaction nor the whole file in memory. Call it
// outside any tenant transaction (after ensuring the job exists).
func (s *Service) WriteRowErrorsCSV(ctx context.Context, t *tenantdb.Tenant, jobID int, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"language", "line", "column", "field", "reason", "raw", "raw_note"}); err != nil {
		return err
	}
	after := 0
	for {
		var rows []*tenant.ImportRowError
		err := s.db.ReadTx(ctx, t, func(ctx context.Context) error {
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			rows, err = c.ImportRowError.Query().Where(importrowerror.JobID(jobID), importrowerror.IDGT(after)).
				Order(importrowerror.ByID()).Limit(1000).All(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("marketplace: row errors: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			if err := cw.Write([]string{r.Language, strconv.Itoa(r.Line), strconv.Itoa(r.Column), csvcell.Defuse(r.Field), csvcell.Defuse(r.Reason), csvcell.Defuse(r.Raw), r.RawNote}); err != nil {
				return err
			}
		}
		after = rows[len(rows)-1].ID
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Disagreements lists the fields on which a job's language files differed,
// a page at a time.
func (s *Service) Disagreements(ctx context.Context, jobID int, r page.Request) (page.Page[Disagreement], error) {
	list := report("disagreements", jobID)
	bad := map[string]string{}
	limit, after := list.Start(r, bad)
	if err := page.Invalid(bad); err != nil {
		return page.Page[Disagreement]{}, err
	}
	c, err := reportPage(ctx, jobID)
	if err != nil {
		return page.Page[Disagreement]{}, err
	}
	rows, err := c.ImportDisagreement.Query().Where(importdisagreement.JobID(jobID), importdisagreement.IDGT(after)).
		Order(importdisagreement.ByID()).Limit(limit + 1).All(ctx)
	if err != nil {
		return page.Page[Disagreement]{}, fmt.Errorf("marketplace: disagreements: %w", err)
	}
	return page.Of(rows, limit, func(r *tenant.ImportDisagreement) Disagreement {
		return Disagreement{ID: r.ID, FeedID: r.FeedID, Field: r.Field, Values: r.Values}
	}, func(last *tenant.ImportDisagreement) string { return list.Cursor(last.ID) }), nil
}
