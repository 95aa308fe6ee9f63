package vendor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/tenantdb"
)

// Business is a vendor's business details, named as the bulk CSV names them.
type Business struct {
	Email      string `json:"business_email"`
	Phone      string `json:"business_phone"`
	Address    string `json:"business_address"`
	City       string `json:"business_city"`
	PostalCode string `json:"business_postal_code"`
	Country    string `json:"business_country"` // ISO 3166-1 alpha-2
}

// NewVendor is a vendor to create: its shop, its first Owner and its
// catalogue feeds ({language: url}; the first language of the shop's
// languages is the primary one).
type NewVendor struct {
	Name      string `json:"name"`
	Subdomain string `json:"subdomain"`
	Business
	Owner *Owner            `json:"owner"`
	Feeds map[string]string `json:"feeds"`
	// Cluster names the PostgreSQL cluster for its schema; empty: the
	// configured placement.
	Cluster string `json:"cluster"`
}

// Created is a created vendor with what was done for its Owner.
type Created struct {
	Vendor Vendor      `json:"vendor"`
	Owner  *OwnerGrant `json:"owner,omitempty"`
}

// Create provisions a vendor (from the spare pool when one is ready), with
// its import configuration and its first Owner. Everything is checked
// before anything is made, every problem named. The vendor and its audit
// record commit together; the feeds and the Owner follow in transactions
// of their own — should one of them fail, the vendor exists and the error
// says which step to repeat (CreateOwner, or the import configuration).
func (s *Service) Create(ctx context.Context, a Actor, in NewVendor) (*Created, error) {
	nv, feeds, err := s.check(in)
	if err != nil {
		return nil, err
	}
	t, err := s.db.Provision(ctx, nv, s.createAudit(a))
	if nv.Cluster != "" && errors.Is(err, fault.ErrNotFound) {
		if fe, ok := fault.As(err); ok {
			return nil, fault.Fields("invalid vendor", map[string]string{"cluster": fe.Message})
		}
	}
	if err != nil {
		return nil, renameSlug(err)
	}
	out := &Created{}
	if len(feeds) > 0 {
		if err := s.o.Feeds.Save(ctx, t, a.UserID, feeds); err != nil {
			return nil, partly(t, "its import configuration was not saved: set it on the shop", err)
		}
	}
	if in.Owner != nil {
		g, err := s.GiveOwner(ctx, a, t, *in.Owner)
		if err != nil {
			return nil, partly(t, fmt.Sprintf("it has no owner yet: repeat with POST /api/v1/admin/vendors/%d/owner", t.ID), err)
		}
		out.Owner = &g
	}
	v, err := s.Get(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	out.Vendor = *v
	return out, nil
}

// partly is the error of a creation that made the vendor but failed at a
// later step: it says what exists and what to repeat (the cause is logged,
// not shown).
func partly(t *tenantdb.Tenant, what string, err error) error {
	return &fault.Error{Kind: fault.Unavailable, Code: "partially_created",
		Message: fmt.Sprintf("vendor %q (id %d) was created, but %s", t.Slug, t.ID, what), Err: err}
}

// GiveOwner gives vendor t an Owner: an existing account at once, a new
// e-mail by an invitation to the shop's accept page.
func (s *Service) GiveOwner(ctx context.Context, a Actor, t *tenantdb.Tenant, o Owner) (OwnerGrant, error) {
	if s.o.Owner == nil {
		return OwnerGrant{}, errors.New("vendor: no owner function configured")
	}
	return s.o.Owner(ctx, t, a, o, func(token string) string {
		return s.o.Links.Shop(t.Slug, "/accept-invite?token="+token)
	})
}

// check validates in whole and returns what to provision and the feeds in
// order (the default language's first, then by language).
func (s *Service) check(in NewVendor) (tenantdb.NewVendor, []Feed, error) {
	nv := tenantdb.NewVendor{
		Slug: strings.TrimSpace(in.Subdomain), Name: strings.TrimSpace(in.Name),
		BusinessEmail: strings.TrimSpace(in.Email), BusinessPhone: strings.TrimSpace(in.Phone),
		BusinessAddress: strings.TrimSpace(in.Address), BusinessCity: strings.TrimSpace(in.City),
		BusinessPostalCode: strings.TrimSpace(in.PostalCode), BusinessCountry: strings.TrimSpace(in.Country),
		Cluster: strings.TrimSpace(in.Cluster),
	}
	bad := map[string]string{}
	if err := nv.Validate(); err != nil {
		fe, ok := fault.As(err)
		if !ok {
			return nv, nil, err
		}
		for k, v := range fe.Fields {
			if k == "slug" {
				k = "subdomain"
			}
			bad[k] = v
		}
	}
	// Name and business details by the shop settings' rules (they are the
	// same fields), which say more than tenantdb's.
	b := in.Business
	if _, err := (Edit{Name: &in.Name, Email: &b.Email, Phone: &b.Phone, Address: &b.Address, City: &b.City,
		PostalCode: &b.PostalCode, Country: &b.Country}).settings().apply(Settings{}); err != nil {
		fe, ok := fault.As(err)
		if !ok {
			return nv, nil, err
		}
		for k, v := range fe.Fields {
			bad[k] = v
		}
	}
	if o := in.Owner; o != nil {
		if msg := mail.AddressProblem(strings.ToLower(strings.TrimSpace(o.Email))); msg != "" {
			bad["owner.email"] = msg
		}
		for k, v := range map[string]string{"owner.first_name": o.FirstName, "owner.last_name": o.LastName} {
			if len(v) > 100 {
				bad[k] = "must be at most 100 characters"
			}
		}
		if len(o.Phone) > 50 {
			bad["owner.phone"] = "must be at most 50 characters"
		}
	}
	feeds := make([]Feed, 0, len(in.Feeds))
	for lang, url := range in.Feeds {
		feeds = append(feeds, Feed{Language: lang, URL: strings.TrimSpace(url)})
	}
	slices.SortFunc(feeds, func(a, b Feed) int {
		switch {
		case a.Language == b.Language:
			return 0
		case a.Language == defaultLanguage:
			return -1
		case b.Language == defaultLanguage:
			return 1
		}
		return strings.Compare(a.Language, b.Language)
	})
	if len(feeds) > 0 {
		if s.o.Feeds == nil {
			return nv, nil, errors.New("vendor: no feeds configured to check")
		}
		for k, v := range s.o.Feeds.Check(feeds) {
			bad[k] = v
		}
	}
	return nv, feeds, fault.Fields("the vendor is not valid", bad)
}

// defaultLanguage is a new shop's language until its settings say otherwise
// (the platform schema's default).
const defaultLanguage = "fr"

// renameSlug names tenantdb's slug problems by the API's name for it.
func renameSlug(err error) error {
	fe, ok := fault.As(err)
	if !ok || fe.Fields["slug"] == "" {
		return err
	}
	fields := map[string]string{}
	for k, v := range fe.Fields {
		if k == "slug" {
			k = "subdomain"
		}
		fields[k] = v
	}
	return fault.Fields(fe.Message, fields)
}

// SetOwner gives vendor id an Owner: one created without, or whose Owner
// left. The person is checked first, named as the request names them.
func (s *Service) SetOwner(ctx context.Context, a Actor, id int, o Owner) (OwnerGrant, error) {
	if msg := mail.AddressProblem(strings.ToLower(strings.TrimSpace(o.Email))); msg != "" {
		return OwnerGrant{}, fault.Fields("the owner is not valid", map[string]string{"email": msg})
	}
	t, err := s.db.TenantByID(ctx, id)
	if err != nil {
		return OwnerGrant{}, err
	}
	return s.GiveOwner(ctx, a, t, o)
}
