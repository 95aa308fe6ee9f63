package vendor

import (
	"context"
	"strconv"
	"strings"

	"github.com/bazaar/bazaar/ent/platform"
	entvendor "github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Edit is a super admin's change to a vendor's registry details. Fields
// left out (nil) are kept; the slug never changes (the schema and role are
// named after it, and links in mail point at it).
type Edit struct {
	Name       *string `json:"name"`
	Email      *string `json:"business_email"`
	Phone      *string `json:"business_phone"`
	Address    *string `json:"business_address"`
	City       *string `json:"business_city"`
	PostalCode *string `json:"business_postal_code"`
	Country    *string `json:"business_country"`
}

// Update applies e to vendor id, recording what changed in the platform
// audit trail in the same transaction, and tells every instance's tenant
// caches.
func (s *Service) Update(ctx context.Context, a Actor, id int, e Edit) (*Vendor, error) {
	err := s.platformTx(ctx, func(tx *platform.Tx) error {
		v, err := tx.Vendor.Query().Where(entvendor.ID(id)).ForUpdate().Only(ctx)
		if platform.IsNotFound(err) {
			return fault.New(fault.NotFound, "no vendor %d", id)
		}
		if err != nil {
			return err
		}
		// The same rules as the shop's own settings for the same fields.
		next, err := e.settings().apply(settingsOf(v))
		if err != nil {
			return err
		}
		after, err := v.Update().SetName(next.Name).SetBusinessEmail(next.BusinessEmail).SetBusinessPhone(next.BusinessPhone).
			SetBusinessAddress(next.BusinessAddress).SetBusinessCity(next.BusinessCity).
			SetBusinessPostalCode(next.BusinessPostalCode).SetBusinessCountry(next.BusinessCountry).Save(ctx)
		if err != nil {
			return err
		}
		b, af := changed(auditView(v), auditView(after))
		if len(af) == 0 {
			return nil
		}
		if err := tenantdb.NotifyChanged(ctx, tx, v.Slug); err != nil {
			return err
		}
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "vendor.update", TargetType: "vendor", TargetID: strconv.Itoa(id),
			VendorID: id, Before: b, After: af, IP: a.IP, RequestID: a.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// settings is e as a change of settings: the fields a super admin edits are
// some of the shop's own, checked by one set of rules.
func (e Edit) settings() SettingsInput {
	return SettingsInput{Name: e.Name, BusinessEmail: e.Email, BusinessPhone: e.Phone, BusinessAddress: e.Address,
		BusinessCity: e.City, BusinessPostalCode: e.PostalCode, BusinessCountry: e.Country}
}

// maxReason bounds a suspension's reason (the registry's column).
const maxReason = 500

// Suspend stops vendor id's shop from serving (its data is kept, its team
// can no longer work in it); reason is required and shown to super admins.
func (s *Service) Suspend(ctx context.Context, a Actor, id int, reason string) (*Vendor, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, fault.Fields("a suspension needs a reason", map[string]string{"reason": "is required"})
	case len(reason) > maxReason:
		return nil, fault.Fields("a suspension needs a reason", map[string]string{"reason": "must be at most 500 characters"})
	}
	return s.setStatus(ctx, a, id, tenantdb.StatusSuspended, reason, "vendor.suspend")
}

// Resume lets vendor id serve again; reason, optional, goes to the audit
// trail.
func (s *Service) Resume(ctx context.Context, a Actor, id int, reason string) (*Vendor, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > maxReason {
		return nil, fault.Fields("the reason is too long", map[string]string{"reason": "must be at most 500 characters"})
	}
	return s.setStatus(ctx, a, id, tenantdb.StatusActive, reason, "vendor.resume")
}

func (s *Service) setStatus(ctx context.Context, a Actor, id int, to tenantdb.Status, reason, action string) (*Vendor, error) {
	t, err := s.db.TenantByID(ctx, id)
	if err != nil {
		return nil, err
	}
	_, err = s.db.SetStatus(ctx, t.Slug, to, reason, func(ctx context.Context, tx *platform.Tx, before, after *platform.Vendor) error {
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: action, TargetType: "vendor", TargetID: strconv.Itoa(id), VendorID: id,
			Before: map[string]any{"status": string(before.Status), "suspended_reason": before.SuspendedReason},
			After:  map[string]any{"status": string(after.Status), "suspended_reason": after.SuspendedReason, "reason": reason},
			IP:     a.IP, RequestID: a.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Delete drops vendor id with all its data. confirm must be its slug, typed
// back: an id alone is too easy to get wrong for what cannot be undone. The
// audit record keeps what the vendor was.
func (s *Service) Delete(ctx context.Context, a Actor, id int, confirm string) error {
	t, err := s.db.TenantByID(ctx, id)
	if err != nil {
		return err
	}
	if confirm != t.Slug {
		return &fault.Error{Kind: fault.Invalid, Code: "confirmation_required",
			Message: "deleting a vendor drops all its data: confirm with its slug", Fields: map[string]string{"confirm": "must be the vendor's slug"}}
	}
	return s.db.Delete(ctx, t.Slug, func(ctx context.Context, tx *platform.Tx, before, _ *platform.Vendor) error {
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "vendor.delete", TargetType: "vendor", TargetID: strconv.Itoa(id), VendorID: id,
			Before: auditView(before), IP: a.IP, RequestID: a.RequestID,
		})
	})
}

// AddDomain registers host as a custom domain of vendor slug, unverified,
// recording it in the audit trail with the change.
func (s *Service) AddDomain(ctx context.Context, a Actor, slug, host string) (*tenantdb.Domain, error) {
	return s.db.AddDomain(ctx, slug, host, domainAudit(a, "vendor.domain_add", tenantdb.NormalizeHost(host)))
}

// VerifyDomain checks host's DNS TXT record and lets the domain serve,
// recording it in the audit trail with the change.
func (s *Service) VerifyDomain(ctx context.Context, a Actor, host string, lookup tenantdb.TXTLookup) (*tenantdb.Domain, error) {
	return s.db.VerifyDomain(ctx, host, lookup, domainAudit(a, "vendor.domain_verify", host))
}
