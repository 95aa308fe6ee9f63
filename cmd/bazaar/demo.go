package main

import (
	"fmt"
	"maps"
	"net"
	"slices"

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
			svc, err := a.services()
			if err != nil {
				return err
			}
			if err := demo.SeedUsers(cmd.Context(), a.db, svc.identity); err != nil {
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
			fmt.Fprintf(out, "\nDemo accounts (password %q for each; sign in with POST /api/v1/auth/login on any host):\n", demo.Password)
			for _, u := range demo.Users {
				where := "platform super admin"
				if !u.SuperAdmin {
					where = ""
					for _, slug := range slices.Sorted(maps.Keys(u.Roles)) {
						if where != "" {
							where += ", "
						}
						where += u.Roles[slug] + " of " + slug
					}
				}
				fmt.Fprintf(out, "  %-28s %s\n", u.Email, where)
			}
			return nil
		}),
	}
}
