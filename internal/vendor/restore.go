package vendor

import (
	"context"
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
