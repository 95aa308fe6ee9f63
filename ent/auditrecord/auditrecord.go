// Package auditrecord is the shape both audit trails share — the platform's
// (in the platform schema) and each vendor's (in the vendor's schema): who
// did what to what, the state before and after, from where, when. Each graph's
// AuditEvent schema mixes it in and adds what only it has.
package auditrecord

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// Mixin holds the fields and the time index of an audit event. Every field
// is immutable: an audit trail is appended to, never edited.
type Mixin struct {
	mixin.Schema
}

// Fields of an audit event.
func (Mixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Default(time.Now).Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable().Comment("platform user id; empty when anonymous"),
		field.String("actor_email").Default("").MaxLen(254).Immutable(),
		field.String("action").NotEmpty().MaxLen(100).Immutable(),
		field.String("target_type").Default("").MaxLen(50).Immutable(),
		field.String("target_id").Default("").MaxLen(100).Immutable(),
		field.JSON("before", map[string]any{}).Optional().Immutable(),
		field.JSON("after", map[string]any{}).Optional().Immutable(),
		field.String("ip").Default("").MaxLen(64).Immutable(),
		field.String("request_id").Default("").MaxLen(64).Immutable(),
	}
}

// Indexes of an audit event: trails are read newest first.
func (Mixin) Indexes() []ent.Index {
	return []ent.Index{index.Fields("at")}
}
