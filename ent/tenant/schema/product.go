package schema

import (
	"encoding/json"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Product is an item of one shop's catalogue. Money is integer cents plus an
// ISO 4217 currency code, never a float. A product published from the
// marketplace staging keeps a link to its staged product, the feed's values
// at the last sync (source) and the fields the vendor changed (overridden):
// a re-import updates every other field and reports the overridden ones whose
// source moved (ProductDrift).
type Product struct {
	ent.Schema
}

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("sku").Unique().NotEmpty().MaxLen(50),
		field.JSON("title", map[string]string{}).Comment("language → title"),
		field.JSON("description", map[string]string{}).Optional().Comment("language → description"),
		field.Int64("price_cents").NonNegative(),
		field.Int64("sale_price_cents").Optional().Nillable().NonNegative(),
		field.String("currency").Default("EUR").MinLen(3).MaxLen(3),
		field.Int("vat_rate_bp").Optional().Nillable().Min(0).Max(10000).Comment("VAT in basis points (17% = 1700); nil: the vendor's default"),
		field.Int("stock").Optional().Nillable().Min(0).Comment("nil: stock not tracked"),
		field.Enum("status").Values("draft", "active", "archived").Default("draft"),
		field.Strings("images").Optional(),
		field.String("brand").Default("").MaxLen(150),
		field.String("gtin").Default("").MaxLen(14),
		field.String("item_group_id").Default("").MaxLen(50).Comment("variants of one product share it"),
		field.Int("staged_product_id").Optional().Nillable().Unique().Comment("the imported product it was published from"),
		field.Strings("overridden").Optional().Comment("synced fields the vendor changed: price, title.fr, ..."),
		field.JSON("source", map[string]json.RawMessage{}).Optional().Comment("the feed's value of each synced field at the last sync"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("staged", StagedProduct.Type).Ref("product").Field("staged_product_id").Unique(),
		edge.To("drifts", ProductDrift.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Product.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Fields("status"),
		index.Fields("brand"),
		index.Fields("item_group_id"),
		index.Fields("price_cents"),
	}
}
