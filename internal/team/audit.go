package team

import (
	"context"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/auditevent"
	"github.com/bazaar/bazaar/tenantdb"
)

// Audit lists the vendor's audit trail, newest first, limit at a time;
// before (an event id) pages back.
func (s *Service) Audit(ctx context.Context, before, limit int) ([]*tenant.AuditEvent, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	q := c.AuditEvent.Query().Order(auditevent.ByID(entsql.OrderDesc())).Limit(limit)
	if before > 0 {
		q.Where(auditevent.IDLT(before))
	}
	return q.All(ctx)
}
