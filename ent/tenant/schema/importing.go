package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FeedURL is one language's feed.
type FeedURL struct {
	Language string `json:"language"`
	URL      string `json:"url"`
}

// ImportConfig is the vendor's marketplace import set-up: one feed per
// language (the first is the primary language, whose values win where the
// files disagree), the schedule and whether imports run at all.
type ImportConfig struct {
	ent.Schema
}

// Fields of the ImportConfig.
func (ImportConfig) Fields() []ent.Field {
	return []ent.Field{
		field.String("marketplace").NotEmpty().Unique(),
		field.JSON("feeds", []FeedURL{}),
		field.Enum("schedule").Values("off", "daily").Default("off"),
		field.Bool("active").Default(true),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
		field.Int("updated_by").Optional().Nillable(),
	}
}

// ImportSource is what the last import learnt about one language's file, for
// conditional GETs and skipping an unchanged file.
type ImportSource struct {
	ent.Schema
}

// Fields of the ImportSource.
func (ImportSource) Fields() []ent.Field {
	return []ent.Field{
		field.String("language").Unique().NotEmpty(),
		field.String("url"),
		field.String("etag").Default(""),
		field.String("last_modified").Default(""),
		field.String("sha256").Default(""),
		field.Int("last_job").Comment("the import that last read the file"),
		field.Time("fetched_at"),
	}
}

// LanguageRun is one language file's part of an import job.
type LanguageRun struct {
	Language   string     `json:"language"`
	URL        string     `json:"url"`
	Status     string     `json:"status"` // pending, running, done, unchanged, failed, cancelled
	Error      string     `json:"error,omitempty"`
	Rows       int        `json:"rows"`
	Created    int        `json:"created"` // rows that created a staged product
	Merged     int        `json:"merged"`  // rows whose language was new to an existing staged product
	Updated    int        `json:"updated"` // rows that changed their language's item of a staged product
	Unchanged  int        `json:"unchanged"`
	Missing    int        `json:"missing"`
	Failed     int        `json:"failed"`
	Bytes      int64      `json:"bytes"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// ImportJob is one import run (the seed's ImportJob): its state, its counts
// per language and in total, and its progress. At most one is queued or
// running at a time (a partial unique index in the migration says so).
type ImportJob struct {
	ent.Schema
}

// Fields of the ImportJob.
func (ImportJob) Fields() []ent.Field {
	return []ent.Field{
		field.String("marketplace").Default("letzshop"),
		field.Enum("status").Values("queued", "running", "succeeded", "partially_failed", "failed", "cancelled").Default("queued"),
		field.Bool("dry_run").Default(false),
		field.String("trigger").Default("manual").Comment("manual, schedule, demo"),
		field.Int("requested_by").Optional().Nillable(),
		field.Bool("cancel_requested").Default(false),
		field.JSON("languages", []LanguageRun{}),
		field.Int("rows").Default(0),
		field.Int("created").Default(0),
		field.Int("updated").Default(0),
		field.Int("unchanged").Default(0),
		field.Int("missing").Default(0),
		field.Int("failed").Default(0),
		field.Int("drifted").Default(0).Comment("published products whose overridden fields moved in the feed"),
		field.Int("disagreements").Default(0),
		field.Int64("rows_done").Default(0),
		field.Int64("bytes_done").Default(0),
		field.Int("attempts").Default(0).Comment("attempts started"),
		field.Int("max_attempts").Default(5).Comment("attempts allowed before a failure a retry may fix fails the job"),
		field.String("last_error").Default("").Comment("why the last attempt failed (user-safe)"),
		field.Time("next_attempt_at").Optional().Nillable().Comment("when a queued job whose attempt failed is tried again"),
		field.String("error").Default("").Comment("why the job failed, or which files failed (user-safe)"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
	}
}

// Edges of the ImportJob: its reports go with it.
func (ImportJob) Edges() []ent.Edge {
	cascade := entsql.OnDelete(entsql.Cascade)
	return []ent.Edge{
		edge.To("row_errors", ImportRowError.Type).Annotations(cascade),
		edge.To("disagreement_rows", ImportDisagreement.Type).Annotations(cascade),
	}
}

// Indexes of the ImportJob.
func (ImportJob) Indexes() []ent.Index {
	return []ent.Index{index.Fields("created_at")}
}

// ImportRowError is a feed line the import refused, with where and why.
type ImportRowError struct {
	ent.Schema
}

// Fields of the ImportRowError.
func (ImportRowError) Fields() []ent.Field {
	return []ent.Field{
		field.Int("job_id"),
		field.String("language"),
		field.Int("line"),
		field.Int("column").Default(0),
		field.String("field").Default(""),
		field.String("reason"),
		field.String("raw").Default("").Comment("the line as read, made storable (letzshop.Excerpt)"),
		field.String("raw_note").Default("").Comment("what was done to raw: cut, bytes escaped; empty when it is the line as it was"),
	}
}

// Edges of the ImportRowError.
func (ImportRowError) Edges() []ent.Edge {
	return []ent.Edge{edge.From("job", ImportJob.Type).Ref("row_errors").Field("job_id").Unique().Required()}
}

// Indexes of the ImportRowError.
func (ImportRowError) Indexes() []ent.Index {
	return []ent.Index{index.Fields("job_id", "language", "line")}
}

// ImportChange is one row's outcome in one import: create (the row created
// the staged product), merge (its language joined an existing one), update
// (which fields), unchanged, or a product missing from the feed. A dry run writes
// only these. There is one per row of a large file, so it has no foreign key
// (checking one per row cost a tenth of an import's time): pruning a job
// deletes its changes itself.
type ImportChange struct {
	ent.Schema
}

// Fields of the ImportChange.
func (ImportChange) Fields() []ent.Field {
	return []ent.Field{
		field.Int("job_id"),
		field.String("feed_id"),
		field.String("language").Default("").Comment("the file that decided it; empty for missing"),
		field.Int("line").Default(0).Comment("its line in that file; 0 for missing"),
		field.Enum("action").Values("create", "merge", "update", "unchanged", "missing"),
		field.Strings("fields").Optional(),
	}
}

// Indexes of the ImportChange.
func (ImportChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("job_id", "feed_id")}
}

// ImportDisagreement is a shared field on which a product's language files
// differ in one import; the primary language's value was kept.
type ImportDisagreement struct {
	ent.Schema
}

// Fields of the ImportDisagreement.
func (ImportDisagreement) Fields() []ent.Field {
	return []ent.Field{
		field.Int("job_id"),
		field.String("feed_id"),
		field.String("field"),
		field.JSON("values", map[string]string{}),
	}
}

// Edges of the ImportDisagreement.
func (ImportDisagreement) Edges() []ent.Edge {
	return []ent.Edge{edge.From("job", ImportJob.Type).Ref("disagreement_rows").Field("job_id").Unique().Required()}
}

// Indexes of the ImportDisagreement.
func (ImportDisagreement) Indexes() []ent.Index {
	return []ent.Index{index.Fields("job_id", "feed_id")}
}
