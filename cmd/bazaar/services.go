package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/bazaar/bazaar"
	"github.com/bazaar/bazaar/internal/account"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/compose"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/fetch"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/internal/queue"
	"github.com/bazaar/bazaar/internal/system"
	"github.com/bazaar/bazaar/internal/team"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/internal/web"
)

// services are the domain services built from the configuration.
type services struct {
	identity  *identity.Service
	authz     *authz.Authorizer
	team      *team.Service
	catalog   *catalog.Service
	market    *marketplace.Service
	audit     *audit.Service
	outbox    *mail.Outbox
	vendors   *vendor.Service
	system    *system.Service
	accounts  *account.Service
	customers *customer.Service
	orders    *order.Service
	payments  *payment.Service
}

// web are the services the web layer's routes are served by.
func (s *services) web() web.Services {
	return web.Services{
		Identity: s.identity, Authz: s.authz, Team: s.team,
		Catalog: s.catalog, Market: s.market, Audit: s.audit, Outbox: s.outbox, Vendors: s.vendors,
		System: s.system, Accounts: s.accounts, Customers: s.customers, Orders: s.orders, Payments: s.payments,
	}
}

func (a *app) services() (*services, error) {
	c := a.cfg.Auth
	pairs, err := c.Keys()
	if err != nil {
		return nil, err
	}
	keys := make([]identity.Key, len(pairs))
	for i, p := range pairs {
		keys[i] = identity.Key{ID: p[0], Secret: []byte(p[1])}
	}
	id, err := identity.New(a.db, identity.Options{
		Issuer: c.Issuer, Keys: keys,
		AccessTTL: c.AccessTTL, RefreshTTL: c.RefreshTTL, SessionTTL: c.SessionTTL, ResetTTL: c.ResetTTL,
		KDF: identity.KDF{
			Time: uint32(c.Argon2Time), MemoryKiB: uint32(c.Argon2MemoryKiB), Threads: uint8(c.Argon2Threads),
			Concurrency: min(c.Argon2Concurrency, 4*runtime.NumCPU()),
			QueueWait:   c.Argon2QueueWait,
		},
		Throttle: identity.ThrottleOptions{
			IPAttempts: c.LoginIPAttempts, IPWindow: c.LoginIPWindow,
			AccountFailures: c.LoginAccountFailures, AccountWindow: c.LoginAccountWindow,
			BackoffBase: c.LoginBackoffBase, BackoffMax: c.LoginBackoffMax,
		},
	}, a.log)
	if err != nil {
		return nil, err
	}
	az, err := authz.New(a.db, bazaar.CasbinModel, authz.Options{CacheSize: c.CacheSize}, a.log)
	if err != nil {
		return nil, err
	}
	pay, err := a.payments()
	if err != nil {
		return nil, err
	}
	cat := catalog.New()
	tm := team.New(a.db, id.Hasher(), az, team.Options{InviteTTL: c.InviteTTL}, a.log)
	market := marketplace.New(a.db, a.importOptions(nil), compose.CatalogSync(cat), a.log)
	sh := a.cfg.Shop
	// Shoppers' passwords are hashed like the team's (the same argon2id
	// parameters and concurrency bound), in their own realm and tables.
	customers := customer.New(id.Hasher(), customer.Options{
		SessionTTL: sh.CustomerSessionTTL, ResetTTL: sh.CustomerResetTTL,
		LoginFailures: sh.CustomerLoginFailures, Lockout: sh.CustomerLockout, LoginIPLimit: sh.CustomerLoginIPLimit,
	}, a.log)
	orders := compose.Orders(cat, customers, compose.OrderPayments(pay), order.Options{
		CartTTL: sh.CartTTL, CartMaxLines: sh.CartMaxLines, MaxQuantity: sh.MaxQuantity,
		CardPaymentTTL: sh.CardPaymentTTL, BankTransferTTL: sh.BankTransferTTL, DefaultVATBP: sh.DefaultVATBP,
	}, a.log)
	return &services{
		customers: customers,
		orders:    orders,
		identity:  id,
		authz:     az,
		team:      tm,
		catalog:   cat,
		market:    market,
		audit:     audit.New(a.db),
		outbox:    mail.NewOutbox(a.db),
		vendors: compose.Vendors(a.db, vendor.Options{
			Links:  vendor.Links{Base: a.cfg.PublicBase(), PathRouting: a.cfg.HTTP.PathRouting},
			Bulk:   vendor.BulkLimits{MaxBytes: int64(a.cfg.Onboard.MaxFileBytes), MaxRows: a.cfg.Onboard.MaxRows},
			Spares: a.cfg.Tenant.SpareSchemas, MaxDomains: a.cfg.Tenant.MaxCustomDomains,
		}, tm, market, id.Hasher(), a.log),
		system: system.New(a.db, system.Options{
			QueueSchema: a.cfg.Queue.Schema, SpareSchemas: a.cfg.Tenant.SpareSchemas, MailMaxAttempts: a.cfg.Mail.MaxAttempts,
		}, a.log),
		accounts: compose.Accounts(a.db, account.Options{Base: a.cfg.PublicBase()}, id, a.log),
		payments: pay,
	}, nil
}

// payments builds the payment service from the payments configuration
// (its key checked by config's validation).
func (a *app) payments() (*payment.Service, error) {
	p := a.cfg.Payments
	key, err := base64.StdEncoding.DecodeString(p.Key)
	if err != nil {
		return nil, fmt.Errorf("payments.key: %w", err)
	}
	return payment.New(payment.Options{
		Key: key, StripeAPIURL: p.StripeAPIURL, Timeout: p.Timeout,
		WebhookTolerance: p.WebhookTolerance, WebhookMaxBytes: p.WebhookMaxBytes,
	}, a.log)
}

// importOptions maps the imports configuration; extra networks are allowed
// past the download guard on top of the configured ones (the demo's own
// loopback feed server).
func (a *app) importOptions(extra []netip.Prefix) marketplace.Options {
	im := a.cfg.Imports
	allow := slices.Clone(extra)
	for _, n := range im.AllowNetworks {
		allow = append(allow, netip.MustParsePrefix(n)) // validated by config
	}
	return marketplace.Options{
		Fetch: fetch.Options{
			Timeout: im.DownloadTimeout, ConnectTimeout: im.ConnectTimeout, HeaderTimeout: im.HeaderTimeout,
			MaxBytes: im.MaxFileBytes, MaxRedirects: im.MaxRedirects, Allow: allow,
		},
		MaxLanguages: im.MaxLanguages, BatchSize: im.BatchSize, MaxRecordBytes: im.MaxRecordBytes,
		MaxRowErrors: im.MaxRowErrors, MaxRawBytes: im.MaxRawBytes, TempDir: im.TempDir, ProgressEvery: im.ProgressInterval,
		KeepJobs: im.KeepJobs, DefaultCurrency: im.DefaultCurrency, ScheduleEvery: im.ScheduleInterval,
		MaxAttempts: im.MaxAttempts, BackoffBase: im.BackoffBase, BackoffMax: im.BackoffMax, CancelCheck: im.CancelCheck,
	}
}

// jobQueue builds the queue client with the import workers and starts
// nothing: serve starts it. River gets a pool of its own ("bazaar serve
// queue" in pg_stat_activity): its polling and bookkeeping never wait behind
// requests for a connection, nor requests behind it. Close the pool after
// stopping the client.
func (a *app) jobQueue(ctx context.Context, svc *services) (*queue.Client, *sql.DB, error) {
	im, q := a.cfg.Imports, a.cfg.Queue
	workers := river.NewWorkers()
	periodic := svc.market.Register(workers, marketplace.WorkerOptions{
		Timeout: im.JobTimeout, ScheduleCheck: im.ScheduleCheck, ResumeCheck: im.ResumeCheck, ResumeGrace: im.ResumeGrace,
	})
	periodic = append(periodic, svc.vendors.Register(workers, a.cfg.Onboard.ResumeCheck)...)
	periodic = append(periodic, svc.system.Register(workers)...) // the daily figures, hourly
	// Mass password resets resume on the same check as bulk onboarding.
	periodic = append(periodic, svc.accounts.Register(workers, a.cfg.Onboard.ResumeCheck)...)
	// Unpaid orders past their deadline, abandoned carts.
	periodic = append(periodic, svc.orders.Register(workers, a.db, a.cfg.Shop.SweepInterval)...)
	// The producer, the completer, the elector, the maintenance services
	// and the inserts of requests share it; the jobs' own work uses the
	// main pool.
	pool, err := a.db.OpenSidePool(ctx, "queue", 2*q.Workers+4)
	if err != nil {
		return nil, nil, err
	}
	client, err := queue.New(pool, workers, queue.Options{
		Schema: q.Schema, Workers: q.Workers, PollInterval: q.PollInterval,
		RescueAfter: im.JobTimeout + time.Hour, PeriodicJobs: periodic, Logger: a.log, Consume: true,
	})
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	svc.market.UseQueue(marketplace.Queue{Client: client})
	svc.vendors.UseQueue(vendor.Queue{Client: client})
	svc.accounts.UseQueue(account.Queue{Client: client})
	return client, pool, nil
}

// migrateQueue brings the job queue's schema up to date, over a small pool
// of its own like the queue's ("… queue" in pg_stat_activity).
func (a *app) migrateQueue(ctx context.Context) error {
	pool, err := a.db.OpenSidePool(ctx, "queue", 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	return queue.Migrate(ctx, pool, a.cfg.Queue.Schema)
}

func (a *app) mailSender() (*mail.Sender, error) {
	m := a.cfg.Mail
	return mail.NewSender(a.db, mail.Options{
		Driver: m.Driver, Host: m.SMTPHost, Port: m.SMTPPort, Username: m.SMTPUsername, Password: m.SMTPPassword,
		TLS: m.SMTPTLS, From: m.From, Timeout: m.Timeout, PollInterval: m.PollInterval,
		MaxAttempts: m.MaxAttempts, BackoffBase: m.BackoffBase, BackoffMax: m.BackoffMax,
	}, a.log)
}
