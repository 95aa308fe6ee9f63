package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/internal/team"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb"
)

func tenantCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Provision, inspect, suspend, resume, delete, back up, restore and move tenants",
	}
	cmd.AddCommand(tenantCreateCmd(), tenantListCmd(), tenantStatusCmd(),
		tenantStatusChangeCmd("suspend", tenantdb.StatusSuspended),
		tenantStatusChangeCmd("resume", tenantdb.StatusActive),
		tenantDeleteCmd(),
		tenantDomainCmd(),
		tenantBackupCmd(), tenantRestoreCmd(), tenantVerifyCmd(),
		tenantMoveCmd(), tenantClustersCmd())
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
			svc, err := a.services()
			if err != nil {
				return err
			}
			d, err := svc.vendors.AddDomain(cmd.Context(), operator(), args[0], args[1])
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
			svc, err := a.services()
			if err != nil {
				return err
			}
			d, err := svc.vendors.VerifyDomain(cmd.Context(), operator(), args[0], net.DefaultResolver.LookupTXT)
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
	var (
		in    vendor.NewVendor
		owner vendor.Owner
		feeds []string
	)
	cmd := &cobra.Command{
		Use:   "create <slug>",
		Short: "Provision a vendor (schema, role, tables, registry entry), with its Owner and feeds",
		Long: `Provision a vendor: its schema, role and tables, and its registry entry.
With --owner-email it gets its first Owner: an existing account at once, a new
e-mail by an invitation mailed through the outbox (a link to choose a password;
no password travels by mail). With --feed it gets its daily Letzshop import.
The creation is recorded in the platform audit trail as done by this operator.`,
		Args: cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			svc, err := a.services()
			if err != nil {
				return err
			}
			in.Subdomain = args[0]
			if owner.Email != "" {
				in.Owner = &owner
			}
			if in.Feeds, err = feedFlags(feeds); err != nil {
				return err
			}
			out, err := svc.vendors.Create(cmd.Context(), operator(), in)
			if err != nil {
				return err
			}
			v := out.Vendor
			fmt.Fprintf(cmd.OutOrStdout(), "created %s (id %d, schema %s on cluster %s) at version %s: %s\n", v.Slug, v.ID, tenantdb.SchemaName(v.Slug), v.Cluster, v.SchemaVersion, v.URL)
			if g := out.Owner; g != nil {
				switch g.Outcome {
				case team.OwnerInvited:
					fmt.Fprintf(cmd.OutOrStdout(), "owner: %s is invited (the mail is in the outbox)\n", g.Email)
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "owner: %s (%s)\n", g.Email, g.Outcome)
				}
			}
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
	f.StringVar(&in.Name, "name", "", "shop name (required)")
	f.StringVar(&in.Email, "email", "", "business email")
	f.StringVar(&in.Phone, "phone", "", "business phone")
	f.StringVar(&in.Address, "address", "", "business street address")
	f.StringVar(&in.City, "city", "", "business city")
	f.StringVar(&in.PostalCode, "postal-code", "", "business postal code")
	f.StringVar(&in.Country, "country", "", "business country (ISO 3166-1 alpha-2, e.g. LU)")
	f.StringVar(&owner.Email, "owner-email", "", "the first Owner's e-mail: an existing account, or an invitation")
	f.StringVar(&owner.FirstName, "owner-first-name", "", "the Owner's first name (greets them in the invitation)")
	f.StringVar(&owner.LastName, "owner-last-name", "", "the Owner's last name")
	f.StringArrayVar(&feeds, "feed", nil, "a Letzshop feed as LANG=URL (repeatable; the shop's default language's is primary)")
	f.StringVar(&in.Cluster, "cluster", "", "the PostgreSQL cluster for its schema (default: tenant.placement, else the least loaded)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// feedFlags reads --feed LANG=URL flags.
func feedFlags(flags []string) (map[string]string, error) {
	feeds := map[string]string{}
	for _, f := range flags {
		lang, url, ok := strings.Cut(f, "=")
		if !ok || lang == "" || url == "" {
			return nil, fmt.Errorf("--feed %q: want LANG=URL, e.g. fr=https://…/fr.csv", f)
		}
		if _, dup := feeds[lang]; dup {
			return nil, fmt.Errorf("--feed: %s given twice", lang)
		}
		feeds[lang] = url
	}
	return feeds, nil
}

// operator is the person at the command line, as the audit trail records
// them: no platform account, the operating-system user and host.
func operator() vendor.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return vendor.Actor{Email: "cli:" + name + "@" + host, RequestID: "cli"}
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
			fmt.Fprintln(w, "SLUG\tNAME\tSTATUS\tSCHEMA\tCLUSTER\tCREATED")
			for _, t := range ts {
				status := string(t.Status)
				if t.Frozen() {
					status += " (moving: writes frozen)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, status, t.Schema, t.Cluster, t.CreatedAt.Format("2006-01-02"))
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
		Short: map[string]string{"suspend": "Stop a vendor's shop from serving (data is kept); needs --reason", "resume": "Let a suspended vendor serve again"}[verb],
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			svc, err := a.services()
			if err != nil {
				return err
			}
			id, err := svc.vendors.BySlug(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			change := svc.vendors.Resume
			if to == tenantdb.StatusSuspended {
				change = svc.vendors.Suspend
			}
			v, err := change(cmd.Context(), operator(), id, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is now %s\n", v.Slug, v.Status)
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", map[string]string{
		"suspend": "why (required; kept on the vendor record and in the audit trail)",
		"resume":  "why (kept in the audit trail)",
	}[verb])
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
			svc, err := a.services()
			if err != nil {
				return err
			}
			id, err := svc.vendors.BySlug(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := svc.vendors.Delete(cmd.Context(), operator(), id, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "really delete")
	return cmd
}
