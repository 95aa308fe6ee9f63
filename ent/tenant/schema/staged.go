package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/bazaar/bazaar/internal/letzshop"
)

// StagedProduct is one product of the vendor's marketplace feed (the seed's
// ImportedProduct), keyed by the feed's id: every language's normalized item
// and raw columns, merged across the language files and across imports. The
// import writes these rows with COPY and SQL of its own (internal/marketplace);
// the searchable columns are copies of the primary language's item.
type StagedProduct struct {
	ent.Schema
}

// Fields of the StagedProduct.
func (StagedProduct) Fields() []ent.Field {
	return []ent.Field{
		field.String("feed_id").Unique().NotEmpty().MaxLen(50),
		field.String("item_group_id").Default(""),
		field.String("title").Default(""),
		field.String("brand").Default(""),
		field.String("availability").Default(""),
		field.String("category").Default(""),
		field.Int64("price_cents").Optional().Nillable(),
		field.String("currency").Default(""),
		field.JSON("items", map[string]letzshop.Item{}).Comment("language → normalized item"),
		field.JSON("raw", map[string][][2]string{}).Comment("language → every column as read, unknown ones included"),
		field.JSON("seen", map[string]int{}).Comment("language → the last import whose file listed it"),
		field.Int("created_job"),
		field.Int("changed_job").Comment("the last import that changed it"),
		field.Int("missing_since_job").Optional().Nillable().Comment("set while the latest feed no longer lists it"),
		field.Time("updated_at").Default(time.Now),
	}
}

// Edges of the StagedProduct.
func (StagedProduct) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("product", Product.Type).Unique().Annotations(entsql.OnDelete(entsql.SetNull)),
		edge.To("selection", StagedSelection.Type).Unique().Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the StagedProduct.
func (StagedProduct) Indexes() []ent.Index {
	// Few on purpose: every index is paid for on each of an import's rows,
	// and one vendor's staging is filtered fast enough by a scan.
	return []ent.Index{
		index.Fields("changed_job"),
	}
}

// StagedSelection marks a staged product the vendor chose to publish. It is
// a table of its own so selecting never waits for an import's row locks.
type StagedSelection struct {
	ent.Schema
}

// Fields of the StagedSelection.
func (StagedSelection) Fields() []ent.Field {
	return []ent.Field{
		field.Int("staged_product_id").Unique(),
		field.Time("selected_at").Default(time.Now),
	}
}

// Edges of the StagedSelection.
func (StagedSelection) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("staged", StagedProduct.Type).Ref("selection").Field("staged_product_id").Unique().Required(),
	}
}
