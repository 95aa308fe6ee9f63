package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/internal/demo"
	"github.com/bazaar/bazaar/internal/web"
	"github.com/bazaar/bazaar/tenantdb"
)

func serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the web server",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, a *app, _ []string) error {
			return serve(cmd.Context(), a)
		}),
	}
}

func serve(ctx context.Context, a *app) error {
	current, err := a.db.PlatformCurrent(ctx)
	if err != nil {
		return err
	}
	if !current {
		return errors.New("the platform schema is behind this binary: run `bazaar migrate` first")
	}
	resolver := a.db.NewResolver(tenantdb.ResolverOptions{TTL: a.cfg.Tenant.CacheTTL, MaxEntries: a.cfg.Tenant.CacheSize})
	svc, err := a.services()
	if err != nil {
		return err
	}
	jobs, jobsPool, err := a.jobQueue(ctx, svc)
	if err != nil {
		return err
	}
	defer jobsPool.Close() // after the queue has stopped (deferred below)
	sender, err := a.mailSender()
	if err != nil {
		return err
	}
	listener := a.db.NewListener()
	resolver.Follow(listener)
	svc.authz.Follow(listener)
	sender.Follow(listener)
	if err := listener.Start(ctx); err != nil {
		return fmt.Errorf("listen for changes: %w", err)
	}
	defer listener.Close()

	h := a.cfg.HTTP
	_, port, _ := net.SplitHostPort(h.Addr)
	app := web.New(web.Options{
		BaseDomain:     h.BaseDomain,
		PathRouting:    h.PathRouting,
		TrustedProxies: h.TrustedProxies,
		ReadTimeout:    h.ReadTimeout,
		WriteTimeout:   h.WriteTimeout,
		IdleTimeout:    h.IdleTimeout,
		RequestTimeout: h.RequestTimeout,
		BodyLimit:      h.BodyLimit,
		SecureCookies:  a.cfg.Auth.SecureCookies,
		CartTTL:        a.cfg.Shop.CartTTL,
		DevPages:       h.DevPages,
		Input:          web.InputLimits{MaxQueryValue: h.MaxQueryValue, MaxJSONString: h.MaxJSONString, MaxUserAgent: h.MaxUserAgent},
	}, web.Deps{
		Log:      a.log,
		DB:       a.db,
		Resolver: resolver,
		Services: svc.web(),
		DevFeeds: demo.Feeds(devPictures(port)),
	})

	// The mail sender runs beside the server and stops with it; mail it has
	// not sent stays in the outbox for the next start.
	defer runBeside(ctx, func(ctx context.Context) {
		if err := sender.Run(ctx); err != nil {
			a.log.Error("mail sender stopped", "err", err)
		}
	})()

	// The job queue runs beside the server. On shutdown running imports are
	// cancelled and their queue jobs retried by the next instance; an
	// import's finished language files stay finished.
	if err := jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("job queue: %w (has `bazaar migrate` run?)", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), h.ShutdownTimeout)
		defer cancel()
		if err := jobs.StopAndCancel(stopCtx); err != nil {
			a.log.Error("job queue stop", "err", err)
		}
	}()

	// Spare schemas are topped up beside the server, so the next vendor's
	// provisioning is a rename.
	defer runBeside(ctx, a.topUpSpares)()
	// What tenants on other clusters report reaches the main cluster.
	if len(a.db.Clusters()) > 1 {
		defer runBeside(ctx, a.forwardReports)()
	}

	return listenAndServe(ctx, a, app)
}

// forwardReports brings what tenants on other clusters report to the main
// cluster every tenant.report_interval, until ctx ends.
func (a *app) forwardReports(ctx context.Context) {
	tick := time.NewTicker(a.cfg.Tenant.ReportInterval)
	defer tick.Stop()
	for {
		if _, err := a.db.ForwardReports(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("forward tenant reports", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// runBeside runs fn in a goroutine of its own until the returned stop is
// called; stop cancels fn's context and waits for fn to return. fn's context
// outlives ctx's cancellation (a signal starts the shutdown; the work beside
// the server stops when serve unwinds, in reverse order of starting).
func runBeside(ctx context.Context, fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	return func() { cancel(); <-done }
}

// topUpSpares keeps tenant.spare_schemas spare schemas ready, every
// tenant.spare_interval, until ctx ends.
func (a *app) topUpSpares(ctx context.Context) {
	tick := time.NewTicker(a.cfg.Tenant.SpareInterval)
	defer tick.Stop()
	for {
		if _, err := a.db.FillSpares(ctx, a.cfg.Tenant.SpareSchemas); err != nil && ctx.Err() == nil {
			a.log.Error("spare schemas", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// listenAndServe serves app on http.addr until ctx ends, then shuts it down
// gracefully within http.shutdown_timeout.
func listenAndServe(ctx context.Context, a *app, app *fiber.App) error {
	h := a.cfg.HTTP
	ln, err := net.Listen("tcp", h.Addr)
	if err != nil {
		return err
	}
	a.log.Info("listening", "addr", ln.Addr().String(), "env", a.cfg.Env, "base_domain", h.BaseDomain, "path_routing", h.PathRouting)
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "grace", h.ShutdownTimeout)
	if err := app.ShutdownWithTimeout(h.ShutdownTimeout); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return <-errc
}
