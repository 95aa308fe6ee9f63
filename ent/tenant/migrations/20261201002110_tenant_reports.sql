-- Hand-written: the shop reports its import jobs and its product count to
-- the platform's tenant_reports (see the platform migration of the same
-- name), in the transaction that changes them, so the super admins' listings
-- read one table and never visit the schemas.
--
-- The triggers run as whoever writes (SECURITY INVOKER): inside a bound
-- transaction that is the tenant role, and RLS admits only rows whose db_role
-- is its name. They write only when tenant_reports.is_tenant_role says the
-- writer is this schema's tenant role; work done here as the application
-- role (a migration, the benchmarks' unbound baseline) reports nothing, so a
-- migration that changes import_jobs or products rows brings the reports
-- along itself, as this one does below.
CREATE FUNCTION "report_import_job"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT "tenant_reports"."is_tenant_role"(TG_TABLE_SCHEMA) THEN
		RETURN NULL;
	END IF;
	INSERT INTO "tenant_reports"."import_jobs" AS s ("db_role", "job_id", "status", "dry_run", "trigger", "rows", "created",
		"updated", "unchanged", "missing", "failed", "rows_done", "error", "created_at", "started_at", "finished_at", "updated_at")
	VALUES (current_user, NEW."id", NEW."status", NEW."dry_run", NEW."trigger", NEW."rows", NEW."created",
		NEW."updated", NEW."unchanged", NEW."missing", NEW."failed", NEW."rows_done", pg_catalog.left(NEW."error", 500),
		NEW."created_at", NEW."started_at", NEW."finished_at", pg_catalog.now())
	ON CONFLICT ("db_role", "job_id") DO UPDATE SET "status" = EXCLUDED."status", "dry_run" = EXCLUDED."dry_run",
		"trigger" = EXCLUDED."trigger", "rows" = EXCLUDED."rows", "created" = EXCLUDED."created", "updated" = EXCLUDED."updated",
		"unchanged" = EXCLUDED."unchanged", "missing" = EXCLUDED."missing", "failed" = EXCLUDED."failed",
		"rows_done" = EXCLUDED."rows_done", "error" = EXCLUDED."error", "created_at" = EXCLUDED."created_at",
		"started_at" = EXCLUDED."started_at", "finished_at" = EXCLUDED."finished_at", "updated_at" = EXCLUDED."updated_at";
	RETURN NULL;
END
$$;
CREATE TRIGGER "report_import_job" AFTER INSERT OR UPDATE ON "import_jobs" FOR EACH ROW EXECUTE FUNCTION "report_import_job"();
-- The product count moves by the rows a statement inserted or deleted, once
-- per statement (an import publishing thousands adds them in one update).
-- Updates leave it alone, so only inserts and deletes take the row's lock;
-- concurrent ones in one shop wait for each other's commit there.
CREATE FUNCTION "report_product_count"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	IF NOT "tenant_reports"."is_tenant_role"(TG_TABLE_SCHEMA) THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'INSERT' THEN
		SELECT pg_catalog.count(*) INTO n FROM new_rows;
	ELSE
		SELECT -pg_catalog.count(*) INTO n FROM old_rows;
	END IF;
	IF n <> 0 THEN
		INSERT INTO "tenant_reports"."vendor_figures" AS f ("db_role", "products", "updated_at")
		VALUES (current_user, n, pg_catalog.now())
		ON CONFLICT ("db_role") DO UPDATE SET "products" = f."products" + EXCLUDED."products", "updated_at" = EXCLUDED."updated_at";
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER "report_products_inserted" AFTER INSERT ON "products" REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "report_product_count"();
CREATE TRIGGER "report_products_deleted" AFTER DELETE ON "products" REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "report_product_count"();
-- What the shop would have reported so far: its product count and its jobs,
-- under its tenant role — the role holding USAGE on this schema without
-- owning it (this runs as the application role, so current_user is not it).
-- A spare schema reports under its placeholder role until a provisioning
-- claims it and renames role and rows together.
DO $$
DECLARE
	r name;
BEGIN
	FOR r IN
		SELECT o.rolname FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a, pg_catalog.pg_roles o
		WHERE n.nspname = pg_catalog.current_schema() AND a.privilege_type = 'USAGE' AND a.grantee <> n.nspowner AND o.oid = a.grantee
	LOOP
		INSERT INTO "tenant_reports"."vendor_figures" ("db_role", "products", "updated_at")
		SELECT r, pg_catalog.count(*), pg_catalog.now() FROM "products"
		ON CONFLICT ("db_role") DO UPDATE SET "products" = EXCLUDED."products", "updated_at" = EXCLUDED."updated_at";
		INSERT INTO "tenant_reports"."import_jobs" ("db_role", "job_id", "status", "dry_run", "trigger", "rows", "created",
			"updated", "unchanged", "missing", "failed", "rows_done", "error", "created_at", "started_at", "finished_at")
		SELECT r, j."id", j."status", j."dry_run", j."trigger", j."rows", j."created", j."updated", j."unchanged", j."missing",
			j."failed", j."rows_done", pg_catalog.left(j."error", 500), j."created_at", j."started_at", j."finished_at"
		FROM "import_jobs" j
		ON CONFLICT ("db_role", "job_id") DO NOTHING;
	END LOOP;
END
$$;
