-- Modify "vendors" table
ALTER TABLE "vendors" ADD COLUMN "bank_account_holder" character varying NOT NULL DEFAULT '', ADD COLUMN "bank_iban" character varying NOT NULL DEFAULT '', ADD COLUMN "bank_bic" character varying NOT NULL DEFAULT '';
