-- Modify "vendors" table
ALTER TABLE "vendors" ADD COLUMN "default_language" character varying NOT NULL DEFAULT 'fr', ADD COLUMN "enabled_languages" jsonb NOT NULL DEFAULT jsonb_build_array('fr', 'de', 'en'), ADD COLUMN "currency" character varying NOT NULL DEFAULT 'EUR', ADD COLUMN "status_changed_at" timestamptz NULL;
