package main

import (
	"errors"
	"fmt"
	"net"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/tenantdb"
)

func tenantCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Provision, inspect, suspend, resume and delete tenants",
	}
	cmd.AddCommand(tenantCreateCmd(), tenantListCmd(), tenantStatusCmd(),
		tenantStatusChangeCmd("suspend", tenantdb.StatusSuspended),
		tenantStatusChangeCmd("resume", tenantdb.StatusActive),
		tenantDeleteCmd(),
		tenantDomainCmd())
	return cmd
}

func tenantDomainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "domain",
		Short: "Custom domains of a vendor: add, verify (DNS TXT), list",
	}
	add := &cobra.Command{
		Use:   "add <slug> <host>",
		Short: "Register a custom domain; it serves once verified",
		Args:  cobra.ExactArgs(2),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			d, err := a.db.AddDomain(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %s for %s\nprove ownership with a DNS TXT record:\n  %s%s  TXT  %q\nthen run: bazaar tenant domain verify %s\n",
				d.Host, d.VendorSlug, tenantdb.DomainVerifyPrefix, d.Host, d.VerificationToken, d.Host)
			return nil
		}),
	}
	verify := &cobra.Command{
		Use:   "verify <host>",
		Short: "Check the domain's DNS TXT record and let it serve",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			d, err := a.db.VerifyDomain(cmd.Context(), args[0], net.DefaultResolver.LookupTXT)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is verified and serves %s\n", d.Host, d.VendorSlug)
			return nil
		}),
	}
	list := &cobra.Command{
		Use:   "list <slug>",
		Short: "List a vendor's custom domains",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			ds, err := a.db.Domains(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "HOST\tVERIFIED\tTXT RECORD")
			for _, d := range ds {
				fmt.Fprintf(w, "%s\t%v\t%s%s %q\n", d.Host, d.Verified, tenantdb.DomainVerifyPrefix, d.Host, d.VerificationToken)
			}
			return w.Flush()
		}),
	}
	cmd.AddCommand(add, verify, list)
	return cmd
}

func tenantCreateCmd() *cobra.Command {
	var nv tenantdb.NewVendor
	cmd := &cobra.Command{
		Use:   "create <slug>",
		Short: "Provision a vendor: schema, role, tables, registry entry",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			nv.Slug = args[0]
			t, err := a.db.Provision(cmd.Context(), nv)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s (schema %s, role %s) at version %s\n", t.Slug, t.Schema, t.Role, t.SchemaVersion)
			// Top the spare schemas up for the next one, after the answer. The
			// vendor exists whatever happens here, so a failure is a warning
			// (the servers' top-up loops will try again), not the command's.
			if _, err := a.db.FillSpares(cmd.Context(), a.cfg.Tenant.SpareSchemas); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: topping up spare schemas: %v\n", err)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&nv.Name, "name", "", "shop name (required)")
	f.StringVar(&nv.BusinessEmail, "email", "", "business email")
	f.StringVar(&nv.BusinessPhone, "phone", "", "business phone")
	f.StringVar(&nv.BusinessAddress, "address", "", "business street address")
	f.StringVar(&nv.BusinessCity, "city", "", "business city")
	f.StringVar(&nv.BusinessPostalCode, "postal-code", "", "business postal code")
	f.StringVar(&nv.BusinessCountry, "country", "", "business country (ISO 3166-1 alpha-2, e.g. LU)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func tenantListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tenants",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, a *app, _ []string) error {
			ts, err := a.db.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SLUG\tNAME\tSTATUS\tSCHEMA\tCREATED")
			for _, t := range ts {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Status, t.Schema, t.CreatedAt.Format("2006-01-02"))
			}
			return w.Flush()
		}),
	}
}

func tenantStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each tenant's schema revision and whether it is behind",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, a *app, _ []string) error {
			states, err := a.db.States(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "SLUG\tSTATUS\tREVISION\tMIGRATIONS\tSTATE\tLAST ERROR\n")
			behind := 0
			for _, s := range states {
				state := "current"
				switch {
				case s.Err != nil:
					state, behind = "unreadable: "+s.Err.Error(), behind+1
				case s.Behind:
					state, behind = "behind", behind+1
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", s.Tenant.Slug, s.Tenant.Status, orNone(s.Version), s.Applied, state, s.LastError)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d tenants, %d behind; this binary's newest tenant migration is %s\n", len(states), behind, a.db.TenantLatest())
			return nil
		}),
	}
}

func tenantStatusChangeCmd(verb string, to tenantdb.Status) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   verb + " <slug>",
		Short: map[string]string{"suspend": "Stop a vendor's shop from serving (data is kept)", "resume": "Let a suspended vendor serve again"}[verb],
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			t, err := a.db.SetStatus(cmd.Context(), args[0], to, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is now %s\n", t.Slug, t.Status)
			return nil
		}),
	}
	if to == tenantdb.StatusSuspended {
		cmd.Flags().StringVar(&reason, "reason", "", "why (kept on the vendor record)")
	}
	return cmd
}

func tenantDeleteCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete <slug>",
		Short: "Drop a vendor's schema, role and registry entry (all its data); needs --force",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				return errors.New("delete drops every row of the vendor's data; repeat with --force if you mean it (back it up first)")
			}
			a, err := openApp(cmd)
			if err != nil {
				return err
			}
			defer a.close()
			if err := a.db.Delete(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "really delete")
	return cmd
}
