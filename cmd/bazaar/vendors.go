package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/internal/vendor"
)

func vendorsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vendors",
		Short: "Onboard vendors in bulk",
	}
	cmd.AddCommand(vendorsImportCmd())
	return cmd
}

func vendorsImportCmd() *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Onboard the vendors of a bulk CSV (the seed's columns); --dry-run only checks",
		Long: `Onboard the vendors of a bulk CSV with the columns
  ` + strings.Join(vendor.BulkColumns, ",") + `
Every row is checked first and reported with its line. With --dry-run nothing
is written. Otherwise each valid row becomes a vendor with its feed and its
Owner — an account with the row's initial_password (to be changed at first
sign-in), or an invitation when it is empty — one at a time, with a progress
bar on a terminal. Rows whose vendor exists already are unchanged, so running
the file again is harmless; an interrupted run is finished by the next
'bazaar serve' (or run the file again).`,
		Args: cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			svc, err := a.services()
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rows, sum, err := svc.vendors.ReadBulk(f)
			if err != nil {
				return err
			}
			out, ctx := cmd.OutOrStdout(), cmd.Context()
			if dry {
				report, err := svc.vendors.CheckBulk(ctx, rows)
				if err != nil {
					return err
				}
				for _, l := range report.Lines {
					if l.Outcome == vendor.RowInvalid {
						fmt.Fprintf(out, "line %d (%s): %s\n", l.Line, l.Subdomain, problems(l.Problems))
					}
				}
				fmt.Fprintf(out, "%d rows: %d to create, %d unchanged, %d invalid (dry run: nothing was written)\n",
					report.Rows, report.Create, report.Unchanged, report.Invalid)
				if report.Invalid > 0 {
					return fmt.Errorf("%d rows are invalid", report.Invalid)
				}
				return nil
			}
			imp, err := svc.vendors.StartBulk(ctx, operator(), filepath.Base(args[0]), sum, rows)
			if err != nil {
				return err
			}
			bar := progressBar(cmd.ErrOrStderr())
			err = svc.vendors.RunBulk(ctx, imp.ID, bar)
			if errors.Is(err, vendor.ErrBulkBusy) {
				return fmt.Errorf("bulk import %d is being run by a server", imp.ID)
			}
			if err != nil {
				return err
			}
			if imp, err = svc.vendors.Bulk(ctx, imp.ID); err != nil {
				return err
			}
			fmt.Fprintf(out, "bulk import %d %s: %d rows, %d created, %d unchanged, %d failed\n",
				imp.ID, imp.Status, imp.Rows, imp.Created, imp.Unchanged, imp.Failed)
			for r := (page.Request{Limit: vendor.BulkLineLimits.Max}); imp.Failed > 0; {
				pg, err := svc.vendors.BulkLinesPage(ctx, imp.ID, vendor.OutcomeFailed, r)
				if err != nil {
					return err
				}
				for _, l := range pg.Items {
					fmt.Fprintf(out, "line %d (%s): %s\n", l.Line, l.Subdomain, l.Reason)
				}
				if r.Cursor = pg.NextCursor; r.Cursor == "" {
					break
				}
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "check every row and report; write nothing")
	return cmd
}

// problems prints a row's problems column by column.
func problems(p map[string]string) string {
	var parts []string
	for _, c := range vendor.BulkColumns {
		if msg, ok := p[c]; ok {
			parts = append(parts, c+": "+msg)
		}
	}
	return strings.Join(parts, "; ")
}

// progressBar draws the run's progress on w when w is a terminal, on one
// line rewritten in place; elsewhere (a log, a pipe) it stays silent.
func progressBar(w io.Writer) func(vendor.BulkImport) {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return nil
	}
	return func(i vendor.BulkImport) {
		const width = 30
		done := 0
		if i.Rows > 0 {
			done = width * i.RowsDone / i.Rows
		}
		fmt.Fprintf(w, "\r[%s%s] %d/%d rows  created %d  unchanged %d  failed %d ",
			strings.Repeat("#", done), strings.Repeat(".", width-done), i.RowsDone, i.Rows, i.Created, i.Unchanged, i.Failed)
		if i.Status != "running" && i.Status != "queued" {
			fmt.Fprintln(w)
		}
	}
}
