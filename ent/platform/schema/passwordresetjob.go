package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// PasswordResetJob is a mass password reset a super admin asked for: the
// accounts it covers are fixed when it is asked for (one row each), and a
// queue job resets them one at a time, each in the transaction that records
// its outcome, so a run that stops resumes without resetting anyone twice.
type PasswordResetJob struct {
	ent.Schema
}

// Fields of the PasswordResetJob.
func (PasswordResetJob) Fields() []ent.Field {
	return []ent.Field{
		field.Int("created_by").Immutable().Comment("the super admin's user id"),
		field.String("actor_email").Default("").MaxLen(254).Immutable(),
		field.String("actor_ip").Default("").MaxLen(64).Immutable(),
		field.String("request_id").Default("").MaxLen(64).Immutable(),
		field.Enum("scope").Values("users", "vendor", "all").Immutable(),
		field.Int("vendor_id").Optional().Nillable().Immutable().Comment("the vendor whose team it covers (scope vendor)"),
		field.Enum("status").Values("queued", "running", "succeeded").Default("queued"),
		field.Int("users").Default(0).Comment("accounts covered"),
		field.Int("done").Default(0),
		field.Int("reset").Default(0),
		field.Int("skipped").Default(0),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
	}
}

// Edges of the PasswordResetJob.
func (PasswordResetJob) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("accounts", PasswordResetJobUser.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the PasswordResetJob.
func (PasswordResetJob) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status")}
}

// PasswordResetJobUser is one account of a mass password reset and what
// came of it: pending until the run resets it (or skips it, saying why) in
// the same transaction as the reset itself.
type PasswordResetJobUser struct {
	ent.Schema
}

// Fields of the PasswordResetJobUser.
func (PasswordResetJobUser) Fields() []ent.Field {
	return []ent.Field{
		field.Int("job_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Enum("outcome").Values("pending", "reset", "skipped").Default("pending"),
		field.String("reason").Default("").MaxLen(200),
		field.Time("done_at").Optional().Nillable(),
	}
}

// Edges of the PasswordResetJobUser.
func (PasswordResetJobUser) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("job", PasswordResetJob.Type).Ref("accounts").Field("job_id").Unique().Required().Immutable(),
	}
}

// Indexes of the PasswordResetJobUser.
func (PasswordResetJobUser) Indexes() []ent.Index {
	// The run walks a job's accounts in user id order, from where it was.
	return []ent.Index{index.Fields("job_id", "user_id").Unique()}
}
