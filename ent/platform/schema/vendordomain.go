package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// VendorDomain is a custom domain (shop.acme.lu) of an enterprise vendor. It
// serves only once VerifiedAt is set: ownership is proven by a DNS TXT record
// carrying VerificationToken.
type VendorDomain struct {
	ent.Schema
}

// Fields of the VendorDomain.
func (VendorDomain) Fields() []ent.Field {
	return []ent.Field{
		field.String("host").Unique().MaxLen(253).
			Comment("lower-case ASCII host name, no port, no trailing dot"),
		field.Int("vendor_id"),
		field.String("verification_token").Sensitive().MaxLen(100),
		field.Time("verified_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the VendorDomain.
func (VendorDomain) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("vendor", Vendor.Type).
			Ref("domains").
			Field("vendor_id").
			Unique().
			Required(),
	}
}

// Indexes of the VendorDomain.
func (VendorDomain) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("vendor_id"), // listing a vendor's domains; ON DELETE CASCADE
	}
}
