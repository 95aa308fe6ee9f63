package vendor

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/vendorimportrow"
	"github.com/bazaar/bazaar/internal/csvcell"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
)

// What a bulk import shows while and after it runs: its counts, its lines'
// outcomes, the report to download.

// Bulk returns a bulk import.
func (s *Service) Bulk(ctx context.Context, id int) (*BulkImport, error) {
	i, err := s.db.Platform().VendorImport.Get(ctx, id)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no bulk import %d", id)
	}
	if err != nil {
		return nil, err
	}
	v := bulkView(i)
	return &v, nil
}

// BulkLine is a row of a bulk import and what came of it. The initial
// password is never part of it.
type BulkLine struct {
	Line      int        `json:"line"`
	Subdomain string     `json:"subdomain"`
	Name      string     `json:"vendor_name"`
	Owner     string     `json:"owner_email"`
	Outcome   string     `json:"outcome"`
	Reason    string     `json:"reason,omitempty"`
	VendorID  *int       `json:"vendor_id,omitempty"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
}

// eachBulkLine walks the rows of bulk import id in file order (outcome:
// only those).
func (s *Service) eachBulkLine(ctx context.Context, id int, outcome string, yield func(BulkLine) error) error {
	if outcome != "" && vendorimportrow.OutcomeValidator(vendorimportrow.Outcome(outcome)) != nil {
		return fault.Fields("invalid listing parameters", map[string]string{"outcome": "must be pending, created, unchanged or failed"})
	}
	if _, err := s.Bulk(ctx, id); err != nil {
		return err
	}
	after := 0
	for {
		q := s.db.Platform().VendorImportRow.Query().
			Where(vendorimportrow.ImportID(id), vendorimportrow.LineGT(after)).
			Order(vendorimportrow.ByLine()).Limit(500)
		if outcome != "" {
			q.Where(vendorimportrow.OutcomeEQ(vendorimportrow.Outcome(outcome)))
		}
		rows, err := q.All(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := yield(lineView(r)); err != nil {
				return err
			}
			after = r.Line
		}
		if len(rows) < 500 {
			return nil
		}
	}
}

// BulkLineLimits bound a page of a bulk import's rows.
var BulkLineLimits = page.Bounds{Default: 100, Max: 1000}

var bulkLineList = page.ByID{List: "admin/bulk-lines", Bounds: BulkLineLimits}

// BulkLinesPage is a page of bulk import id's rows, in file order (outcome:
// only those).
func (s *Service) BulkLinesPage(ctx context.Context, id int, outcome string, r page.Request) (page.Page[BulkLine], error) {
	bad := map[string]string{}
	limit, after := bulkLineList.Start(r, bad)
	if outcome != "" && vendorimportrow.OutcomeValidator(vendorimportrow.Outcome(outcome)) != nil {
		bad["outcome"] = "must be pending, created, unchanged or failed"
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[BulkLine]{}, err
	}
	if _, err := s.Bulk(ctx, id); err != nil {
		return page.Page[BulkLine]{}, err
	}
	q := s.db.Platform().VendorImportRow.Query().
		Where(vendorimportrow.ImportID(id), vendorimportrow.LineGT(after)).
		Order(vendorimportrow.ByLine()).Limit(limit + 1)
	if outcome != "" {
		q.Where(vendorimportrow.OutcomeEQ(vendorimportrow.Outcome(outcome)))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return page.Page[BulkLine]{}, err
	}
	return page.Of(rows, limit, lineView, func(last *platform.VendorImportRow) string { return bulkLineList.Cursor(last.Line) }), nil
}

func lineView(r *platform.VendorImportRow) BulkLine {
	return BulkLine{Line: r.Line, Subdomain: r.Subdomain, Name: r.VendorName, Owner: r.OwnerEmail,
		Outcome: string(r.Outcome), Reason: r.Reason, VendorID: r.VendorID, DoneAt: r.DoneAt}
}

// WriteBulkReport writes bulk import id's rows as CSV to w, streamed in
// batches: line, subdomain, vendor_name, owner_email, outcome, reason,
// vendor_id — every cell a spreadsheet would take for a formula defused,
// and never a password.
func (s *Service) WriteBulkReport(ctx context.Context, id int, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"line", "subdomain", "vendor_name", "owner_email", "outcome", "reason", "vendor_id"}); err != nil {
		return err
	}
	err := s.eachBulkLine(ctx, id, "", func(l BulkLine) error {
		vid := ""
		if l.VendorID != nil {
			vid = strconv.Itoa(*l.VendorID)
		}
		return cw.Write([]string{strconv.Itoa(l.Line), csvcell.Defuse(l.Subdomain), csvcell.Defuse(l.Name), csvcell.Defuse(l.Owner),
			l.Outcome, csvcell.Defuse(l.Reason), vid})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
