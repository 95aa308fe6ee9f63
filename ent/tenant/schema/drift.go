package schema

import (
	"encoding/json"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ProductDrift is a field the vendor overrode whose feed value changed in a
// re-import: the vendor accepts the feed's new value or keeps their own.
type ProductDrift struct {
	ent.Schema
}

// Fields of the ProductDrift.
func (ProductDrift) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id"),
		field.String("field").NotEmpty(),
		field.JSON("source_before", json.RawMessage{}).Optional().Comment("the feed's value when the vendor overrode it"),
		field.JSON("source_now", json.RawMessage{}).Optional(),
		field.JSON("override", json.RawMessage{}).Optional(),
		field.Int("job_id").Comment("the import that found the change"),
		field.Time("detected_at").Default(time.Now),
	}
}

// Edges of the ProductDrift.
func (ProductDrift) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("drifts").Field("product_id").Unique().Required(),
	}
}

// Indexes of the ProductDrift.
func (ProductDrift) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "field").Unique(),
	}
}
