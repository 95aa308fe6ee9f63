package marketplace

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importchange"
	"github.com/bazaar/bazaar/ent/tenant/importdisagreement"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/importrowerror"
	"github.com/bazaar/bazaar/internal/fault"
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
	ID     int               `json:"id"` // for paging: after=<the last id>
	FeedID string            `json:"feed_id"`
	Field  string            `json:"field"`
	Values map[string]string `json:"values"`
}

// reportPage starts a page of one of a job's reports: the bound client, the
// page size (limit within bounds), and a 404 for a job that does not exist.
func reportPage(ctx context.Context, jobID, limit int) (*tenant.Client, int, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, 0, err
	}
	ok, err := c.ImportJob.Query().Where(importjob.ID(jobID)).Exist(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("marketplace: job: %w", err)
	}
	if !ok {
		return nil, 0, fault.New(fault.NotFound, "import %d not found", jobID)
	}
	if limit <= 0 || limit > MaxLimit {
		limit = DefaultLimit
	}
	return c, limit, nil
}

// Changes lists a job's per-row outcomes, optionally of one action or
// language, a page at a time (after: the last id seen).
func (s *Service) Changes(ctx context.Context, jobID int, action, lang string, after, limit int) ([]Change, error) {
	c, limit, err := reportPage(ctx, jobID, limit)
	if err != nil {
		return nil, err
	}
	q := c.ImportChange.Query().Where(importchange.JobID(jobID), importchange.IDGT(after)).Order(importchange.ByID()).Limit(limit)
	if action != "" {
		if importchange.ActionValidator(importchange.Action(action)) != nil {
			return nil, fault.Fields("invalid filter", map[string]string{"action": "must be create, merge, update, unchanged or missing"})
		}
		q.Where(importchange.ActionEQ(importchange.Action(action)))
	}
	if lang != "" {
		q.Where(importchange.Language(lang))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("marketplace: changes: %w", err)
	}
	out := make([]Change, len(rows))
	for i, r := range rows {
		out[i] = Change{ID: r.ID, FeedID: r.FeedID, Language: r.Language, Line: r.Line, Action: string(r.Action), Fields: r.Fields}
	}
	return out, nil
}

// RowErrors lists a job's refused lines in file order, a page at a time.
func (s *Service) RowErrors(ctx context.Context, jobID, after, limit int) ([]RowError, error) {
	c, limit, err := reportPage(ctx, jobID, limit)
	if err != nil {
		return nil, err
	}
	rows, err := c.ImportRowError.Query().Where(importrowerror.JobID(jobID), importrowerror.IDGT(after)).
		Order(importrowerror.ByID()).Limit(limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("marketplace: row errors: %w", err)
	}
	out := make([]RowError, len(rows))
	for i, r := range rows {
		out[i] = RowError{ID: r.ID, Language: r.Language, Line: r.Line, Column: r.Column, Field: r.Field, Reason: r.Reason, Raw: r.Raw, RawNote: r.RawNote}
	}
	return out, nil
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
			if err := cw.Write([]string{r.Language, strconv.Itoa(r.Line), strconv.Itoa(r.Column), cell(r.Field), cell(r.Reason), cell(r.Raw), r.RawNote}); err != nil {
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

// cell keeps a spreadsheet from reading text that came from a feed as a
// formula (CSV injection): such text gets a leading apostrophe.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Disagreements lists the fields on which a job's language files differed.
func (s *Service) Disagreements(ctx context.Context, jobID, after, limit int) ([]Disagreement, error) {
	c, limit, err := reportPage(ctx, jobID, limit)
	if err != nil {
		return nil, err
	}
	rows, err := c.ImportDisagreement.Query().Where(importdisagreement.JobID(jobID), importdisagreement.IDGT(after)).
		Order(importdisagreement.ByID()).Limit(limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("marketplace: disagreements: %w", err)
	}
	out := make([]Disagreement, len(rows))
	for i, r := range rows {
		out[i] = Disagreement{ID: r.ID, FeedID: r.FeedID, Field: r.Field, Values: r.Values}
	}
	return out, nil
}
