package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/tenantdb"
)

func migrateCmd() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Migrate the platform schema and every tenant schema",
		Long: `Applies the platform migrations, then the tenant migrations to every vendor
schema, database.migrate_parallel at a time. Each tenant migrates in its own
transaction, so an interrupted run leaves each tenant either migrated or
untouched: run it again to finish. A failing tenant is reported and recorded
(see 'bazaar tenant status') without stopping the others; the exit status is
non-zero if any failed.`,
		Args: cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, a *app, _ []string) error {
			out := cmd.OutOrStdout()
			sum, err := a.db.MigrateAll(cmd.Context(), func(r tenantdb.TenantMigration) {
				switch {
				case r.Err != nil:
					fmt.Fprintf(out, "FAILED   %-30s %v\n", r.Tenant.Slug, r.Err)
				case r.Applied > 0 || verbose:
					fmt.Fprintf(out, "ok       %-30s %s -> %s (%d applied, %s)\n", r.Tenant.Slug, orNone(r.From), r.To, r.Applied, r.Duration.Round(1e6))
				}
			})
			fmt.Fprintf(out, "tenants: %d, migrated: %d, already current: %d, failed: %d (%s)\n",
				sum.Tenants, sum.Migrated, sum.Current, sum.Failed, sum.Duration.Round(1e6))
			if err != nil {
				return err
			}
			if err := a.migrateQueue(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(out, "job queue: schema %s current\n", a.cfg.Queue.Schema)
			n, err := a.db.FillSpares(cmd.Context(), a.cfg.Tenant.SpareSchemas)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "spare schemas: %d wanted, %d prepared now\n", a.cfg.Tenant.SpareSchemas, n)
			return nil
		}),
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also list tenants that were already current")
	return cmd
}

func orNone(v string) string {
	if v == "" {
		return "(none)"
	}
	return v
}
