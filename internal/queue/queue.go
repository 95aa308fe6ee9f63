// Package queue runs background jobs on PostgreSQL with River
// (github.com/riverqueue/river): jobs are rows in the queue schema, inserted
// and taken with SKIP LOCKED, retried with backoff, unique where asked, and
// periodic jobs run on one elected instance. River works over database/sql
// here, so it shares lib/pq and the pool with the rest of Bazaar; without a
// LISTEN connection of its own it polls (Options.PollInterval), and a job
// inserted by this instance wakes this instance's producers at once.
//
// The queue's tables are platform infrastructure: a job carries a vendor id
// and its worker binds its own tenant transactions (tenantdb), so background
// work stays behind the same wall as requests.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/lib/pq"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// Client is the River client Bazaar uses.
type Client = river.Client[*sql.Tx]

// Options configure the queue.
type Options struct {
	Schema       string        // where River's tables live (default "river")
	Workers      int           // jobs run at once by this instance (default 4)
	PollInterval time.Duration // how often other instances' jobs are looked for (default 1s)
	JobTimeout   time.Duration // default for workers that set none (default 1m)
	// RescueAfter is how long a job may stay running before River assumes
	// its instance died and retries it; it must exceed every worker's timeout.
	RescueAfter  time.Duration
	PeriodicJobs []*river.PeriodicJob
	Logger       *slog.Logger
	// Consume false builds a client that only inserts (commands like demo
	// run their work in process).
	Consume bool
}

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidSchema reports whether s can name the queue's schema: lower-case
// letters, digits and underscores, at most 63, not starting with a digit.
func ValidSchema(s string) bool { return schemaRE.MatchString(s) }

func (o *Options) defaults() error {
	if o.Schema == "" {
		o.Schema = "river"
	}
	if !ValidSchema(o.Schema) {
		return fmt.Errorf("queue: schema %q: use lower-case letters, digits and underscores", o.Schema)
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// River narrates its maintenance at debug and info; only its warnings
	// and errors reach our log.
	o.Logger = slog.New(atLeast{o.Logger.Handler(), slog.LevelWarn})
	return nil
}

// atLeast drops records below a level.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(as), h.min}
}
func (h atLeast) WithGroup(n string) slog.Handler { return atLeast{h.Handler.WithGroup(n), h.min} }

// Migrate creates the queue schema if needed and brings River's tables up to
// date. `bazaar migrate` calls it after the platform schema.
func Migrate(ctx context.Context, pool *sql.DB, schema string) error {
	o := Options{Schema: schema}
	if err := o.defaults(); err != nil {
		return err
	}
	if _, err := pool.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pq.QuoteIdentifier(o.Schema)); err != nil {
		return fmt.Errorf("queue: create schema: %w", err)
	}
	m, err := rivermigrate.New(riverdatabasesql.New(pool), &rivermigrate.Config{Schema: o.Schema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	return nil
}

// New builds a client over pool with the given workers (nil when it only
// inserts). Start it to run jobs; Stop it before closing the pool.
func New(pool *sql.DB, workers *river.Workers, o Options) (*Client, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	cfg := &river.Config{
		Schema:               o.Schema,
		Logger:               o.Logger,
		FetchPollInterval:    o.PollInterval,
		JobTimeout:           o.JobTimeout,
		RescueStuckJobsAfter: o.RescueAfter,
		PeriodicJobs:         o.PeriodicJobs,
	}
	if o.Consume {
		if workers == nil {
			return nil, errors.New("queue: a consuming client needs workers")
		}
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Workers}}
	}
	c, err := river.NewClient(riverdatabasesql.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return c, nil
}
