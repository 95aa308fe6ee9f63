package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LoginThrottle counts recent failed logins for one account (keyed by a hash
// of the email, so unknown addresses are throttled like known ones). It lives
// in the database so every instance sees the same count.
type LoginThrottle struct {
	ent.Schema
}

// Fields of the LoginThrottle.
func (LoginThrottle) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("key").Unique().Immutable(),
		field.Int("failures").Default(0),
		field.Time("window_start").Default(time.Now),
		field.Time("blocked_until").Optional().Nillable(),
	}
}

// Indexes of the LoginThrottle.
func (LoginThrottle) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("window_start"),
	}
}
