package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// VATLine is one rate of an order's VAT breakdown. Prices include VAT, so
// gross is what was charged at the rate, vat the tax inside it and net the
// rest.
type VATLine struct {
	RateBP     int   `json:"rate_bp"`
	GrossCents int64 `json:"gross_cents"`
	VATCents   int64 `json:"vat_cents"`
	NetCents   int64 `json:"net_cents"`
}

// Order is a sale of one shop. Its number is the shop's own, gapless and in
// order of placing (order_counters); everything a shopper was charged is
// snapshotted on it and its lines, so later changes to the catalogue change
// no order. Totals are integer cents, VAT included.
type Order struct {
	ent.Schema
}

// Fields of the Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("number").Unique().Immutable().Positive(),
		field.Enum("status").Values("pending_payment", "paid", "fulfilled", "completed", "cancelled", "refunded").Default("pending_payment"),
		field.Enum("source").Values("shop", "staff").Default("shop").Immutable(),
		field.Int("customer_id").Optional().Nillable(),
		field.Bool("guest").Default(true).Comment("placed without signing in: the account does not list it"),
		field.String("email").NotEmpty().MaxLen(254),
		field.String("language").MaxLen(8),
		field.JSON("billing_address", Address{}),
		field.JSON("shipping_address", Address{}).Optional(),
		field.String("shipping_method").MaxLen(50),
		field.String("shipping_name").Default("").MaxLen(100),
		field.Int64("shipping_cents").NonNegative(),
		field.Int("shipping_vat_bp").Min(0).Max(10000),
		field.Int64("subtotal_cents").NonNegative().Comment("the lines, VAT included"),
		field.Int64("vat_cents").NonNegative(),
		field.Int64("total_cents").NonNegative(),
		field.JSON("vat_breakdown", []VATLine{}),
		field.String("currency").MinLen(3).MaxLen(3),
		field.Int("units").NonNegative(),
		field.String("payment_method").MaxLen(30),
		field.String("payment_ref").Default("").MaxLen(255).Comment("the provider's id of the payment (a PaymentIntent)"),
		field.Int64("refunded_cents").Default(0).NonNegative(),
		field.String("tracking_number").Default("").MaxLen(100),
		field.String("idempotency_key").Optional().Nillable().Unique().MaxLen(100),
		field.Bytes("request_hash").Optional().Comment("SHA-256 of the checkout that used the idempotency key"),
		field.Int("cart_id").Optional().Nillable(),
		field.Int("created_by").Default(0).Comment("the team member who entered a staff order; 0 for the shop"),
		field.Bool("stock_released").Default(false),
		field.Time("expires_at").Optional().Nillable().Comment("an unpaid order is cancelled then, its stock released"),
		field.Time("paid_at").Optional().Nillable(),
		field.Time("fulfilled_at").Optional().Nillable(),
		field.Time("completed_at").Optional().Nillable(),
		field.Time("cancelled_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("orders").Field("customer_id").Unique(),
		edge.To("lines", OrderLine.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("events", OrderEvent.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Fields("status", "created_at"),
		index.Fields("customer_id", "created_at"),
		index.Fields("payment_ref"),
		index.Fields("expires_at"),
	}
}

// OrderLine is one product of an order as it was sold: SKU, title in the
// shopper's language, unit price and VAT rate copied at checkout.
type OrderLine struct {
	ent.Schema
}

// Fields of the OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id"),
		field.Int("product_id"),
		field.String("sku").MaxLen(50),
		field.String("title").MaxLen(500),
		field.Int("quantity").Positive(),
		field.Int64("unit_price_cents").NonNegative(),
		field.Int("vat_rate_bp").Min(0).Max(10000),
		field.Int64("total_cents").NonNegative(),
		field.Int64("vat_cents").NonNegative(),
	}
}

// Edges of the OrderLine.
func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("lines").Field("order_id").Unique().Required(),
	}
}

// Indexes of the OrderLine.
func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id"),
		index.Fields("product_id"),
	}
}

// OrderEvent is the order's history: who did what, when — placing, status
// changes, payments, refunds, notes, tracking numbers.
type OrderEvent struct {
	ent.Schema
}

// Fields of the OrderEvent.
func (OrderEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id"),
		field.String("kind").MaxLen(30).Comment("placed, status, payment, refund, note, tracking"),
		field.String("from_status").Default("").MaxLen(30),
		field.String("to_status").Default("").MaxLen(30),
		field.Int64("amount_cents").Default(0),
		field.String("note").Default("").MaxLen(2000),
		field.String("actor").MaxLen(300).Comment("user:<id> <email>, shopper, stripe, system"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the OrderEvent.
func (OrderEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("events").Field("order_id").Unique().Required(),
	}
}

// Indexes of the OrderEvent.
func (OrderEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id", "created_at"),
	}
}

// OrderCounter hands out the shop's order numbers. Taking a number updates
// the one row in the order's transaction, so numbers are gapless (a
// rolled-back checkout gives its number back) and in order of placing.
type OrderCounter struct {
	ent.Schema
}

// Fields of the OrderCounter.
func (OrderCounter) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().NotEmpty().MaxLen(30),
		field.Int64("last").Default(0),
	}
}

// PaymentEvent is a provider's event (a webhook) already handled: its id is
// unique, so a replayed or repeated delivery changes nothing.
type PaymentEvent struct {
	ent.Schema
}

// Fields of the PaymentEvent.
func (PaymentEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("provider").MaxLen(30),
		field.String("event_id").MaxLen(255),
		field.String("type").MaxLen(100),
		field.Int("order_id").Optional().Nillable(),
		field.String("outcome").MaxLen(100),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the PaymentEvent.
func (PaymentEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("provider", "event_id").Unique(),
	}
}

// PaymentAccount is the shop's own account with a payment provider. Secrets
// are sealed with the platform's payment key (AES-GCM, bound to the shop and
// the field), never returned by the API and never logged.
type PaymentAccount struct {
	ent.Schema
}

// Fields of the PaymentAccount.
func (PaymentAccount) Fields() []ent.Field {
	return []ent.Field{
		field.String("provider").Unique().MaxLen(30),
		field.Bool("enabled").Default(true),
		field.String("publishable_key").Default("").MaxLen(255),
		field.Bytes("secret_key_sealed").Optional().Sensitive(),
		field.Bytes("webhook_secret_sealed").Optional().Sensitive(),
		field.String("secret_key_hint").Default("").MaxLen(20).Comment("the last four characters, to recognise it"),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// ShippingMethod is a way the shop delivers: a flat rate, free above an
// order amount (flat below it), or pickup at the shop (the feed's
// self_collect).
type ShippingMethod struct {
	ent.Schema
}

// Fields of the ShippingMethod.
func (ShippingMethod) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().NotEmpty().MaxLen(50),
		field.Enum("kind").Values("flat", "free_above", "pickup"),
		field.JSON("name", map[string]string{}).Comment("language → name"),
		field.Int64("price_cents").Default(0).NonNegative(),
		field.Int64("free_above_cents").Optional().Nillable().NonNegative(),
		field.Bool("active").Default(true),
		field.Int("position").Default(0),
	}
}

// SalesDay is the shop's sales of one day, kept with each order so the
// vendor's analytics read one row per day, not every order.
type SalesDay struct {
	ent.Schema
}

// Fields of the SalesDay.
func (SalesDay) Fields() []ent.Field {
	return []ent.Field{
		field.Time("day").Unique().SchemaType(map[string]string{"postgres": "date"}),
		field.Int64("orders").Default(0),
		field.Int64("revenue_cents").Default(0),
		field.Int64("units").Default(0),
		field.Int64("carts").Default(0),
	}
}

// ProductSalesDay is one product's sales of one day (for top products).
type ProductSalesDay struct {
	ent.Schema
}

// Fields of the ProductSalesDay.
func (ProductSalesDay) Fields() []ent.Field {
	return []ent.Field{
		field.Time("day").SchemaType(map[string]string{"postgres": "date"}),
		field.Int("product_id"),
		field.String("sku").MaxLen(50),
		field.String("title").MaxLen(500),
		field.Int64("units").Default(0),
		field.Int64("revenue_cents").Default(0),
	}
}

// Indexes of the ProductSalesDay.
func (ProductSalesDay) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("day", "product_id").Unique(),
	}
}
