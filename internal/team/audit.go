package team

import (
	"context"

	"github.com/bazaar/bazaar/internal/audit"
)

// Audit lists the vendor's audit trail, newest first, limit at a time;
// before (an event id) pages back.
func (s *Service) Audit(ctx context.Context, before, limit int) ([]audit.Event, error) {
	return audit.VendorEvents(ctx, audit.Filter{Before: before, Limit: limit})
}
