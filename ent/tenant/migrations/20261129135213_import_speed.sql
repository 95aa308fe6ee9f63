-- An import writes every row of a feed here: no foreign key checked per
-- report row (pruning deletes a job's changes itself), and only the staged
-- products' indexes that pay for themselves. The per-row report gets the
-- row's line.
-- Modify "import_changes" table
ALTER TABLE "import_changes" DROP CONSTRAINT "import_changes_import_jobs_changes", ADD COLUMN "line" bigint NOT NULL DEFAULT 0;
-- Drop index "stagedproduct_availability" from table: "staged_products"
DROP INDEX "stagedproduct_availability";
-- Drop index "stagedproduct_brand" from table: "staged_products"
DROP INDEX "stagedproduct_brand";
-- Drop index "stagedproduct_item_group_id" from table: "staged_products"
DROP INDEX "stagedproduct_item_group_id";
