-- Modify "vendors" table
ALTER TABLE "vendors" ADD COLUMN "next_import_at" timestamptz NULL;
-- Create index "vendor_next_import_at" to table: "vendors"
CREATE INDEX "vendor_next_import_at" ON "vendors" ("next_import_at");
