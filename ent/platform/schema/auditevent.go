package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/bazaar/bazaar/ent/auditrecord"
)

// AuditEvent records a platform security event (a failed login, a reused
// refresh token, a password reset, a super admin's action). Vendor team events
// are recorded in the vendor's own schema instead.
type AuditEvent struct {
	ent.Schema
}

// Mixin of the AuditEvent: the fields every audit trail has.
func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{auditrecord.Mixin{}}
}

// Fields only the platform's trail has.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("vendor_id").Optional().Nillable().Immutable().Comment("the vendor host it happened on, if any"),
	}
}

// Indexes only the platform's trail has (its actions and actors are searched
// across every vendor).
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("action", "at"),
		index.Fields("actor_id", "at"),
		// The super admins' filters, each read newest first (by id).
		index.Fields("vendor_id", "id"),
		index.Fields("actor_email", "id"),
	}
}
