package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Vendor is one shop on the platform. Its data lives in its own PostgreSQL
// schema (DBSchema), reached through its own database role (DBRole); this row
// is the registry entry that tells the platform where that schema is and
// whether it may serve.
type Vendor struct {
	ent.Schema
}

// Fields of the Vendor.
func (Vendor) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").
			Unique().
			Immutable().
			MaxLen(63).
			Comment("subdomain label; the schema and role names derive from it"),
		field.String("name").NotEmpty().MaxLen(200),
		field.String("business_email").Default("").MaxLen(254),
		field.String("business_phone").Default("").MaxLen(50),
		field.String("business_address").Default("").MaxLen(300),
		field.String("business_city").Default("").MaxLen(100),
		field.String("business_postal_code").Default("").MaxLen(20),
		field.String("business_country").Default("").MaxLen(2).
			Comment("ISO 3166-1 alpha-2"),
		field.String("bank_account_holder").Default("").MaxLen(140).
			Comment("who bank transfers pay (shown with an order to pay by bank transfer)"),
		field.String("bank_iban").Default("").MaxLen(34).
			Comment("the account bank transfers pay, checked by internal/vendor (ISO 13616, no spaces)"),
		field.String("bank_bic").Default("").MaxLen(11).
			Comment("the account's bank (ISO 9362), or empty"),
		field.JSON("theme_config", map[string]any{}).
			Default(map[string]any{}).
			Comment("the shop's look (colours, logo, font), validated by internal/vendor; the shop front reads it"),
		field.String("default_language").Default("fr").MaxLen(2).
			Comment("ISO 639-1; the shop's language when a shopper names none; one of enabled_languages"),
		field.Strings("enabled_languages").Default([]string{"fr", "de", "en"}).
			Annotations(entsql.DefaultExpr("jsonb_build_array('fr', 'de', 'en')")). // existing vendors get them too
			Comment("ISO 639-1 codes the shop offers, in the order of its language switch"),
		field.String("currency").Default("EUR").MaxLen(3).Comment("ISO 4217"),
		field.Enum("status").
			Values("active", "suspended").
			Default("active"),
		field.String("suspended_reason").Default("").MaxLen(500),
		field.Time("status_changed_at").Optional().Nillable().
			Comment("when it was last suspended or resumed"),
		field.String("db_schema").Unique().Immutable().MaxLen(63),
		field.String("db_role").Unique().Immutable().MaxLen(63),
		field.String("cluster").Default("main").MaxLen(63).
			Comment("the PostgreSQL cluster holding the vendor's schema: main (database.url) or a name in database.clusters"),
		field.Time("frozen_at").Optional().Nillable().
			Comment("set while a move copies the last changes: the shop's writes are refused with 503 and retried, reads are served"),
		field.String("schema_version").Default("").
			Comment("newest tenant migration applied; written in the migrating transaction"),
		field.String("migration_error").Default("").
			Comment("last failed migration, empty when the schema is healthy"),
		field.Int64("policy_version").Default(0).
			Comment("bumped with every change to the vendor's roles or members; each authorized request compares it with its cached policy"),
		field.Time("next_import_at").Optional().Nillable().
			Comment("when the vendor's daily marketplace import is next due; nil when it has none. A copy of the tenant's import schedule, so the scheduler finds due vendors without visiting every schema"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the Vendor.
func (Vendor) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("domains", VendorDomain.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("memberships", Membership.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("invitations", Invitation.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Vendor.
func (Vendor) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("next_import_at"),
		index.Fields("status"),
		// The super admins' list pages on (sort column, id).
		index.Fields("created_at", "id"),
		index.Fields("name", "id"),
	}
}
