package team

import (
	"context"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/page"
)

// Audit lists the vendor's audit trail, newest first, a page at a time:
// every action, or one ("team.invite"), or a family of them when action
// ends with "." ("team." — every team action).
func (s *Service) Audit(ctx context.Context, action string, r page.Request) (page.Page[audit.Event], error) {
	return audit.VendorEvents(ctx, audit.Filter{Action: action}, r)
}
