package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Membership makes a user part of one vendor's team with one role. The role
// itself (its name and permissions) lives in the vendor's schema; RoleID names
// it there.
type Membership struct {
	ent.Schema
}

// Fields of the Membership.
func (Membership) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("vendor_id").Immutable(),
		field.Int("role_id").Comment("id of a role in the vendor's schema"),
		field.Int("invited_by").Optional().Nillable().Comment("user id of the inviter"),
		field.Bool("active").Default(true),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the Membership.
func (Membership) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("memberships").Field("user_id").Unique().Required().Immutable(),
		edge.From("vendor", Vendor.Type).Ref("memberships").Field("vendor_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Membership.
func (Membership) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "vendor_id").Unique(),
		index.Fields("vendor_id", "role_id"),
	}
}
