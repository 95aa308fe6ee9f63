-- Modify "vendors" table
ALTER TABLE "vendors" ADD COLUMN "cluster" character varying NOT NULL DEFAULT 'main', ADD COLUMN "frozen_at" timestamptz NULL;
