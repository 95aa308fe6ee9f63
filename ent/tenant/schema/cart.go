package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Cart is a shopper's basket, kept on the server and found by an opaque
// token in an HttpOnly cookie (stored here as its SHA-256; the cookie of
// another shop names no cart here). A signed-in shopper's cart is also
// theirs by customer_id, so it follows them to another browser; carts meet
// when they sign in (merged). A cart nobody touched for the configured time
// expires.
type Cart struct {
	ent.Schema
}

// Fields of the Cart.
func (Cart) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("token_hash").Unique().NotEmpty().Sensitive(),
		field.Int("customer_id").Optional().Nillable(),
		field.Int("order_id").Optional().Nillable().Comment("the order it became; a converted cart takes no more lines"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the Cart.
func (Cart) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lines", CartLine.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Cart.
func (Cart) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id"),
		index.Fields("updated_at"),
	}
}

// CartLine is a product and a quantity in a cart. It holds no price to
// charge: the catalogue's current price is the price. What it remembers is
// the price and availability the shopper last saw, so the cart can say what
// changed since.
type CartLine struct {
	ent.Schema
}

// Fields of the CartLine.
func (CartLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("cart_id"),
		field.Int("product_id"),
		field.Int("quantity").Positive(),
		field.Int64("seen_price_cents").NonNegative(),
		field.Bool("seen_available").Default(true),
		field.Time("added_at").Default(time.Now).Immutable(),
	}
}

// Edges of the CartLine.
func (CartLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("cart", Cart.Type).Ref("lines").Field("cart_id").Unique().Required(),
	}
}

// Indexes of the CartLine.
func (CartLine) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("cart_id", "product_id").Unique(),
	}
}
