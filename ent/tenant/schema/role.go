package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Role is a named set of permissions in this vendor. The four default roles
// (Owner, Manager, Editor, Viewer) are created by a migration with the seed's
// permission strings and carry a system key; Owner cannot be changed. Custom
// roles are made from the same strings. These rows are the vendor's Casbin
// policy: each permission becomes one `p, role:<id>, <vendor>, <permission>`.
type Role struct {
	ent.Schema
}

// Fields of the Role.
func (Role) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().NotEmpty().MaxLen(50),
		field.String("description").Default("").MaxLen(300),
		field.String("system_key").Optional().Nillable().Unique().Immutable().
			Comment("owner, manager, editor or viewer for the default roles; empty for custom ones"),
		field.Strings("permissions"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}
