package tenantdb

import (
	"context"
	"slices"
)

// ReportsSchema holds what tenants report about themselves — a summary row
// per import job, the shop's product count — so that the super admins'
// listings read one table instead of visiting every schema. It is the only
// platform-side object a tenant role may touch: it reads, adds and changes
// its own rows (those whose db_role is its name; row level security says so)
// and deletes none. The tables are granted to PUBLIC, not to each tenant
// role: a table's ACL lives in its pg_class row, which cannot hold more than
// ~2,400 grantees, and concurrent provisionings granting on it would fail
// on that one row. Each tenant's triggers write them in the transaction
// that changes the job or the products (the tenant migration
// tenant_reports); the application role owns the tables, so RLS does not
// apply to it, and reads them across vendors.
const ReportsSchema = "tenant_reports"

// reportTables are ReportsSchema's tables, keyed by the tenant role's name:
// summaryTables describe the shop's data (its triggers keep them), mails
// are what it hands off to be sent.
var (
	summaryTables = []string{"import_jobs", "vendor_figures"}
	reportTables  = append(slices.Clone(summaryTables), "mails")
)

// renameReports moves a role's reports to its new name (a claimed spare's
// placeholder role becomes the vendor's), in the caller's transaction.
func renameReports(ctx context.Context, x execQuerier, from, to string) error {
	for _, t := range reportTables {
		if _, err := x.ExecContext(ctx, `UPDATE `+quoteIdent(ReportsSchema)+`.`+t+` SET db_role = $1 WHERE db_role = $2`, to, from); err != nil {
			return err
		}
	}
	return nil
}

// deleteSummaries removes a role's summary rows, not its pending mails:
// a schema that takes the role's name (a restore, a move) brings summaries
// of its own data, and the shop's mails are still to go.
func deleteSummaries(ctx context.Context, x execQuerier, role string) error {
	for _, t := range summaryTables {
		if _, err := x.ExecContext(ctx, `DELETE FROM `+quoteIdent(ReportsSchema)+`.`+t+` WHERE db_role = $1`, role); err != nil {
			return err
		}
	}
	return nil
}

// deleteReports removes a role's reports (its vendor or spare is being
// dropped), in the caller's transaction.
func deleteReports(ctx context.Context, x execQuerier, role string) error {
	for _, t := range reportTables {
		if _, err := x.ExecContext(ctx, `DELETE FROM `+quoteIdent(ReportsSchema)+`.`+t+` WHERE db_role = $1`, role); err != nil {
			return err
		}
	}
	return nil
}
