package schema

import (
	"entgo.io/ent"

	"github.com/bazaar/bazaar/ent/auditrecord"
)

// AuditEvent records one team or security event of this vendor (an
// invitation, a role change, a removal): who did what to whom, the state
// before and after, and from where.
type AuditEvent struct {
	ent.Schema
}

// Mixin of the AuditEvent: the fields every audit trail has.
func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{auditrecord.Mixin{}}
}
