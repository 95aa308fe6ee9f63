package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Product is an item of one shop's catalogue. Money is integer cents plus an
// ISO 4217 currency code, never a float.
type Product struct {
	ent.Schema
}

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("sku").Unique().NotEmpty().MaxLen(50),
		field.String("name").NotEmpty().MaxLen(150),
		field.Int64("price_cents").NonNegative(),
		field.String("currency").Default("EUR").MinLen(3).MaxLen(3),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Product.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
	}
}
