// Command bazaar is the whole platform in one binary: the web server, and the
// operator's tools for the database (migrate, tenants, demo data).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/config"
	"github.com/bazaar/bazaar/tenantdb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bazaar:", err)
		os.Exit(1)
	}
}

// run builds the command tree and executes it. Everything is built top-down
// inside the command that needs it and closed in reverse; there are no
// package-level singletons.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := &cobra.Command{
		Use:           "bazaar",
		Short:         "Bazaar — multi-tenant commerce platform",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		serveCmd(),
		migrateCmd(),
		tenantCmd(),
		vendorsCmd(),
		demoCmd(),
		adminCmd(),
		configCmd(),
	)
	return root.ExecuteContext(ctx)
}

// app is what most commands need: configuration, a logger, the database.
type app struct {
	cfg *config.Config
	log *slog.Logger
	db  *tenantdb.DB
}

func loadConfig(cmd *cobra.Command) (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, nil, err
	}
	return cfg, newLogger(cfg.Log, cmd.ErrOrStderr()), nil
}

// openApp loads the configuration and connects to the database; close it with
// app.close.
func openApp(cmd *cobra.Command) (*app, error) {
	cfg, log, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	db, err := tenantdb.Open(cmd.Context(), dbOptions(cfg, log, cmd.CommandPath()))
	if err != nil {
		return nil, err
	}
	return &app{cfg: cfg, log: log, db: db}, nil
}

func (a *app) close() { a.db.Close() }

// dbOptions maps the database configuration; name ("bazaar serve", "bazaar
// migrate"…) names the connections in pg_stat_activity.
func dbOptions(cfg *config.Config, log *slog.Logger, name string) tenantdb.Options {
	d := cfg.Database
	clusters, _ := d.ClusterURLs() // checked by config.Validate
	return tenantdb.Options{
		ApplicationName:   name,
		URL:               d.URL,
		ListenURL:         d.ListenURL,
		SessionURL:        d.SessionURL,
		NoPrepare:         !d.PreparedStatements,
		MaxOpenConns:      d.MaxOpenConns,
		MaxIdleConns:      d.MaxIdleConns,
		ConnMaxLifetime:   d.ConnMaxLifetime,
		ConnMaxIdleTime:   d.ConnMaxIdleTime,
		MaxTenantsPerConn: d.MaxTenantsPerConn,
		TenantLanes:       d.TenantLanes,
		LaneConns:         d.LaneConns,
		StatementTimeout:  d.StatementTimeout,
		RolePrefix:        d.RolePrefix,
		MigrateParallel:   d.MigrateParallel,
		Clusters:          clusters,
		Placement:         cfg.Tenant.Placement,
		Logger:            log,
	}
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// withApp adapts a command body that needs the app: it is opened before and
// closed after.
func withApp(body func(cmd *cobra.Command, a *app, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := openApp(cmd)
		if err != nil {
			return err
		}
		defer a.close()
		return body(cmd, a, args)
	}
}
