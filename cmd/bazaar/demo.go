package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/internal/demo"
)

func demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Seed demo vendors with the Letzshop sample catalogue (idempotent)",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, a *app, _ []string) error {
			if _, err := a.db.MigrateAll(cmd.Context(), nil); err != nil {
				return err
			}
			seeded, err := demo.Seed(cmd.Context(), a.db)
			if err != nil {
				return err
			}
			_, port, _ := net.SplitHostPort(a.cfg.HTTP.Addr)
			out := cmd.OutOrStdout()
			for _, s := range seeded {
				verb := "updated"
				if s.Created {
					verb = "created"
				}
				fmt.Fprintf(out, "%s %s with %d products: http://%s.%s:%s/", verb, s.Vendor.Name, s.Products, s.Vendor.Slug, a.cfg.HTTP.BaseDomain, port)
				if a.cfg.HTTP.PathRouting {
					fmt.Fprintf(out, "  or  http://%s:%s/vendor/%s/", a.cfg.HTTP.BaseDomain, port, s.Vendor.Slug)
				}
				fmt.Fprintln(out)
			}
			return nil
		}),
	}
}
