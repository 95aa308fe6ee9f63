package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Invitation asks someone, by email, to join a vendor's team with a role. Only
// the SHA-256 of its 256-bit token is stored; the token itself exists in the
// mail alone. It is single use and expires.
type Invitation struct {
	ent.Schema
}

// Fields of the Invitation.
func (Invitation) Fields() []ent.Field {
	return []ent.Field{
		field.Int("vendor_id").Immutable(),
		field.String("email").NotEmpty().MaxLen(254).Immutable(),
		field.Int("role_id").Comment("id of a role in the vendor's schema"),
		field.Int("invited_by").Immutable(),
		field.Bytes("token_hash").Unique().Sensitive(),
		field.Time("expires_at"),
		field.Time("accepted_at").Optional().Nillable(),
		field.Int("accepted_by").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.Int("send_count").Default(1),
		field.Time("last_sent_at").Default(time.Now),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the Invitation.
func (Invitation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("vendor", Vendor.Type).Ref("invitations").Field("vendor_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Invitation.
func (Invitation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("vendor_id", "email"),
	}
}
