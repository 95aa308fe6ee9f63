package audit

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/platform"
	platformaudit "github.com/bazaar/bazaar/ent/platform/auditevent"
	"github.com/bazaar/bazaar/ent/tenant"
	tenantaudit "github.com/bazaar/bazaar/ent/tenant/auditevent"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Filter selects the events of a trail.
type Filter struct {
	Action string // only this action; "": every action
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
	if f.Action != "" {
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
	q := s.db.Platform().AuditEvent.Query().Order(platformaudit.ByID(entsql.OrderDesc())).Limit(limit + 1)
	if before > 0 {
		q.Where(platformaudit.IDLT(before))
	}
	if f.Action != "" {
		q.Where(platformaudit.Action(f.Action))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return page.Page[Event]{}, fmt.Errorf("audit: list: %w", err)
	}
	return page.Of(rows, limit, func(r *platform.AuditEvent) Event {
		return Event{
			ID: r.ID, At: r.At, ActorID: deref(r.ActorID), ActorEmail: r.ActorEmail, Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, VendorID: deref(r.VendorID),
			Before: r.Before, After: r.After, IP: r.IP, RequestID: r.RequestID,
		}
	}, func(last *platform.AuditEvent) string { return platformList.Cursor(last.ID) }), nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
