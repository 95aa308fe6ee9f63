package vendor

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/tenantdb"
)

// Restore makes a backup file's vendor live (tenantdb.Restore), recording
// in the platform audit trail, in the restore's transaction, who restored
// which backup onto which vendor.
func (s *Service) Restore(ctx context.Context, a Actor, src io.Reader, o tenantdb.RestoreOptions) (*tenantdb.RestoreResult, error) {
	return s.db.Restore(ctx, src, o, func(ctx context.Context, tx *platform.Tx, before, after *platform.Vendor) error {
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "vendor.restore", TargetType: "vendor", TargetID: strconv.Itoa(after.ID),
			VendorID: after.ID, Before: auditView(before), After: auditView(after), IP: a.IP, RequestID: a.RequestID,
		})
	})
}

// Move moves a vendor's schema to another cluster while its shop serves
// (tenantdb.Move) and records who moved it where in the platform audit
// trail once it has.
func (s *Service) Move(ctx context.Context, a Actor, slug string, o tenantdb.MoveOptions) (*tenantdb.MoveResult, error) {
	res, err := s.db.Move(ctx, slug, o)
	if err != nil {
		return nil, err
	}
	id := res.Tenant.ID
	if err := audit.Platform(ctx, s.db.Platform(), audit.Event{
		ActorID: a.UserID, ActorEmail: a.Email, Action: "vendor.move", TargetType: "vendor", TargetID: strconv.Itoa(id), VendorID: id,
		Before: map[string]any{"cluster": res.From}, After: map[string]any{"cluster": res.To, "frozen_ms": res.Frozen.Milliseconds()},
		IP: a.IP, RequestID: a.RequestID,
	}); err != nil {
		return res, fmt.Errorf("moved, but the audit record failed: %w", err)
	}
	return res, nil
}
