package vendor

import (
	"context"
	"strings"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// ShopDomain is a custom domain as its shop's team sees it: whether it
// serves yet, and the DNS TXT record that proves it is the shop's (Token at
// RecordName).
type ShopDomain struct {
	Host       string `json:"host"`
	Verified   bool   `json:"verified"`
	RecordName string `json:"record_name"` // _bazaar-verify.<host>
	Token      string `json:"token"`       // the TXT record's value
}

func shopDomainOf(d tenantdb.Domain) ShopDomain {
	return ShopDomain{Host: d.Host, Verified: d.Verified, RecordName: tenantdb.DomainVerifyPrefix + d.Host, Token: d.VerificationToken}
}

// ShopDomains are the custom domains of the vendor whose transaction is
// bound to ctx, by host.
func (s *Service) ShopDomains(ctx context.Context) ([]ShopDomain, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := s.db.Domains(ctx, t.Slug)
	if err != nil {
		return nil, err
	}
	out := make([]ShopDomain, len(ds))
	for i, d := range ds {
		out[i] = shopDomainOf(d)
	}
	return out, nil
}

// AddShopDomain registers host, unverified, as a custom domain of the
// vendor whose transaction is bound to ctx. The platform's own domain and
// its subdomains are refused: they name shops (and the admin site) already.
// A host another shop holds is a conflict that does not say whose it is; a
// shop holding Options.MaxDomains already is refused, naming the bound.
func (s *Service) AddShopDomain(ctx context.Context, a Actor, host string) (*ShopDomain, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	host = tenantdb.NormalizeHost(host)
	if s.o.Links.Base != nil {
		if base := s.o.Links.Base.Hostname(); host == base || strings.HasSuffix(host, "."+base) {
			return nil, fault.Fields("this domain is the platform's own", map[string]string{"host": "is the platform's own domain: name a domain of yours"})
		}
	}
	d, err := s.db.AddDomainAtMost(ctx, t.Slug, host, s.o.MaxDomains, shopDomainAudit(a, "vendor.domain_add", host))
	if err != nil {
		return nil, err
	}
	out := shopDomainOf(*d)
	return &out, nil
}

// VerifyShopDomain checks the DNS TXT record of host, a custom domain of
// the vendor whose transaction is bound to ctx, and lets it serve when the
// record holds the token.
func (s *Service) VerifyShopDomain(ctx context.Context, a Actor, host string, lookup tenantdb.TXTLookup) (*ShopDomain, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	host = tenantdb.NormalizeHost(host)
	d, err := s.db.VerifyVendorDomain(ctx, t.Slug, host, lookup, shopDomainAudit(a, "vendor.domain_verify", host))
	if err != nil {
		return nil, err
	}
	out := shopDomainOf(*d)
	return &out, nil
}

// RemoveShopDomain takes host away from the custom domains of the vendor
// whose transaction is bound to ctx; it stops serving at once.
func (s *Service) RemoveShopDomain(ctx context.Context, a Actor, host string) error {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return err
	}
	host = tenantdb.NormalizeHost(host)
	return s.db.RemoveDomain(ctx, t.Slug, host, shopDomainAudit(a, "vendor.domain_remove", host))
}

// domainAudit records a change to a vendor's domain host in the platform's
// trail.
func domainAudit(a Actor, action, host string) tenantdb.Also {
	return func(ctx context.Context, tx *platform.Tx, v, _ *platform.Vendor) error {
		return audit.Platform(ctx, tx.Client(), domainEvent(a, action, host, v.ID))
	}
}

// shopDomainAudit records a shop's own change to its domain host in the
// platform's trail and, in the request's transaction bound to ctx, the
// shop's. It runs only when the change is made (a domain verified before
// records nothing), and a failed platform commit fails the request, so the
// two trails agree.
func shopDomainAudit(a Actor, action, host string) tenantdb.Also {
	platformTrail := domainAudit(a, action, host)
	return func(ctx context.Context, tx *platform.Tx, v, after *platform.Vendor) error {
		if err := platformTrail(ctx, tx, v, after); err != nil {
			return err
		}
		return audit.Vendor(ctx, domainEvent(a, action, host, 0))
	}
}

// domainEvent is the audit event of a change to a domain; vendorID is 0 in
// the vendor's own trail.
func domainEvent(a Actor, action, host string, vendorID int) audit.Event {
	return audit.Event{
		ActorID: a.UserID, ActorEmail: a.Email, Action: action, TargetType: "domain", TargetID: host,
		VendorID: vendorID, After: map[string]any{"host": host}, IP: a.IP, RequestID: a.RequestID,
	}
}
