// Package tenantdb is the only code that knows tenants exist in the database:
// how a vendor's schema and role are named, how they are provisioned and
// dropped, how a unit of work is bound to one tenant, and how migrations reach
// the platform schema and every tenant schema.
//
// The wall: tenant work runs in a transaction whose search_path and role are set
// with SET LOCAL to the tenant's schema and the tenant's role. The role has
// privileges on its schema and nothing else, so PostgreSQL itself refuses a
// read of another tenant or of the platform, and SET LOCAL guarantees nothing
// outlives the transaction on a pooled connection.
package tenantdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/tenant"
)

// Options configure a DB.
type Options struct {
	URL             string
	ListenURL       string // for LISTEN/NOTIFY; empty: SessionURL, then URL
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration // recycle backends: each tenant schema touched grows a backend's catalogue cache
	ConnMaxIdleTime time.Duration
	// MaxTenantsPerConn retires a pooled connection once it has been bound
	// to more distinct tenants than this (0: never), bounding each
	// backend's catalogue cache whatever the number of tenants; see
	// connector.
	MaxTenantsPerConn int
	// TenantLanes > 0 steers each tenant's transactions to a home lane: one
	// of TenantLanes small pools of LaneConns connections each on every
	// cluster (the main pool then carries platform work only); see lanes.go.
	TenantLanes int
	LaneConns   int
	// StatementTimeout bounds every statement (0: none). It is a session
	// setting of every pooled connection, sent at connect time, so binding a
	// transaction costs no extra statement; migrations lift it for themselves.
	StatementTimeout time.Duration
	// RolePrefix starts every tenant role name; distinct deployments sharing a
	// cluster need distinct prefixes because roles are cluster-wide.
	RolePrefix string
	// MigrateParallel is how many tenants `migrate` works on at once.
	MigrateParallel int
	// Clusters names PostgreSQL clusters holding tenant schemas besides the
	// main one (URL), by name; Placement names the cluster new tenants go
	// to ("": the one holding the fewest). See cluster.go.
	Clusters  map[string]string
	Placement string
	// SessionURL leads to real sessions (PostgreSQL itself, or a session-mode
	// pool) for what outlives a transaction — session advisory locks, the
	// job queue, LISTEN; empty: URL. Set it when URL is a transaction pooler
	// (PgBouncer in transaction mode); URL must then carry
	// binary_parameters=yes (see pooler.go and session.go).
	SessionURL string
	// NoPrepare makes Prepare hand out statements sent whole at each
	// execution instead of prepared ones: behind a transaction pooler without
	// prepared statement support (PgBouncer before 1.21, or its
	// max_prepared_statements at 0) a named statement prepared on one server
	// connection is missing on the next, or another client's is there.
	NoPrepare bool
	// AllowUnbound lets Unbound hand out contexts whose tenant client reads
	// a tenant's tables with no binding at all. Benchmarks only: the
	// baseline that prices the wall. Without it Unbound refuses, and Current
	// accepts nothing but a bound transaction's context.
	AllowUnbound bool
	// ApplicationName names this process's connections in pg_stat_activity
	// ("bazaar serve", "bazaar migrate"…; default "bazaar"), so a DBA can
	// tell them apart: the pool's carry it as it is, the LISTEN session and
	// side pools (OpenSidePool) a suffix. An application_name in the URL wins.
	ApplicationName string
	Logger          *slog.Logger

	// PlatformMigrations and TenantMigrations default to the directories
	// embedded from ent/platform and ent/tenant; tests substitute their own.
	PlatformMigrations fs.FS
	TenantMigrations   fs.FS
}

// DB is the platform's database: one pool shared by platform work and by tenant
// transactions.
type DB struct {
	pool     *sql.DB
	conns    *connector       // pool's connector
	session  *sql.DB          // session work (session.go): pool, or a pool on Options.SessionURL
	platform *platform.Client // schema-qualified platform queries, as the application role
	drv      *entsql.Driver   // the ent driver over pool
	opts     Options
	log      *slog.Logger

	platformSrc *Source
	tenantSrc   *Source
	clusters    map[string]*cluster // by name; DefaultCluster's pool is pool

	fwdMu    sync.Mutex
	fwdSince map[string]time.Time // per cluster: reports forwarded up to (ForwardReports)

	faultHook func(step string) error // tests inject failures between provisioning steps
}

// Open connects to PostgreSQL. It does not touch any schema.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.URL == "" {
		return nil, errors.New("tenantdb: no database URL")
	}
	if opts.SessionURL != "" {
		if err := CheckPooledURL(opts.URL); err != nil {
			return nil, fmt.Errorf("tenantdb: database URL: %w", err)
		}
	}
	if err := ValidateRolePrefix(opts.RolePrefix); err != nil {
		return nil, fmt.Errorf("tenantdb: %w", err)
	}
	if opts.MigrateParallel < 1 {
		opts.MigrateParallel = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ApplicationName == "" {
		opts.ApplicationName = "bazaar"
	}
	if opts.PlatformMigrations == nil {
		opts.PlatformMigrations = platform.Migrations
	}
	if opts.TenantMigrations == nil {
		opts.TenantMigrations = tenant.Migrations
	}
	platformSrc, err := LoadSource(opts.PlatformMigrations)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: platform migrations: %w", err)
	}
	tenantSrc, err := LoadSource(opts.TenantMigrations)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: tenant migrations: %w", err)
	}
	dsn, err := withSessionSettings(opts.URL, opts.ApplicationName, opts.StatementTimeout)
	if err != nil {
		return nil, err
	}
	c, err := newConnector(dsn, opts.MaxTenantsPerConn)
	if err != nil {
		return nil, fmt.Errorf("tenantdb: database URL: %w", err)
	}
	pool := sql.OpenDB(c)
	pool.SetMaxOpenConns(opts.MaxOpenConns)
	pool.SetMaxIdleConns(opts.MaxIdleConns)
	pool.SetConnMaxLifetime(opts.ConnMaxLifetime)
	pool.SetConnMaxIdleTime(opts.ConnMaxIdleTime)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("tenantdb: connect: %w", err)
	}
	if err := checkStatementTimeout(ctx, pool, opts); err != nil {
		pool.Close()
		return nil, err
	}
	session, err := openSession(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	drv := entsql.OpenDB(dialect.Postgres, pool)
	db := &DB{
		pool:        pool,
		conns:       c,
		session:     session,
		platform:    platform.NewClient(platform.Driver(drv), platform.AlternateSchema(PlatformSchemaConfig())),
		drv:         drv,
		opts:        opts,
		log:         opts.Logger,
		platformSrc: platformSrc,
		tenantSrc:   tenantSrc,
	}
	if err := db.openClusters(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("tenantdb: %w", err)
	}
	return db, nil
}

// Platform is the client of the platform schema (vendors, users, sessions,
// memberships, the outbox, the platform's audit trail): schema-qualified
// queries as the application role, bound to no tenant. It is for the domain
// services that keep platform rows (identity, team, authz, mail, audit, the
// import schedule, the demo) and for tooling; the web layer holds no *DB
// (only the narrow web.Database), so no handler can reach it.
func (db *DB) Platform() *platform.Client { return db.platform }

// ListenURL is the connection string for LISTEN sessions (lib/pq's Listener):
// Options.ListenURL, or where session work goes when that is empty
// (SessionURL, then URL), named "<name> listen".
func (db *DB) ListenURL() string {
	u := db.opts.ListenURL
	if u == "" {
		u = db.sessionURL()
	}
	if named, err := withSessionSettings(u, db.opts.ApplicationName+" listen", 0); err == nil {
		return named
	}
	return u // Open checked the URL; a listen URL lib/pq cannot use fails loudly there
}

// OpenSidePool opens a small pool of its own for infrastructure that keeps
// its tables outside every tenant and must not compete with requests for
// connections (the job queue). Its connections are named "<name> <purpose>"
// and carry the pool's statement timeout; nothing on them is ever bound to a
// tenant. It connects where session work goes (SessionURL, then URL). The
// caller closes it.
func (db *DB) OpenSidePool(ctx context.Context, purpose string, maxConns int) (*sql.DB, error) {
	dsn, err := withSessionSettings(db.sessionURL(), db.opts.ApplicationName+" "+purpose, db.opts.StatementTimeout)
	if err != nil {
		return nil, err
	}
	c, err := newConnector(dsn, 0) // the pool's own, so transactions behave alike on both
	if err != nil {
		return nil, fmt.Errorf("tenantdb: database URL: %w", err)
	}
	pool := sql.OpenDB(c)
	pool.SetMaxOpenConns(maxConns)
	pool.SetMaxIdleConns(maxConns)
	pool.SetConnMaxLifetime(db.opts.ConnMaxLifetime)
	pool.SetConnMaxIdleTime(db.opts.ConnMaxIdleTime)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("tenantdb: connect (%s): %w", purpose, err)
	}
	return pool, nil
}

// Prepare prepares a platform statement on the pool (each connection prepares
// it once, when first used there). A prepared statement costs one round trip
// per execution where lib/pq's unprepared queries with parameters cost two
// (Parse/Describe, then Bind/Execute): worth it for what every request runs.
// Behind PgBouncer in transaction mode this needs its prepared statement
// support (max_prepared_statements, PgBouncer ≥ 1.21); without it open the
// DB with NoPrepare, and the statement is sent whole each time (one round
// trip too, with binary_parameters=yes). Never for tenant work: it would run
// outside any binding.
func (db *DB) Prepare(ctx context.Context, query string) (*Stmt, error) {
	if db.opts.NoPrepare {
		return &Stmt{pool: db.pool, query: query}, nil
	}
	st, err := db.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &Stmt{prepared: st}, nil
}

// LockSession checks out one connection for session-level advisory locks,
// which belong to a connection rather than a transaction (a vendor's import
// lock: held for a whole import, gone with a killed worker's connection): of
// the pool, or of the session pool when Options.SessionURL is set. It is
// never bound to a tenant and is no way to tenant data: take no more than
// locks on it, and close it to return it to its pool.
func (db *DB) LockSession(ctx context.Context) (*sql.Conn, error) { return db.session.Conn(ctx) }

// Close closes the pools (the clusters', and the session pool).
func (db *DB) Close() error {
	db.closeClusters()
	if db.session != db.pool {
		db.session.Close()
	}
	return db.pool.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.PingContext(ctx) }

// PlatformSchemaConfig qualifies every platform table with PlatformSchema.
func PlatformSchemaConfig() platform.SchemaConfig {
	return platform.SchemaConfig{
		AuditEvent:           PlatformSchema,
		DailyFigure:          PlatformSchema,
		Invitation:           PlatformSchema,
		LoginThrottle:        PlatformSchema,
		Membership:           PlatformSchema,
		OutboxMail:           PlatformSchema,
		PasswordReset:        PlatformSchema,
		PasswordResetJob:     PlatformSchema,
		PasswordResetJobUser: PlatformSchema,
		RefreshToken:         PlatformSchema,
		Session:              PlatformSchema,
		User:                 PlatformSchema,
		Vendor:               PlatformSchema,
		VendorDomain:         PlatformSchema,
		VendorImport:         PlatformSchema,
		VendorImportRow:      PlatformSchema,
	}
}

// TenantSchemaConfig qualifies every tenant table with schema. Only tooling
// that runs as the application role across tenants uses it (and the benchmark
// baseline); request handling relies on the bound search_path instead.
func TenantSchemaConfig(schema string) tenant.SchemaConfig {
	return tenant.SchemaConfig{
		AuditEvent:         schema,
		Cart:               schema,
		CartLine:           schema,
		Customer:           schema,
		CustomerSession:    schema,
		ImportChange:       schema,
		ImportConfig:       schema,
		ImportDisagreement: schema,
		ImportJob:          schema,
		ImportRowError:     schema,
		ImportSource:       schema,
		Order:              schema,
		OrderCounter:       schema,
		OrderEvent:         schema,
		OrderLine:          schema,
		PaymentAccount:     schema,
		PaymentEvent:       schema,
		Product:            schema,
		ProductDrift:       schema,
		ProductSalesDay:    schema,
		Role:               schema,
		SalesDay:           schema,
		ShippingMethod:     schema,
		StagedProduct:      schema,
		StagedSelection:    schema,
	}
}

// SessionState is the state a pooled connection carries between uses.
type SessionState struct {
	SearchPath       string
	User             string // current_user
	Role             string // the role GUC: "none" unless SET ROLE is in effect
	StatementTimeout string
	InTransaction    bool
}

// IdleSessions checks out every idle connection of the main cluster's pools
// (the platform pool and the lanes) at once and reads its session state, to prove that no tenant binding outlived its transaction.
// database/sql hands out idle connections before it opens new ones, so holding
// Idle of them visits each.
func (db *DB) IdleSessions(ctx context.Context) ([]SessionState, error) {
	var out []SessionState
	for _, pool := range db.clusters[DefaultCluster].pools() {
		s, err := idleSessions(ctx, pool)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

func idleSessions(ctx context.Context, pool *sql.DB) ([]SessionState, error) {
	n := pool.Stats().Idle
	out := make([]SessionState, 0, n)
	for range n {
		conn, err := pool.Conn(ctx)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		var s SessionState
		// In a transaction block now() is the block's start, not this
		// statement's.
		err = conn.QueryRowContext(ctx, `SELECT current_setting('search_path'), current_user,
			current_setting('role'), current_setting('statement_timeout'), now() <> statement_timestamp()`).
			Scan(&s.SearchPath, &s.User, &s.Role, &s.StatementTimeout, &s.InTransaction)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// withSessionSettings adds session settings to the connection URL; lib/pq sends
// application_name in the startup message and unknown URL parameters as
// run-time parameters at connect time. Settings the URL already carries win.
func withSessionSettings(dsn, applicationName string, statementTimeout time.Duration) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("tenantdb: the database URL must be a postgres:// URL")
	}
	q := u.Query()
	if applicationName != "" && !q.Has("application_name") {
		q.Set("application_name", applicationName)
	}
	if statementTimeout > 0 && !q.Has("statement_timeout") {
		q.Set("statement_timeout", strconv.FormatInt(statementTimeout.Milliseconds(), 10))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
