package team

import (
	"context"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/page"
)

// Audit lists the vendor's audit trail, newest first, a page at a time.
func (s *Service) Audit(ctx context.Context, r page.Request) (page.Page[audit.Event], error) {
	return audit.VendorEvents(ctx, audit.Filter{}, r)
}
