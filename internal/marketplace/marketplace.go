// Package marketplace imports a vendor's Letzshop catalogue: the import
// configuration (one feed URL per language, a schedule), import jobs run on
// the queue (download with the fetch guard, streaming parse, merge of the
// languages by feed id into staged products, counts, row errors,
// disagreements, products missing from the feed), and the staging area the
// vendor browses and selects from. Publishing into the catalogue belongs to
// the catalog package; an import tells it what changed through SyncFunc.
//
// All tenant data — configuration, jobs, staging — lives in the vendor's
// schema, and every statement runs in a transaction bound to the vendor
// (tenantdb), in the background exactly as in a request.
package marketplace

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/bazaar/bazaar/internal/fetch"
	"github.com/bazaar/bazaar/tenantdb"
)

// Marketplace is the only marketplace so far.
const Marketplace = "letzshop"

// Options configure imports. Every limit is explicit.
type Options struct {
	Fetch           fetch.Options
	MaxLanguages    int           // feeds per vendor (default 10)
	BatchSize       int           // rows merged per round trip (default 2000)
	MaxRecordBytes  int           // one feed record (default 1 MiB)
	MaxRowErrors    int           // row errors kept per file; more are counted only (default 10000)
	MaxRawBytes     int           // of a refused line kept with its row error; a longer one is cut (default 8 KiB)
	TempDir         string        // where downloads are spooled (default os.TempDir())
	ProgressEvery   time.Duration // how often progress is saved (default 500ms)
	KeepJobs        int           // finished jobs kept per vendor with their reports (default 100)
	DefaultCurrency string        // for bare prices (default EUR)
	ScheduleEvery   time.Duration // interval of scheduled imports (default 24h)
	// MaxAttempts bounds the attempts of an import whose failures a retry
	// may fix (a download or the database unreachable); its server dying
	// under it counts too (default 5).
	MaxAttempts int
	BackoffBase time.Duration // wait after the first failed attempt, doubled after each (default 30s)
	BackoffMax  time.Duration // longest wait between attempts (default 10m)
	CancelCheck time.Duration // how often a running import looks for a cancel request (default 1s)
}

func (o *Options) defaults() {
	if o.MaxLanguages <= 0 {
		o.MaxLanguages = 10
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 2000
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = 1 << 20
	}
	if o.MaxRowErrors <= 0 {
		o.MaxRowErrors = 10000
	}
	if o.MaxRawBytes <= 0 {
		o.MaxRawBytes = 8 << 10
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 500 * time.Millisecond
	}
	if o.KeepJobs <= 0 {
		o.KeepJobs = 100
	}
	if o.DefaultCurrency == "" {
		o.DefaultCurrency = "EUR"
	}
	if o.ScheduleEvery <= 0 {
		o.ScheduleEvery = 24 * time.Hour
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 30 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 10 * time.Minute
	}
	if o.CancelCheck <= 0 {
		o.CancelCheck = time.Second
	}
}

// SyncFunc brings published products up to date with the staged products an
// import changed, in the import's tenant transaction, and says how many
// products now have drift under an override.
type SyncFunc func(ctx context.Context, jobID int) (drifted int, err error)

// Enqueuer hands an import job to the queue, and takes back one that was
// cancelled while it waited.
type Enqueuer interface {
	EnqueueImport(ctx context.Context, vendorID, jobID int) error
	CancelImport(ctx context.Context, vendorID, jobID int) error
}

// Service runs the marketplace import.
type Service struct {
	db      *tenantdb.DB
	fetcher *fetch.Fetcher
	o       Options
	log     *slog.Logger
	sync    SyncFunc
	queue   Enqueuer
}

// New builds the service. sync may be nil (nothing is published yet).
func New(db *tenantdb.DB, o Options, sync SyncFunc, log *slog.Logger) *Service {
	o.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, fetcher: fetch.New(o.Fetch), o: o, log: log, sync: sync}
}

// UseQueue sets where Trigger sends jobs. Without one, jobs stay queued
// until RunJob is called (the demo command runs them in process).
func (s *Service) UseQueue(q Enqueuer) { s.queue = q }
