package audit

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	platformaudit "github.com/bazaar/bazaar/ent/platform/auditevent"
	tenantaudit "github.com/bazaar/bazaar/ent/tenant/auditevent"
	"github.com/bazaar/bazaar/tenantdb"
)

// Filter selects a page of a trail, newest first.
type Filter struct {
	Before int    // only events older than this id; 0: from the newest
	Action string // only this action; "": every action
	Limit  int    // at most this many
}

// VendorEvents lists the trail of the vendor whose transaction is bound to
// ctx.
func VendorEvents(ctx context.Context, f Filter) ([]Event, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	q := c.AuditEvent.Query().Order(tenantaudit.ByID(entsql.OrderDesc())).Limit(f.Limit)
	if f.Before > 0 {
		q.Where(tenantaudit.IDLT(f.Before))
	}
	if f.Action != "" {
		q.Where(tenantaudit.Action(f.Action))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = Event{
			ID: r.ID, At: r.At, ActorID: deref(r.ActorID), ActorEmail: r.ActorEmail, Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, Before: r.Before, After: r.After, IP: r.IP, RequestID: r.RequestID,
		}
	}
	return out, nil
}

// Service reads the platform's trail, for the super admins' listing.
type Service struct {
	db *tenantdb.DB
}

// New builds the Service.
func New(db *tenantdb.DB) *Service { return &Service{db: db} }

// PlatformEvents lists the platform's trail.
func (s *Service) PlatformEvents(ctx context.Context, f Filter) ([]Event, error) {
	q := s.db.Platform().AuditEvent.Query().Order(platformaudit.ByID(entsql.OrderDesc())).Limit(f.Limit)
	if f.Before > 0 {
		q.Where(platformaudit.IDLT(f.Before))
	}
	if f.Action != "" {
		q.Where(platformaudit.Action(f.Action))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = Event{
			ID: r.ID, At: r.At, ActorID: deref(r.ActorID), ActorEmail: r.ActorEmail, Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, VendorID: deref(r.VendorID),
			Before: r.Before, After: r.After, IP: r.IP, RequestID: r.RequestID,
		}
	}
	return out, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
