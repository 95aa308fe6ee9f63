package main

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/internal/compose"
	"github.com/bazaar/bazaar/internal/demo"
	"github.com/bazaar/bazaar/internal/marketplace"
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
			if err := a.migrateQueue(cmd.Context()); err != nil {
				return err
			}
			svc, err := a.services()
			if err != nil {
				return err
			}
			// The sample feeds are served on loopback for the length of the
			// command; only this command's importer may reach that address.
			feedCtx, stopFeeds := context.WithCancel(cmd.Context())
			defer stopFeeds()
			// In development the server serves the same feeds (/dev/feeds/)
			// and may reach itself: the demo shops can import again there,
			// and their pictures are the server's too.
			later, pictures := "", ""
			if a.cfg.HTTP.DevPages {
				_, port, _ := net.SplitHostPort(a.cfg.HTTP.Addr)
				later, pictures = "http://127.0.0.1:"+port+"/dev/feeds", devPictures(port)
			}
			base, err := demo.FeedServer(feedCtx, pictures)
			if err != nil {
				return err
			}
			loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			market := marketplace.New(a.db, a.importOptions(loopback), compose.CatalogSync(svc.catalog), a.log)
			seeded, err := demo.Seed(cmd.Context(), a.db, market, svc.catalog, base, later)
			if err != nil {
				return err
			}
			if err := demo.SeedUsers(cmd.Context(), a.db, svc.identity); err != nil {
				return err
			}
			sales, err := demo.SeedSales(cmd.Context(), a.db, svc.orders, svc.customers)
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
				j := s.Import
				fmt.Fprintf(out, "%s %s: import %d %s (%d rows: %d created, %d updated, %d unchanged), %d products: http://%s.%s:%s/",
					verb, s.Vendor.Name, j.ID, j.Status, j.Counts.Rows, j.Counts.Created, j.Counts.Updated, j.Counts.Unchanged,
					s.Products, s.Vendor.Slug, a.cfg.HTTP.BaseDomain, port)
				if a.cfg.HTTP.PathRouting {
					fmt.Fprintf(out, "  or  http://%s:%s/vendor/%s/", a.cfg.HTTP.BaseDomain, port, s.Vendor.Slug)
				}
				fmt.Fprintln(out)
			}
			for _, s := range sales {
				if s.Orders > 0 {
					fmt.Fprintf(out, "%s: %d demo orders, one in each status; customer account %s (password %q)\n",
						s.Vendor.Name, s.Orders, s.Customer, demo.Password)
				}
			}
			fmt.Fprintf(out, "\nDemo accounts (password %q for each). Back offices: a shop's team at http://<shop>.%s:%s/admin/, super admins at http://admin.%s:%s/\n",
				demo.Password, a.cfg.HTTP.BaseDomain, port, a.cfg.HTTP.BaseDomain, port)
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
			fmt.Fprintf(out, "\nTry bulk onboarding with demo/vendors.csv (four vendors, one of them Atelier Demo, unchanged):\n"+
				"  bazaar vendors import demo/vendors.csv --dry-run\n"+
				"  or as admin@bazaar.test at http://admin.%s:%s/#onboarding\n", a.cfg.HTTP.BaseDomain, port)
			return nil
		}),
	}
}

// devPictures is where a development server's demo pictures are, as a
// shopper's browser reaches them (localhost, like the shops' *.localhost
// hosts).
func devPictures(port string) string { return "http://localhost:" + port + "/dev/feeds" }
