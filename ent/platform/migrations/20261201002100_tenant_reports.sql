-- Hand-written: tenant_reports, the one platform-side place a tenant role
-- may write — what it reports about itself, so the super admins' listings
-- read one table instead of visiting every schema. Each tenant's triggers
-- (the tenant migration of the same name) write a summary row per import job
-- and the shop's product count, in the transaction that changes them.
--
-- Row level security keeps each tenant to its own rows: a tenant role reads,
-- adds and changes only rows whose db_role is its own name (current_user
-- inside its bound transaction), and may delete nothing. The application
-- role owns the tables, so RLS does not apply to it (no FORCE): it reads
-- across vendors for the listings and removes a deleted vendor's rows.
--
-- The platform migrator's search_path is the platform schema: every name of
-- tenant_reports is qualified, vendors is the platform's.
CREATE SCHEMA "tenant_reports";
CREATE TABLE "tenant_reports"."import_jobs" (
	"db_role" text NOT NULL,
	"job_id" bigint NOT NULL,
	"status" text NOT NULL,
	"dry_run" boolean NOT NULL DEFAULT false,
	"trigger" text NOT NULL DEFAULT '',
	"rows" bigint NOT NULL DEFAULT 0,
	"created" bigint NOT NULL DEFAULT 0,
	"updated" bigint NOT NULL DEFAULT 0,
	"unchanged" bigint NOT NULL DEFAULT 0,
	"missing" bigint NOT NULL DEFAULT 0,
	"failed" bigint NOT NULL DEFAULT 0,
	"rows_done" bigint NOT NULL DEFAULT 0,
	"error" text NOT NULL DEFAULT '',
	"created_at" timestamptz NOT NULL,
	"started_at" timestamptz NULL,
	"finished_at" timestamptz NULL,
	"updated_at" timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY ("db_role", "job_id")
);
-- The listing, newest first: all vendors, one status, one vendor.
CREATE INDEX "import_jobs_created" ON "tenant_reports"."import_jobs" ("created_at" DESC, "db_role", "job_id");
CREATE INDEX "import_jobs_status" ON "tenant_reports"."import_jobs" ("status", "created_at" DESC);
CREATE INDEX "import_jobs_vendor" ON "tenant_reports"."import_jobs" ("db_role", "created_at" DESC);
CREATE TABLE "tenant_reports"."vendor_figures" (
	"db_role" text NOT NULL,
	"products" bigint NOT NULL DEFAULT 0,
	"updated_at" timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY ("db_role")
);
-- Whether current_user is the tenant role of schema_name: the role holding
-- USAGE on the schema without owning it. Provisioning grants USAGE on a tenant
-- schema to its tenant role alone; the application role owns the schema, and a
-- superuser or any other role holds no such grant. The tenant triggers write
-- only when it is true, so work done on tenant tables as another role (the
-- application role in a migration or a benchmark's unbound baseline, an
-- operator in psql) writes no stray row — RLS would not stop it: the owner
-- and superusers bypass it, and any other role may write rows of its own
-- name. It reads the schema's ACL, which names roles by
-- oid, so it holds across the renames that claim a spare schema.
CREATE FUNCTION "tenant_reports"."is_tenant_role"("schema_name" name) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (
		SELECT FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
		WHERE n.nspname = schema_name AND a.privilege_type = 'USAGE' AND a.grantee <> n.nspowner
			AND a.grantee = pg_catalog.to_regrole(pg_catalog.quote_ident(current_user))::oid)
$$;
ALTER TABLE "tenant_reports"."import_jobs" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "tenant_reports"."vendor_figures" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own_rows_select" ON "tenant_reports"."import_jobs" FOR SELECT USING ("db_role" = current_user);
CREATE POLICY "own_rows_insert" ON "tenant_reports"."import_jobs" FOR INSERT WITH CHECK ("db_role" = current_user);
CREATE POLICY "own_rows_update" ON "tenant_reports"."import_jobs" FOR UPDATE USING ("db_role" = current_user) WITH CHECK ("db_role" = current_user);
CREATE POLICY "own_rows_select" ON "tenant_reports"."vendor_figures" FOR SELECT USING ("db_role" = current_user);
CREATE POLICY "own_rows_insert" ON "tenant_reports"."vendor_figures" FOR INSERT WITH CHECK ("db_role" = current_user);
CREATE POLICY "own_rows_update" ON "tenant_reports"."vendor_figures" FOR UPDATE USING ("db_role" = current_user) WITH CHECK ("db_role" = current_user);
-- Every role may use the tables, and row level security confines each to
-- rows bearing its own name: for a tenant role, its own rows. The grant is
-- to PUBLIC because a grant per tenant role cannot scale: tenant roles are
-- NOINHERIT (a group role's privileges would not reach them), and each
-- direct grant adds an entry to the table's ACL, which lives in its pg_class
-- row — no larger than a page (pg_class has no TOAST table): GRANT fails
-- beyond ~2,400 roles, every privilege check scans the list, and concurrent
-- provisionings granting at once fail on the shared row ("tuple concurrently
-- updated").
GRANT USAGE ON SCHEMA "tenant_reports" TO PUBLIC;
GRANT SELECT, INSERT, UPDATE ON "tenant_reports"."import_jobs", "tenant_reports"."vendor_figures" TO PUBLIC;
