package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Address is a postal address as a shopper gives it (billing or shipping).
type Address struct {
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	PostalCode string `json:"postal_code"`
	City       string `json:"city"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
	Phone      string `json:"phone,omitempty"`
}

// Customer is one shop's shopper. A shop's customers are its own: the same
// e-mail in two shops is two customers who know nothing of each other. A
// guest checkout leaves a customer without a password (has_account false);
// registering that e-mail later gives it one, but the orders placed as a guest
// stay out of the account's view (nobody proved they placed them).
type Customer struct {
	ent.Schema
}

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").Unique().NotEmpty().MaxLen(254).Comment("normalised: trimmed, lower case"),
		field.String("password_hash").Optional().Sensitive().Comment("argon2id PHC string; empty for a guest"),
		field.Bool("has_account").Default(false),
		field.String("first_name").Default("").MaxLen(100),
		field.String("last_name").Default("").MaxLen(100),
		field.String("phone").Default("").MaxLen(50),
		field.String("language").Default("").MaxLen(8),
		field.JSON("addresses", []Address{}).Optional(),
		field.Int("failed_logins").Default(0),
		field.Time("locked_until").Optional().Nillable(),
		field.Time("last_login_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sessions", CustomerSession.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("orders", Order.Type),
	}
}

// Indexes of the Customer.
func (Customer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
	}
}

// CustomerSession is a shopper's signed-in session: an opaque random token
// kept by the browser in an HttpOnly cookie and stored here only as its
// SHA-256. It is a realm of its own: nothing in it is a team credential.
// Kind "session" signs in; kind "reset" is a one-time password reset link.
type CustomerSession struct {
	ent.Schema
}

// Fields of the CustomerSession.
func (CustomerSession) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("token_hash").Unique().NotEmpty().Sensitive(),
		field.Enum("kind").Values("session", "reset").Default("session"),
		field.Int("customer_id"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Edges of the CustomerSession.
func (CustomerSession) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("sessions").Field("customer_id").Unique().Required(),
	}
}

// Indexes of the CustomerSession.
func (CustomerSession) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id"),
		index.Fields("expires_at"),
	}
}
