package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// VendorImport is one bulk vendor CSV a super admin (or an operator) ran:
// its rows are validated when it is uploaded and then onboarded one by one
// by a queue job, which resumes where it stopped. The file itself is not
// kept: its initial passwords exist only as hashes, and only until the
// account is made.
type VendorImport struct {
	ent.Schema
}

// Fields of the VendorImport.
func (VendorImport) Fields() []ent.Field {
	return []ent.Field{
		field.Int("created_by").Optional().Nillable().Immutable().Comment("the super admin's user id; empty for the command line"),
		field.String("actor_email").Default("").MaxLen(254).Immutable(),
		field.String("actor_ip").Default("").MaxLen(64).Immutable(),
		field.String("request_id").Default("").MaxLen(64).Immutable(),
		field.String("file_name").Default("").MaxLen(255).Immutable(),
		field.String("file_sha256").MaxLen(64).Immutable(),
		field.Enum("status").Values("queued", "running", "succeeded", "partially_failed", "failed").Default("queued"),
		field.Int("rows").Default(0),
		field.Int("rows_done").Default(0),
		field.Int("created").Default(0),
		field.Int("unchanged").Default(0),
		field.Int("failed").Default(0),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
	}
}

// Edges of the VendorImport.
func (VendorImport) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lines", VendorImportRow.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the VendorImport.
func (VendorImport) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status")}
}

// VendorImportRow is one line of a bulk vendor CSV: what it asked for, and
// what came of it.
type VendorImportRow struct {
	ent.Schema
}

// Fields of the VendorImportRow.
func (VendorImportRow) Fields() []ent.Field {
	return []ent.Field{
		field.Int("import_id").Immutable(),
		field.Int("line").Immutable().Comment("the line of the file the row starts on"),
		field.String("vendor_name").Default("").MaxLen(200).Immutable(),
		field.String("subdomain").Default("").MaxLen(63).Immutable(),
		field.String("owner_name").Default("").MaxLen(200).Immutable(),
		field.String("owner_email").Default("").MaxLen(254).Immutable(),
		field.String("owner_phone").Default("").MaxLen(50).Immutable(),
		field.String("business_address").Default("").MaxLen(300).Immutable(),
		field.String("business_city").Default("").MaxLen(100).Immutable(),
		field.String("business_postal_code").Default("").MaxLen(20).Immutable(),
		field.String("business_country").Default("").MaxLen(2).Immutable(),
		field.String("letzshop_csv_url").Default("").MaxLen(2000).Immutable(),
		field.String("password_hash").Default("").Sensitive().
			Comment("the initial password's argon2id hash, cleared once the owner's account is made; never the password"),
		field.Enum("outcome").Values("pending", "created", "unchanged", "failed").Default("pending"),
		field.String("reason").Default("").MaxLen(1000),
		field.Int("vendor_id").Optional().Nillable().Comment("set in the vendor's own provisioning transaction"),
		field.Time("done_at").Optional().Nillable(),
	}
}

// Edges of the VendorImportRow.
func (VendorImportRow) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("import", VendorImport.Type).Ref("lines").Field("import_id").Unique().Required().Immutable(),
	}
}

// Indexes of the VendorImportRow.
func (VendorImportRow) Indexes() []ent.Index {
	return []ent.Index{index.Fields("import_id", "line").Unique()}
}
