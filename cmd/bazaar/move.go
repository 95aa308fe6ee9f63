package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/tenantdb"
)

func tenantMoveCmd() *cobra.Command {
	o := tenantdb.MoveOptions{}
	cmd := &cobra.Command{
		Use:   "move <slug> --to CLUSTER [--keep-source]",
		Short: "Move a tenant's schema to another PostgreSQL cluster while its shop serves",
		Long: `Move a tenant to another cluster (main, or a name in database.clusters): its
schema is copied while the shop serves, then its writes are refused for a
moment (503 with Retry-After; reads are served) while what changed meanwhile is
copied again and every table is checked, then the registry switches it (every
server follows at once) and, after a short grace, the source is dropped —
or kept, renamed and read-only, with --keep-source. Run again after a crash,
the move finishes or starts over; the shop is never served half-moved.`,
		Args: cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			if o.To == "" {
				return fmt.Errorf("--to CLUSTER is required (clusters: %s)", strings.Join(a.db.Clusters(), ", "))
			}
			o.DrainTimeout = a.cfg.Tenant.MoveDrainTimeout
			svc, err := a.services()
			if err != nil {
				return err
			}
			res, err := svc.vendors.Move(cmd.Context(), operator(), args[0], o)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if res.Tables == 0 { // an earlier run had switched; this one retired its source
				fmt.Fprintf(w, "%s is on %s; finished an earlier move (%s)\n", args[0], res.To, res.KeptSource)
				return nil
			}
			fmt.Fprintf(w, "moved %s from %s to %s: %d tables, %d rows, verified; copied while serving in %s, writes refused for %s, %s in all\n",
				args[0], res.From, res.To, res.Tables, res.Rows, res.Copied.Round(time.Millisecond), res.Frozen.Round(time.Millisecond), res.Total.Round(time.Millisecond))
			if len(res.Recopied) > 0 {
				fmt.Fprintf(w, "written during the copy, copied again frozen: %s\n", strings.Join(res.Recopied, ", "))
			}
			if res.KeptSource != "" {
				fmt.Fprintf(w, "the source is kept, read-only, as %s\n", res.KeptSource)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&o.To, "to", "", "the cluster to move it to")
	cmd.Flags().BoolVar(&o.KeepSource, "keep-source", false, "keep the source schema (renamed moved_…, read-only) instead of dropping it")
	cmd.Flags().DurationVar(&o.Grace, "grace", 5*time.Second, "how long the source stays readable after the switch, for servers that resolved the shop just before it")
	return cmd
}

func tenantClustersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "clusters",
		Short: "List the PostgreSQL clusters and how many tenants each holds",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, a *app, _ []string) error {
			load, err := a.db.ClusterLoad(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CLUSTER\tTENANTS\tNEW TENANTS")
			for _, name := range a.db.Clusters() {
				placed := ""
				switch p := a.cfg.Tenant.Placement; {
				case p == name:
					placed = "all (tenant.placement)"
				case p == "":
					placed = "when it holds the fewest"
				}
				fmt.Fprintf(w, "%s\t%d\t%s\n", name, load[name], placed)
			}
			for name, n := range load {
				if !containsString(a.db.Clusters(), name) {
					fmt.Fprintf(w, "%s\t%d\tNOT CONFIGURED: these tenants do not serve\n", name, n)
				}
			}
			return w.Flush()
		}),
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
