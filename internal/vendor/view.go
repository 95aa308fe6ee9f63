package vendor

import (
	"context"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/membership"
	entvendor "github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Vendor is a vendor as super admins see it.
type Vendor struct {
	ID              int        `json:"id"`
	Slug            string     `json:"slug"`
	Name            string     `json:"name"`
	URL             string     `json:"url"`
	Status          string     `json:"status"`
	SuspendedReason string     `json:"suspended_reason,omitempty"`
	StatusChangedAt *time.Time `json:"status_changed_at,omitempty"`
	Business
	DefaultLanguage  string    `json:"default_language"`
	EnabledLanguages []string  `json:"enabled_languages"`
	Currency         string    `json:"currency"`
	SchemaVersion    string    `json:"schema_version"`
	MigrationError   string    `json:"migration_error,omitempty"`
	Cluster          string    `json:"cluster"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	Figures          Figures   `json:"figures"`
}

func (s *Service) view(v *platform.Vendor) Vendor {
	return Vendor{
		ID: v.ID, Slug: v.Slug, Name: v.Name, URL: s.o.Links.Shop(v.Slug, "/"),
		Status: string(v.Status), SuspendedReason: v.SuspendedReason, StatusChangedAt: v.StatusChangedAt,
		Business: Business{
			Email: v.BusinessEmail, Phone: v.BusinessPhone, Address: v.BusinessAddress,
			City: v.BusinessCity, PostalCode: v.BusinessPostalCode, Country: v.BusinessCountry,
		},
		DefaultLanguage: v.DefaultLanguage, EnabledLanguages: v.EnabledLanguages, Currency: v.Currency,
		SchemaVersion: v.SchemaVersion, MigrationError: v.MigrationError, Cluster: v.Cluster,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
	}
}

// auditView is the part of a registry row an audit record keeps (before and
// after a change): what a super admin edits, never where the data lives.
func auditView(v *platform.Vendor) map[string]any {
	if v == nil {
		return nil
	}
	return map[string]any{
		"slug": v.Slug, "name": v.Name, "status": string(v.Status), "suspended_reason": v.SuspendedReason,
		"business_email": v.BusinessEmail, "business_phone": v.BusinessPhone, "business_address": v.BusinessAddress,
		"business_city": v.BusinessCity, "business_postal_code": v.BusinessPostalCode, "business_country": v.BusinessCountry,
	}
}

// changed keeps of before and after only the keys whose values differ, so
// an audit record says what changed.
func changed(before, after map[string]any) (map[string]any, map[string]any) {
	b, a := map[string]any{}, map[string]any{}
	for k, av := range after {
		if bv, ok := before[k]; !ok || fmt.Sprint(bv) != fmt.Sprint(av) {
			b[k], a[k] = before[k], av
		}
	}
	return b, a
}

// Get returns one vendor with its figures.
func (s *Service) Get(ctx context.Context, id int) (*Vendor, error) {
	v, err := s.db.Platform().Vendor.Get(ctx, id)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no vendor %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("vendor: get %d: %w", id, err)
	}
	out := []Vendor{s.view(v)}
	if err := s.withFigures(ctx, out); err != nil {
		return nil, err
	}
	return &out[0], nil
}

// Tenant is vendor id where its data lives, for the services that work in
// it on a super admin's behalf.
func (s *Service) Tenant(ctx context.Context, id int) (*tenantdb.Tenant, error) {
	return s.db.TenantByID(ctx, id)
}

// BySlug returns the id of the vendor with slug.
func (s *Service) BySlug(ctx context.Context, slug string) (int, error) {
	id, err := s.db.Platform().Vendor.Query().Where(entvendor.Slug(slug)).OnlyID(ctx)
	if platform.IsNotFound(err) {
		return 0, fault.New(fault.NotFound, "no vendor %q", slug)
	}
	return id, err
}

// withFigures fills in the figures of vs: members counted from the
// platform's memberships, the rest from FiguresFunc — one query each for
// the whole page, never a visit to each vendor's schema.
func (s *Service) withFigures(ctx context.Context, vs []Vendor) error {
	if len(vs) == 0 {
		return nil
	}
	ids := make([]int, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	var counts []struct {
		VendorID int `json:"vendor_id"`
		Count    int `json:"count"`
	}
	err := s.db.Platform().Membership.Query().
		Where(membership.VendorIDIn(ids...), membership.Active(true)).
		GroupBy(membership.FieldVendorID).
		Aggregate(platform.Count()).
		Scan(ctx, &counts)
	if err != nil {
		return fmt.Errorf("vendor: member counts: %w", err)
	}
	members := make(map[int]int, len(counts))
	for _, c := range counts {
		members[c.VendorID] = c.Count
	}
	var figures map[int]Figures
	if s.o.Figures != nil {
		if figures, err = s.o.Figures(ctx, ids); err != nil {
			return fmt.Errorf("vendor: figures: %w", err)
		}
	}
	for i := range vs {
		f := figures[vs[i].ID]
		f.Members = members[vs[i].ID]
		vs[i].Figures = f
	}
	return nil
}
