-- An import's attempts are bounded and shown: how many it may take, why the
-- last one failed, when the next one runs.
-- Modify "import_jobs" table
ALTER TABLE "import_jobs" ADD COLUMN "max_attempts" bigint NOT NULL DEFAULT 5, ADD COLUMN "last_error" character varying NOT NULL DEFAULT '', ADD COLUMN "next_attempt_at" timestamptz NULL;
