-- A refused line's raw text is kept as storable text (valid UTF-8, no NUL, cut
-- on a character); raw_note says what was done to it.
-- Modify "import_row_errors" table
ALTER TABLE "import_row_errors" ADD COLUMN "raw_note" character varying NOT NULL DEFAULT '';
