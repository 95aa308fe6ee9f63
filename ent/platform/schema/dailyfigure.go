package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// DailyFigure is the platform's figures for one day (UTC), kept by a
// periodic queue job (internal/system) from the platform-side tables: the
// super admins' analytics read these rows. The product total has to be
// taken on the day — a count of products at some past moment cannot be
// derived later — and the rows keep the day's counts when the vendors
// they came from are deleted.
type DailyFigure struct {
	ent.Schema
}

// Annotations of the DailyFigure.
func (DailyFigure) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "platform_daily_figures"}}
}

// Fields of the DailyFigure.
func (DailyFigure) Fields() []ent.Field {
	return []ent.Field{
		field.Time("day").Immutable().SchemaType(map[string]string{dialect.Postgres: "date"}).
			Comment("the day, in UTC"),
		field.Int("signups").Default(0).Comment("users created that day"),
		field.Int("vendors_new").Default(0).Comment("vendors created that day (and not deleted by the time it was counted)"),
		field.Int("imports_started").Default(0).Comment("import jobs, dry runs aside, whose first attempt started that day"),
		field.Int("imports_succeeded").Default(0).Comment("import jobs, dry runs aside, that finished that day: succeeded"),
		field.Int("imports_partially_failed").Default(0).Comment("… partially failed"),
		field.Int("imports_failed").Default(0).Comment("… failed"),
		field.Int("imports_cancelled").Default(0).Comment("… cancelled"),
		field.Int64("products").Optional().Nillable().
			Comment("the platform's product total at products_at, the day's last rollup; null when no rollup ran that day"),
		field.Time("products_at").Optional().Nillable(),
		field.Time("updated_at").Comment("when the row was last written"),
	}
}

// Indexes of the DailyFigure.
func (DailyFigure) Indexes() []ent.Index {
	return []ent.Index{index.Fields("day").Unique()}
}
