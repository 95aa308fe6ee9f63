package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/platform"
	platformaudit "github.com/bazaar/bazaar/ent/platform/auditevent"
	"github.com/bazaar/bazaar/ent/tenant"
	tenantaudit "github.com/bazaar/bazaar/ent/tenant/auditevent"
	"github.com/bazaar/bazaar/internal/csvcell"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Filter selects the events of a trail. Its parts combine (AND); zero
// values select everything.
type Filter struct {
	// Action is one action ("vendor.create"), or a family of them when it
	// ends with "." ("vendor." — every vendor action).
	Action string
	// The platform's trail only:
	ActorID    int       // events by this user
	ActorEmail string    // events by this e-mail (as recorded: lower case; the command line's "cli:…")
	VendorID   int       // events about this vendor, or on its host
	Since      time.Time // at or after
	Until      time.Time // before
}

// Limits bound a page of either trail.
var Limits = page.Bounds{Default: 100, Max: 500}

// The trails page by id, newest first, each with cursors of its own.
var (
	vendorList   = page.ByID{List: "audit", Bounds: Limits}
	platformList = page.ByID{List: "admin/audit", Bounds: Limits}
)

// VendorEvents lists the trail of the vendor whose transaction is bound to
// ctx, newest first, a page at a time.
func VendorEvents(ctx context.Context, f Filter, r page.Request) (page.Page[Event], error) {
	bad := map[string]string{}
	limit, before := vendorList.Start(r, bad)
	if err := page.Invalid(bad); err != nil {
		return page.Page[Event]{}, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return page.Page[Event]{}, err
	}
	q := c.AuditEvent.Query().Order(tenantaudit.ByID(entsql.OrderDesc())).Limit(limit + 1)
	if before > 0 {
		q.Where(tenantaudit.IDLT(before))
	}
	switch family, ok := strings.CutSuffix(f.Action, "."); {
	case ok:
		q.Where(tenantaudit.ActionHasPrefix(family + "."))
	case f.Action != "":
		q.Where(tenantaudit.Action(f.Action))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return page.Page[Event]{}, fmt.Errorf("audit: list: %w", err)
	}
	return page.Of(rows, limit, func(r *tenant.AuditEvent) Event {
		return Event{
			ID: r.ID, At: r.At, ActorID: deref(r.ActorID), ActorEmail: r.ActorEmail, Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, Before: r.Before, After: r.After, IP: r.IP, RequestID: r.RequestID,
		}
	}, func(last *tenant.AuditEvent) string { return vendorList.Cursor(last.ID) }), nil
}

// Service reads the platform's trail, for the super admins' listing.
type Service struct {
	db *tenantdb.DB
}

// New builds the Service.
func New(db *tenantdb.DB) *Service { return &Service{db: db} }

// PlatformEvents lists the platform's trail, newest first, a page at a
// time.
func (s *Service) PlatformEvents(ctx context.Context, f Filter, r page.Request) (page.Page[Event], error) {
	bad := map[string]string{}
	limit, before := platformList.Start(r, bad)
	if err := page.Invalid(bad); err != nil {
		return page.Page[Event]{}, err
	}
	rows, err := s.platformQuery(f, before).Limit(limit + 1).All(ctx)
	if err != nil {
		return page.Page[Event]{}, fmt.Errorf("audit: list: %w", err)
	}
	return page.Of(rows, limit, platformEvent, func(last *platform.AuditEvent) string { return platformList.Cursor(last.ID) }), nil
}

// platformQuery selects f's events of the platform's trail older than
// before (0: from the newest), newest first.
func (s *Service) platformQuery(f Filter, before int) *platform.AuditEventQuery {
	q := s.db.Platform().AuditEvent.Query().Order(platformaudit.ByID(entsql.OrderDesc()))
	if before > 0 {
		q.Where(platformaudit.IDLT(before))
	}
	switch family, ok := strings.CutSuffix(f.Action, "."); {
	case ok:
		q.Where(platformaudit.ActionHasPrefix(family + "."))
	case f.Action != "":
		q.Where(platformaudit.Action(f.Action))
	}
	if f.ActorID != 0 {
		q.Where(platformaudit.ActorID(f.ActorID))
	}
	if f.ActorEmail != "" {
		q.Where(platformaudit.ActorEmail(f.ActorEmail))
	}
	if f.VendorID != 0 {
		q.Where(platformaudit.VendorID(f.VendorID))
	}
	if !f.Since.IsZero() {
		q.Where(platformaudit.AtGTE(f.Since))
	}
	if !f.Until.IsZero() {
		q.Where(platformaudit.AtLT(f.Until))
	}
	return q
}

func platformEvent(r *platform.AuditEvent) Event {
	return Event{
		ID: r.ID, At: r.At, ActorID: deref(r.ActorID), ActorEmail: r.ActorEmail, Action: r.Action,
		TargetType: r.TargetType, TargetID: r.TargetID, VendorID: deref(r.VendorID),
		Before: r.Before, After: r.After, IP: r.IP, RequestID: r.RequestID,
	}
}

// exportBatch is how many events an export reads at a time.
const exportBatch = 1000

// ExportColumns are the columns of an exported trail.
var ExportColumns = []string{"id", "at", "actor_id", "actor_email", "action", "target_type", "target_id", "vendor_id", "ip", "request_id", "before", "after"}

// ExportPlatform writes f's events of the platform's trail to w as CSV,
// newest first, read a batch at a time (never the whole trail in memory);
// every cell a spreadsheet would read as a formula is defused, before and
// after are JSON. It stops at ctx's end.
func (s *Service) ExportPlatform(ctx context.Context, f Filter, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	before := 0
	for {
		rows, err := s.platformQuery(f, before).Limit(exportBatch).All(ctx)
		if err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		for _, r := range rows {
			e := platformEvent(r)
			if err := cw.Write([]string{
				strconv.Itoa(e.ID), e.At.UTC().Format(time.RFC3339Nano), optional(e.ActorID), csvcell.Defuse(e.ActorEmail),
				csvcell.Defuse(e.Action), csvcell.Defuse(e.TargetType), csvcell.Defuse(e.TargetID), optional(e.VendorID),
				csvcell.Defuse(e.IP), csvcell.Defuse(e.RequestID), jsonCell(e.Before), jsonCell(e.After),
			}); err != nil {
				return err
			}
			before = r.ID
		}
		cw.Flush()
		if err := cw.Error(); err != nil || len(rows) < exportBatch {
			return err
		}
	}
}

func optional(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// jsonCell is a before/after map as JSON ("" when there is none); an object
// starts with "{", which no spreadsheet reads as a formula.
func jsonCell(m map[string]any) string {
	if m == nil {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
