package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OutboxMail is a transactional mail waiting to be sent. It is written in the
// same transaction as the change that causes it (an invitation, a password
// reset), so a mail exists exactly when its change committed; a background
// sender delivers it and retries while the mail server is away.
type OutboxMail struct {
	ent.Schema
}

// Fields of the OutboxMail.
func (OutboxMail) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").NotEmpty().MaxLen(50).Immutable(),
		field.String("to").NotEmpty().MaxLen(254).Immutable(),
		field.String("subject").NotEmpty().MaxLen(300).Immutable(),
		field.Text("body").Immutable().Sensitive().
			Comment("may hold a one-time link; never logged"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").Default(time.Now),
		field.Time("sent_at").Optional().Nillable(),
		field.String("last_error").Default("").MaxLen(500),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the OutboxMail.
func (OutboxMail) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("sent_at", "next_attempt_at"),
	}
}
