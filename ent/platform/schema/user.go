package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// User is a person who signs in: a vendor team member, a super admin, or both.
// Users are platform data because one person may belong to many vendors; what
// they may do in a vendor comes from their Membership there.
type User struct {
	ent.Schema
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").
			Unique().
			NotEmpty().
			MaxLen(254).
			Comment("stored trimmed and lower-cased, so uniqueness is case-insensitive"),
		field.String("first_name").Default("").MaxLen(100),
		field.String("last_name").Default("").MaxLen(100),
		field.String("password_hash").
			Sensitive().
			Comment("PHC string ($argon2id$...); the parameters travel with each hash"),
		field.Bool("active").Default(true),
		field.Bool("must_change_password").Default(false),
		field.Enum("platform_role").
			Values("none", "superadmin").
			Default("none").
			Comment("platform-wide role; never implied by any vendor role"),
		field.Time("tokens_valid_after").
			Default(time.Now).
			Comment("access tokens issued before this instant are refused (password reset, mass revocation)"),
		field.Time("last_login_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("memberships", Membership.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("sessions", Session.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
