package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/archive"
)

// backupExt ends every backup file's name.
const backupExt = ".bzbackup"

func tenantBackupCmd() *cobra.Command {
	var (
		out, dir string
		all      bool
		parallel int
	)
	cmd := &cobra.Command{
		Use:   "backup <slug> [--out FILE] | --all --dir DIR [--parallel N]",
		Short: "Back up one tenant (or every tenant) to a verified, compressed file",
		Long: `Back up a tenant: every table of its schema and its platform rows (registry
row, custom domains, team with e-mails, import summaries), from one consistent
snapshot, into one zstd-compressed file with a manifest of row counts and
SHA-256 checksums. The shop keeps serving and importing meanwhile (no lock
stronger than ACCESS SHARE).

With --all every tenant is backed up into DIR as <slug>` + backupExt + `, N at a
time; a file is written under a temporary name and renamed when complete, so
a run that stops midway is resumed by running it again (tenants with a file
are skipped).`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case all && len(args) > 0:
				return errors.New("give a slug or --all, not both")
			case all && dir == "":
				return errors.New("--all needs --dir DIR")
			case !all && len(args) != 1:
				return errors.New("give the slug of the tenant to back up (or --all --dir DIR)")
			case !all && dir != "":
				return errors.New("--dir goes with --all; for one tenant use --out FILE")
			case parallel < 1:
				return errors.New("--parallel must be at least 1")
			}
			return nil
		},
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			if all {
				return backupAll(cmd.Context(), a.db, dir, parallel, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			slug := args[0]
			if out == "" {
				out = slug + "-" + time.Now().UTC().Format("20060102T150405Z") + backupExt
			}
			start := time.Now()
			var m *archive.Manifest
			var size int64
			err := writeFile(out, cmd.OutOrStdout(), func(w io.Writer) error {
				cw := &countingWriter{w: w}
				_, mm, err := a.db.Backup(cmd.Context(), slug, cw)
				m, size = mm, cw.n
				return err
			})
			if err != nil {
				return err
			}
			if out != "-" {
				fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s: %d tables, %d rows, %s, in %s\n",
					slug, out, len(m.Tables), m.Rows(), byteSize(size), time.Since(start).Round(time.Millisecond))
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", `the file to write ("-": standard output; default <slug>-<time>`+backupExt+`)`)
	f.BoolVar(&all, "all", false, "back up every tenant (with --dir)")
	f.StringVar(&dir, "dir", "", "with --all: the directory of the backups (made if missing)")
	f.IntVar(&parallel, "parallel", 2, "with --all: how many tenants at once (a connection each)")
	return cmd
}

// writeFile writes a file through write: "-" is out; anything else is
// written under a temporary name in the same directory, synced, and renamed
// into place, so a file by that name is always a whole backup.
func writeFile(name string, out io.Writer, write func(io.Writer) error) error {
	if name == "-" {
		return write(out)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.partial")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(name)); err == nil {
		_ = d.Sync() // the rename itself, durable
		d.Close()
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// backupAll backs up every tenant into dir, parallel at a time, skipping
// tenants whose file exists (a run resumed), and prints a summary. Failures
// do not stop the others; they are listed, and the command fails.
func backupAll(ctx context.Context, db *tenantdb.DB, dir string, parallel int, out, errOut io.Writer) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tenants, err := db.Tenants(ctx)
	if err != nil {
		return err
	}
	var (
		mu               sync.Mutex
		failed           []string
		done, skipped    atomic.Int64
		bytes, rows      atomic.Int64
		start            = time.Now()
		jobs             = make(chan *tenantdb.Tenant)
		wg               sync.WaitGroup
		bar              = backupBar(errOut, len(tenants))
		stopBar, barDone = make(chan struct{}), make(chan struct{})
	)
	go func() {
		defer close(barDone)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopBar:
				bar(done.Load()+skipped.Load(), bytes.Load(), time.Since(start), true)
				return
			case <-t.C:
				bar(done.Load()+skipped.Load(), bytes.Load(), time.Since(start), false)
			}
		}
	}()
	for range parallel {
		wg.Go(func() {
			for t := range jobs {
				name := filepath.Join(dir, t.Slug+backupExt)
				if _, err := os.Stat(name); err == nil {
					skipped.Add(1)
					continue
				}
				err := writeFile(name, nil, func(w io.Writer) error {
					cw := &countingWriter{w: w}
					_, m, err := db.Backup(ctx, t.Slug, cw)
					if err == nil {
						bytes.Add(cw.n)
						rows.Add(m.Rows())
					}
					return err
				})
				if err != nil {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("%s: %v", t.Slug, err))
					mu.Unlock()
					continue
				}
				done.Add(1)
			}
		})
	}
	for _, t := range tenants {
		if ctx.Err() != nil {
			break
		}
		jobs <- t
	}
	close(jobs)
	wg.Wait()
	close(stopBar)
	<-barDone
	fmt.Fprintf(out, "backed up %d tenants into %s in %s (%d already there, skipped): %d rows, %s; %d failed\n",
		done.Load(), dir, time.Since(start).Round(time.Millisecond), skipped.Load(), rows.Load(), byteSize(bytes.Load()), len(failed))
	for _, f := range failed {
		fmt.Fprintln(out, "  failed:", f)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted; run the same command again to back up the rest: %w", err)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d tenants failed; run the same command again to retry them", len(failed), len(tenants))
	}
	return nil
}

// backupBar draws --all's progress on w when w is a terminal, on one line
// rewritten in place; elsewhere it draws nothing.
func backupBar(w io.Writer, total int) func(n, size int64, took time.Duration, last bool) {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) || total == 0 {
		return func(int64, int64, time.Duration, bool) {}
	}
	return func(n, size int64, took time.Duration, last bool) {
		const width = 30
		k := int(width * n / int64(total))
		eta := "?"
		if n > 0 {
			eta = (took * time.Duration(int64(total)-n) / time.Duration(n)).Round(time.Second).String()
		}
		fmt.Fprintf(w, "\r[%s%s] %d/%d tenants  %s  %s elapsed  eta %s ",
			strings.Repeat("#", k), strings.Repeat(".", width-k), n, total, byteSize(size), took.Round(time.Second), eta)
		if last {
			fmt.Fprintln(w)
		}
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func tenantRestoreCmd() *cobra.Command {
	var o tenantdb.RestoreOptions
	cmd := &cobra.Command{
		Use:   "restore <file> [--as NEW_SLUG [--with-members]] [--force]",
		Short: "Restore a tenant from a backup file, verified, in one transaction",
		Long: `Restore a backup: its schema is made at the backup's revision, filled, checked
against the manifest's row counts and checksums, its sequences moved past the
restored ids, migrated forward when the backup is older than this binary,
then made live — all in one transaction, so a failure leaves nothing. A
backup from a newer Bazaar is refused.

By default the vendor comes back under its own slug, with its domains and
team (members whose e-mail has no account here are listed). Over an existing
vendor only with --force: its data, settings and team become the backup's,
switched in one step (a request sees the old shop or the restored one, never
half of either). --as NEW_SLUG makes an independent copy with its own schema
and role, without custom domains; its team only with --with-members.`,
		Args: cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, a *app, args []string) error {
			if o.WithMembers && o.As == "" {
				return errors.New("--with-members goes with --as (a restore under the backup's own slug brings its team anyway)")
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			svc, err := a.services()
			if err != nil {
				return err
			}
			start := time.Now()
			res, err := svc.vendors.Restore(cmd.Context(), operator(), f, o)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			h := res.Header
			verb := "restored"
			if res.Replaced {
				verb = "replaced the data of"
			}
			fmt.Fprintf(w, "%s %s from %s (backup of %s taken %s at revision %s): %d tables, %d rows, verified, in %s\n",
				verb, res.Tenant.Slug, args[0], h.Slug, h.Created.Format(time.RFC3339), h.Revision,
				len(res.Manifest.Tables), res.Manifest.Rows(), time.Since(start).Round(time.Millisecond))
			if res.Migrated > 0 {
				fmt.Fprintf(w, "migrated forward: %d migrations, now at %s\n", res.Migrated, res.Tenant.SchemaVersion)
			}
			if res.Members > 0 || len(res.MissingMembers) > 0 {
				fmt.Fprintf(w, "team: %d members restored\n", res.Members)
			}
			for _, e := range res.MissingMembers {
				fmt.Fprintf(w, "  not restored: %s has no account on this platform (invite them again)\n", e)
			}
			if res.PaymentsCleared {
				fmt.Fprintln(w, "  card payments are off: the Stripe keys were sealed to the original vendor; set them again (PUT /api/v1/settings/payments)")
			}
			for _, d := range res.TakenDomains {
				fmt.Fprintf(w, "  not restored: domain %s belongs to another vendor now\n", d)
			}
			if _, err := a.db.FillSpares(cmd.Context(), a.cfg.Tenant.SpareSchemas); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: topping up spare schemas: %v\n", err)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.As, "as", "", "restore as a new, independent vendor with this slug")
	f.BoolVar(&o.WithMembers, "with-members", false, "with --as: give the copy the backup's team too")
	f.BoolVar(&o.Force, "force", false, "replace the existing vendor's data, settings and team")
	f.StringVar(&o.Cluster, "cluster", "", "the PostgreSQL cluster for a new vendor's schema (default: tenant.placement, else the least loaded)")
	return cmd
}

func tenantVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify <file>",
		Short: "Check a backup file against its manifest, without restoring it (no database needed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			h, m, err := archive.Verify(f)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "backup of %s (vendor %d) taken %s from cluster %s (%s, PostgreSQL %s), schema revision %s\n",
				h.Slug, h.VendorID, h.Created.Format(time.RFC3339), h.Source.Cluster, h.Source.Server, h.Source.ServerVersion, h.Revision)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TABLE\tROWS\tBYTES\tSHA-256")
			for _, t := range m.Tables {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", t.Name, t.Rows, t.Bytes, t.SHA256[:16]+"…")
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(w, "ok: %d tables, %d rows, every one matches the manifest\n", len(m.Tables), m.Rows())
			src, err := tenantdb.LoadSource(tenant.Migrations)
			if err != nil {
				return err
			}
			switch {
			case h.Revision > src.Latest():
				fmt.Fprintf(w, "this bazaar cannot restore it: the backup's schema (%s) is newer than this binary's (%s)\n", h.Revision, src.Latest())
			case !src.Has(h.Revision):
				fmt.Fprintf(w, "this bazaar cannot restore it: it does not have migration %s\n", h.Revision)
			case h.Revision < src.Latest():
				fmt.Fprintf(w, "this bazaar restores it and migrates it forward to %s\n", src.Latest())
			default:
				fmt.Fprintln(w, "this bazaar restores it as it is")
			}
			return nil
		},
	}
}
