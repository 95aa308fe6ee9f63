-- Create index "vendor_created_at_id" to table: "vendors"
CREATE INDEX "vendor_created_at_id" ON "vendors" ("created_at", "id");
-- Create index "vendor_name_id" to table: "vendors"
CREATE INDEX "vendor_name_id" ON "vendors" ("name", "id");
