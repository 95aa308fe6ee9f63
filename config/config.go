// Package config loads Bazaar's configuration: YAML defaults embedded in the
// binary (defaults.yaml, then the environment's file chosen by BAZAAR_ENV), an
// optional file named by BAZAAR_CONFIG, then BAZAAR_* environment variables,
// each layer overriding the one before. One build serves every environment.
// Only cmd imports this package; everything else receives plain values.
package config

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/bazaar/bazaar/internal/locale"
	"github.com/bazaar/bazaar/internal/queue"
	"github.com/bazaar/bazaar/tenantdb"
)

//go:embed *.yaml
var files embed.FS

// Environments that have a defaults file.
var Environments = []string{"development", "staging", "production"}

// Config is the whole configuration. A field tagged secret:"true" is masked
// when printed.
type Config struct {
	Env      string   `mapstructure:"-"`
	HTTP     HTTP     `mapstructure:"http"`
	Database Database `mapstructure:"database"`
	Tenant   Tenant   `mapstructure:"tenant"`
	Auth     Auth     `mapstructure:"auth"`
	Mail     Mail     `mapstructure:"mail"`
	Imports  Imports  `mapstructure:"imports"`
	Queue    Queue    `mapstructure:"queue"`
	Onboard  Onboard  `mapstructure:"onboarding"`
	Shop     Shop     `mapstructure:"shop"`
	Payments Payments `mapstructure:"payments"`
	Log      Log      `mapstructure:"log"`
}

// HTTP configures the web server and tenant resolution.
type HTTP struct {
	Addr            string        `mapstructure:"addr"`
	BaseDomain      string        `mapstructure:"base_domain"`
	PublicURL       string        `mapstructure:"public_url"`
	PathRouting     bool          `mapstructure:"path_routing"`
	TrustedProxies  []string      `mapstructure:"trusted_proxies"`
	ReadTimeout     time.Duration `mapstructure:"read_timeout"`
	WriteTimeout    time.Duration `mapstructure:"write_timeout"`
	IdleTimeout     time.Duration `mapstructure:"idle_timeout"`
	RequestTimeout  time.Duration `mapstructure:"request_timeout"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	BodyLimit       int           `mapstructure:"body_limit"`
	DevPages        bool          `mapstructure:"dev_pages"`
	// Bounds of the text a request may carry, in bytes: one query-string key
	// or value, one JSON string (value or key), a recorded User-Agent.
	MaxQueryValue int `mapstructure:"max_query_value"`
	MaxJSONString int `mapstructure:"max_json_string"`
	MaxUserAgent  int `mapstructure:"max_user_agent"`
}

// Database configures the PostgreSQL pool and tenant naming.
type Database struct {
	URL             string        `mapstructure:"url" secret:"true"`
	ListenURL       string        `mapstructure:"listen_url" secret:"true"`
	MaxOpenConns    int           `mapstructure:"max_open_conns"`
	MaxIdleConns    int           `mapstructure:"max_idle_conns"`
	ConnMaxLifetime time.Duration `mapstructure:"conn_max_lifetime"`
	ConnMaxIdleTime time.Duration `mapstructure:"conn_max_idle_time"`
	// MaxTenantsPerConn retires a pooled connection once it has served more
	// distinct tenants than this (0: only conn_max_lifetime retires it).
	MaxTenantsPerConn int `mapstructure:"max_tenants_per_conn"`
	// TenantLanes small pools of LaneConns connections each carry tenant
	// transactions, a tenant always to the same one unless it is busy
	// (0: tenant transactions share the max_open_conns pool).
	TenantLanes      int           `mapstructure:"tenant_lanes"`
	LaneConns        int           `mapstructure:"lane_conns"`
	StatementTimeout time.Duration `mapstructure:"statement_timeout"`
	RolePrefix       string        `mapstructure:"role_prefix"`
	MigrateParallel  int           `mapstructure:"migrate_parallel"`

	// Behind a transaction pooler (URL is PgBouncer in transaction mode):
	// SessionURL is for what needs a server session of its own (lock
	// sessions, the job queue, LISTEN), and PreparedStatements is false
	// unless the pooler keeps them.
	SessionURL         string `mapstructure:"session_url" secret:"true"`
	PreparedStatements bool   `mapstructure:"prepared_statements"`
	// Clusters names PostgreSQL clusters for tenant schemas besides url's
	// (called main): "name=postgres://…" pairs separated by commas or
	// spaces. See ClusterURLs.
	Clusters string `mapstructure:"clusters" secret:"true"`
}

// ClusterURLs parses Clusters into name → URL; Validate has checked it.
func (d Database) ClusterURLs() (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.FieldsFunc(d.Clusters, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		name, u, ok := strings.Cut(pair, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not name=postgres://…", pair)
		}
		if err := tenantdb.ValidateClusterName(name); err != nil {
			return nil, err
		}
		if name == tenantdb.DefaultCluster {
			return nil, fmt.Errorf("%q is the name of database.url's cluster", name)
		}
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "postgres" && pu.Scheme != "postgresql") {
			return nil, fmt.Errorf("cluster %s: the URL must be a postgres:// URL", name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("cluster %s is named twice", name)
		}
		out[name] = u
	}
	return out, nil
}

// Tenant configures tenant resolution caching.
type Tenant struct {
	CacheTTL      time.Duration `mapstructure:"cache_ttl"`
	CacheSize     int           `mapstructure:"cache_size"`
	SpareSchemas  int           `mapstructure:"spare_schemas"`
	SpareInterval time.Duration `mapstructure:"spare_interval"`
	// Placement names the cluster new tenants go to: main, a name in
	// database.clusters, or "" for the one holding the fewest tenants.
	Placement string `mapstructure:"placement"`
	// MoveDrainTimeout bounds how long a move, once it refuses a tenant's
	// writes, waits for the writes already running to end before giving up.
	MoveDrainTimeout time.Duration `mapstructure:"move_drain_timeout"`
	// ReportInterval is how often the server brings what tenants on other
	// clusters reported (import summaries, product counts, mails) to main.
	ReportInterval time.Duration `mapstructure:"report_interval"`
	// MaxCustomDomains bounds the custom domains one shop may hold.
	MaxCustomDomains int `mapstructure:"max_custom_domains"`
}

// Auth configures sign-in, sessions, tokens and invitations.
type Auth struct {
	Issuer string `mapstructure:"issuer"`
	// SigningKeys are "id:secret" pairs, comma-separated; the first signs new
	// access tokens, all verify (rotation). Secrets are at least 32 bytes.
	SigningKeys          string        `mapstructure:"signing_keys" secret:"true"`
	AccessTTL            time.Duration `mapstructure:"access_ttl"`
	RefreshTTL           time.Duration `mapstructure:"refresh_ttl"`
	SessionTTL           time.Duration `mapstructure:"session_ttl"`
	ResetTTL             time.Duration `mapstructure:"reset_ttl"`
	InviteTTL            time.Duration `mapstructure:"invite_ttl"`
	Argon2Time           int           `mapstructure:"argon2_time"`
	Argon2MemoryKiB      int           `mapstructure:"argon2_memory_kib"`
	Argon2Threads        int           `mapstructure:"argon2_threads"`
	Argon2Concurrency    int           `mapstructure:"argon2_concurrency"`
	Argon2QueueWait      time.Duration `mapstructure:"argon2_queue_wait"`
	LoginIPAttempts      int           `mapstructure:"login_ip_attempts"`
	LoginIPWindow        time.Duration `mapstructure:"login_ip_window"`
	LoginAccountFailures int           `mapstructure:"login_account_failures"`
	LoginAccountWindow   time.Duration `mapstructure:"login_account_window"`
	LoginBackoffBase     time.Duration `mapstructure:"login_backoff_base"`
	LoginBackoffMax      time.Duration `mapstructure:"login_backoff_max"`
	SecureCookies        bool          `mapstructure:"secure_cookies"`
	CacheSize            int           `mapstructure:"cache_size"`
}

// Keys parses SigningKeys into id/secret pairs.
func (a Auth) Keys() ([][2]string, error) {
	var out [][2]string
	for _, part := range strings.Split(a.SigningKeys, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, secret, ok := strings.Cut(part, ":")
		if !ok || id == "" || len(secret) < 32 {
			return nil, errors.New(`each key must be "id:secret" with a secret of at least 32 bytes`)
		}
		out = append(out, [2]string{id, secret})
	}
	if len(out) == 0 {
		return nil, errors.New(`is required: "id:secret" (secret of at least 32 random bytes, e.g. openssl rand -base64 48)`)
	}
	return out, nil
}

// Mail configures outgoing mail.
type Mail struct {
	Driver       string        `mapstructure:"driver"` // smtp, or log (development: mails are logged and listed at /dev/mails)
	SMTPHost     string        `mapstructure:"smtp_host"`
	SMTPPort     int           `mapstructure:"smtp_port"`
	SMTPUsername string        `mapstructure:"smtp_username"`
	SMTPPassword string        `mapstructure:"smtp_password" secret:"true"`
	SMTPTLS      string        `mapstructure:"smtp_tls"` // none, starttls, tls
	From         string        `mapstructure:"from"`
	Timeout      time.Duration `mapstructure:"timeout"`
	PollInterval time.Duration `mapstructure:"poll_interval"`
	MaxAttempts  int           `mapstructure:"max_attempts"`
	BackoffBase  time.Duration `mapstructure:"backoff_base"`
	BackoffMax   time.Duration `mapstructure:"backoff_max"`
}

// Imports configures marketplace imports: every limit of a download and of
// a file, and the schedule.
type Imports struct {
	MaxFileBytes     int64         `mapstructure:"max_file_bytes"`
	DownloadTimeout  time.Duration `mapstructure:"download_timeout"`
	ConnectTimeout   time.Duration `mapstructure:"connect_timeout"`
	HeaderTimeout    time.Duration `mapstructure:"header_timeout"`
	MaxRedirects     int           `mapstructure:"max_redirects"`
	AllowNetworks    []string      `mapstructure:"allow_networks"` // CIDRs reachable despite the SSRF guard
	MaxLanguages     int           `mapstructure:"max_languages"`
	MaxRecordBytes   int           `mapstructure:"max_record_bytes"`
	MaxRowErrors     int           `mapstructure:"max_row_errors"`
	MaxRawBytes      int           `mapstructure:"max_raw_bytes"` // of a refused line kept in the report
	BatchSize        int           `mapstructure:"batch_size"`
	TempDir          string        `mapstructure:"temp_dir"`
	ProgressInterval time.Duration `mapstructure:"progress_interval"`
	KeepJobs         int           `mapstructure:"keep_jobs"`
	DefaultCurrency  string        `mapstructure:"default_currency"`
	ScheduleInterval time.Duration `mapstructure:"schedule_interval"`
	ScheduleCheck    time.Duration `mapstructure:"schedule_check"`
	JobTimeout       time.Duration `mapstructure:"job_timeout"`
	ResumeCheck      time.Duration `mapstructure:"resume_check"`
	ResumeGrace      time.Duration `mapstructure:"resume_grace"`
	MaxAttempts      int           `mapstructure:"max_attempts"` // of an import whose failures a retry may fix
	BackoffBase      time.Duration `mapstructure:"backoff_base"`
	BackoffMax       time.Duration `mapstructure:"backoff_max"`
	CancelCheck      time.Duration `mapstructure:"cancel_check"`
}

// Queue configures the background job queue (River on PostgreSQL).
type Queue struct {
	Schema       string        `mapstructure:"schema"`
	Workers      int           `mapstructure:"workers"`
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

// Onboard bounds bulk vendor files.
type Onboard struct {
	MaxFileBytes int           `mapstructure:"max_file_bytes"`
	MaxRows      int           `mapstructure:"max_rows"`
	ResumeCheck  time.Duration `mapstructure:"resume_check"`
}

// Shop configures selling: customers' sessions and sign-in throttling,
// carts, checkout limits and how long an unpaid order holds its stock.
type Shop struct {
	CustomerSessionTTL    time.Duration `mapstructure:"customer_session_ttl"`
	CustomerResetTTL      time.Duration `mapstructure:"customer_reset_ttl"`
	CustomerLoginFailures int           `mapstructure:"customer_login_failures"` // failed sign-ins before an account is locked
	CustomerLockout       time.Duration `mapstructure:"customer_lockout"`
	CustomerLoginIPLimit  int           `mapstructure:"customer_login_ip_limit"` // sign-in attempts per client address per minute
	CartTTL               time.Duration `mapstructure:"cart_ttl"`                // an untouched cart expires then
	CartMaxLines          int           `mapstructure:"cart_max_lines"`
	MaxQuantity           int           `mapstructure:"max_quantity"` // of one line
	CardPaymentTTL        time.Duration `mapstructure:"card_payment_ttl"`
	BankTransferTTL       time.Duration `mapstructure:"bank_transfer_ttl"`
	SweepInterval         time.Duration `mapstructure:"sweep_interval"` // expired orders and carts are looked for this often
	DefaultVATBP          int           `mapstructure:"default_vat_bp"` // a product without a VAT rate, in basis points
}

// Payments configures the payment providers. Key seals each vendor's
// provider secrets at rest (AES-256-GCM); it is 32 bytes, base64.
type Payments struct {
	Key              string        `mapstructure:"key" secret:"true"`
	StripeAPIURL     string        `mapstructure:"stripe_api_url"`
	Timeout          time.Duration `mapstructure:"timeout"`
	WebhookMaxBytes  int           `mapstructure:"webhook_max_bytes"`
	WebhookTolerance time.Duration `mapstructure:"webhook_tolerance"` // how old a signed webhook may be
}

// Log configures structured logging.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// Special variables that are not configuration keys.
const (
	EnvVar  = "BAZAAR_ENV"    // development (default), staging, production
	FileVar = "BAZAAR_CONFIG" // optional YAML file layered over the defaults
)

// notKeys are BAZAAR_* variables read by others (scripts, tests), not by Load:
// BAZAAR_DEVDB_* by scripts/with-db (make test sets them).
var notKeys = []string{EnvVar, FileVar, "BAZAAR_TEST_", "BAZAAR_DEVDB_"}

// Load builds the configuration from the process environment.
func Load() (*Config, error) { return LoadFrom(os.Environ()) }

// LoadFrom builds the configuration from the given environment (KEY=VALUE).
func LoadFrom(environ []string) (*Config, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	name := env[EnvVar]
	if name == "" {
		name = "development"
	}
	if !slices.Contains(Environments, name) {
		return nil, fmt.Errorf("config: %s=%q: must be one of %s", EnvVar, name, strings.Join(Environments, ", "))
	}

	v := viper.New()
	v.SetConfigType("yaml")
	for i, f := range []string{"defaults.yaml", name + ".yaml"} {
		b, err := files.ReadFile(f)
		if err != nil {
			return nil, err
		}
		read := v.MergeConfig
		if i == 0 {
			read = v.ReadConfig
		}
		if err := read(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("config: %s: %w", f, err)
		}
	}
	known := map[string]bool{}
	for _, k := range v.AllKeys() {
		known[k] = true
	}
	if path := env[FileVar]; path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", FileVar, err)
		}
		if err := v.MergeConfig(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		for _, k := range v.AllKeys() {
			if !known[k] {
				return nil, fmt.Errorf("config: %s: unknown key %q", path, k)
			}
		}
	}
	// Environment variables: every key can be set as BAZAAR_<KEY> with dots as
	// underscores. A BAZAAR_* variable that names no key is a typo and stops
	// start-up rather than being silently ignored.
	byEnv := map[string]string{}
	for k := range known {
		byEnv["BAZAAR_"+strings.ToUpper(strings.ReplaceAll(k, ".", "_"))] = k
	}
	var unknown []string
	for k, val := range env {
		if !strings.HasPrefix(k, "BAZAAR_") || isNotKey(k) {
			continue
		}
		key, ok := byEnv[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		v.Set(key, val)
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("config: unknown variable %s (keys are listed by `bazaar config`)", strings.Join(unknown, ", "))
	}

	c := &Config{Env: name}
	err := v.Unmarshal(c, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = true
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
		)
	})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func isNotKey(k string) bool {
	for _, p := range notKeys {
		if k == p || strings.HasSuffix(p, "_") && strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// Validate checks every key and reports all problems at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	h := c.HTTP
	if _, _, err := net.SplitHostPort(h.Addr); err != nil {
		bad("http.addr", "must be host:port or :port (got %q)", h.Addr)
	}
	if !tenantdb.ValidHostName(h.BaseDomain) {
		bad("http.base_domain", "must be a lower-case host name such as shops.example.com (got %q); set BAZAAR_HTTP_BASE_DOMAIN", h.BaseDomain)
	}
	if h.PublicURL != "" {
		if msg := publicURLProblem(h.PublicURL, h.BaseDomain); msg != "" {
			bad("http.public_url", "%s (got %q)", msg, h.PublicURL)
		}
	}
	for _, p := range h.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad("http.trusted_proxies", "%q is neither an IP address nor a CIDR range", p)
			}
		}
	}
	positive := map[string]time.Duration{
		"http.read_timeout": h.ReadTimeout, "http.write_timeout": h.WriteTimeout, "http.idle_timeout": h.IdleTimeout,
		"http.request_timeout": h.RequestTimeout, "http.shutdown_timeout": h.ShutdownTimeout,
		"database.conn_max_lifetime": c.Database.ConnMaxLifetime, "database.conn_max_idle_time": c.Database.ConnMaxIdleTime,
		"tenant.cache_ttl": c.Tenant.CacheTTL, "tenant.spare_interval": c.Tenant.SpareInterval,
		"tenant.move_drain_timeout": c.Tenant.MoveDrainTimeout, "tenant.report_interval": c.Tenant.ReportInterval,
		"auth.access_ttl": c.Auth.AccessTTL, "auth.refresh_ttl": c.Auth.RefreshTTL, "auth.session_ttl": c.Auth.SessionTTL,
		"auth.reset_ttl": c.Auth.ResetTTL, "auth.invite_ttl": c.Auth.InviteTTL, "auth.login_ip_window": c.Auth.LoginIPWindow,
		"auth.login_account_window": c.Auth.LoginAccountWindow, "auth.login_backoff_base": c.Auth.LoginBackoffBase,
		"auth.login_backoff_max": c.Auth.LoginBackoffMax, "auth.argon2_queue_wait": c.Auth.Argon2QueueWait,
		"mail.timeout": c.Mail.Timeout, "mail.poll_interval": c.Mail.PollInterval, "mail.backoff_base": c.Mail.BackoffBase,
		"mail.backoff_max": c.Mail.BackoffMax, "onboarding.resume_check": c.Onboard.ResumeCheck,
		"imports.download_timeout": c.Imports.DownloadTimeout, "imports.connect_timeout": c.Imports.ConnectTimeout,
		"imports.header_timeout": c.Imports.HeaderTimeout, "imports.progress_interval": c.Imports.ProgressInterval,
		"imports.schedule_interval": c.Imports.ScheduleInterval, "imports.schedule_check": c.Imports.ScheduleCheck,
		"imports.job_timeout": c.Imports.JobTimeout, "imports.resume_check": c.Imports.ResumeCheck,
		"imports.resume_grace": c.Imports.ResumeGrace, "queue.poll_interval": c.Queue.PollInterval,
		"imports.backoff_base": c.Imports.BackoffBase, "imports.backoff_max": c.Imports.BackoffMax,
		"imports.cancel_check":      c.Imports.CancelCheck,
		"shop.customer_session_ttl": c.Shop.CustomerSessionTTL, "shop.customer_reset_ttl": c.Shop.CustomerResetTTL,
		"shop.customer_lockout": c.Shop.CustomerLockout, "shop.cart_ttl": c.Shop.CartTTL,
		"shop.card_payment_ttl": c.Shop.CardPaymentTTL, "shop.bank_transfer_ttl": c.Shop.BankTransferTTL,
		"shop.sweep_interval": c.Shop.SweepInterval, "payments.timeout": c.Payments.Timeout,
		"payments.webhook_tolerance": c.Payments.WebhookTolerance,
	}
	for _, k := range slices.Sorted(maps.Keys(positive)) {
		if positive[k] <= 0 {
			bad(k, "must be a positive duration such as 30s (got %s)", positive[k])
		}
	}
	if h.BodyLimit < 1024 {
		bad("http.body_limit", "must be at least 1024 bytes (got %d)", h.BodyLimit)
	}
	if h.MaxQueryValue < 16 || h.MaxQueryValue > 65536 {
		bad("http.max_query_value", "must be 16 to 65536 bytes (got %d)", h.MaxQueryValue)
	}
	if o := c.Onboard; o.MaxFileBytes < 1024 || o.MaxFileBytes > h.BodyLimit {
		bad("onboarding.max_file_bytes", "must be 1024 bytes to http.body_limit (%d), which bounds the upload (got %d)", h.BodyLimit, o.MaxFileBytes)
	}
	if c.Onboard.MaxRows < 1 {
		bad("onboarding.max_rows", "must be at least 1 (got %d)", c.Onboard.MaxRows)
	}
	if h.MaxJSONString < 256 || h.MaxJSONString > h.BodyLimit {
		bad("http.max_json_string", "must be 256 bytes to http.body_limit (got %d)", h.MaxJSONString)
	}
	if h.MaxUserAgent < 16 || h.MaxUserAgent > 65536 {
		bad("http.max_user_agent", "must be 16 to 65536 bytes (got %d)", h.MaxUserAgent)
	}
	d := c.Database
	if d.URL == "" {
		bad("database.url", "is required; set BAZAAR_DATABASE_URL (make run and make test start a local PostgreSQL and set it)")
	} else if u, err := url.Parse(d.URL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		bad("database.url", "must be a postgres:// URL")
	}
	if u, err := url.Parse(d.ListenURL); d.ListenURL != "" && (err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql")) {
		bad("database.listen_url", "must be a postgres:// URL or empty")
	}
	if u, err := url.Parse(d.SessionURL); d.SessionURL != "" && (err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql")) {
		bad("database.session_url", "must be a postgres:// URL or empty")
	} else if d.SessionURL != "" && d.URL != "" {
		if err := tenantdb.CheckPooledURL(d.URL); err != nil {
			bad("database.url", "%s (database.session_url is set, so database.url is taken for a transaction pooler)", err)
		}
	}
	if d.MaxOpenConns < 2 {
		bad("database.max_open_conns", "must be at least 2 (got %d)", d.MaxOpenConns)
	}
	if d.MaxIdleConns < 0 || d.MaxIdleConns > d.MaxOpenConns {
		bad("database.max_idle_conns", "must be between 0 and database.max_open_conns (got %d)", d.MaxIdleConns)
	}
	if d.MaxTenantsPerConn < 0 {
		bad("database.max_tenants_per_conn", "must be 0 (no bound) or more (got %d)", d.MaxTenantsPerConn)
	}
	if d.TenantLanes < 0 || d.TenantLanes > 1000 {
		bad("database.tenant_lanes", "must be 0 (no lanes) to 1000 (got %d)", d.TenantLanes)
	}
	if d.TenantLanes > 0 && (d.LaneConns < 1 || d.LaneConns > 100) {
		bad("database.lane_conns", "must be 1 to 100 when database.tenant_lanes is set (got %d)", d.LaneConns)
	}
	if d.StatementTimeout < 0 {
		bad("database.statement_timeout", "must not be negative")
	}
	if tenantdb.ValidateRolePrefix(d.RolePrefix) != nil {
		bad("database.role_prefix", "must be a lower-case letter then up to 19 letters, digits or underscores (got %q)", d.RolePrefix)
	}
	if d.MigrateParallel < 1 || d.MigrateParallel >= d.MaxOpenConns {
		bad("database.migrate_parallel", "must be between 1 and database.max_open_conns-1 (got %d)", d.MigrateParallel)
	}
	if clusters, err := d.ClusterURLs(); err != nil {
		bad("database.clusters", "%v (want name=postgres://… pairs, e.g. eu2=postgres://bazaar@db2/bazaar)", err)
	} else if p := c.Tenant.Placement; p != "" && p != tenantdb.DefaultCluster && clusters[p] == "" {
		bad("tenant.placement", "%q is neither main nor a cluster in database.clusters", p)
	}
	if c.Tenant.CacheSize < 1 {
		bad("tenant.cache_size", "must be at least 1 (got %d)", c.Tenant.CacheSize)
	}
	if c.Tenant.MaxCustomDomains < 1 || c.Tenant.MaxCustomDomains > 1000 {
		bad("tenant.max_custom_domains", "must be 1 to 1000 (got %d)", c.Tenant.MaxCustomDomains)
	}
	if c.Tenant.SpareSchemas < 0 || c.Tenant.SpareSchemas > 100 {
		bad("tenant.spare_schemas", "must be 0 to 100 (got %d)", c.Tenant.SpareSchemas)
	}
	c.validateAuth(bad)
	c.validateShop(bad)
	c.validateMail(bad)
	c.validateImports(bad)
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log.level", "must be debug, info, warn or error (got %q)", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format", "must be json or text (got %q)", c.Log.Format)
	}
	return errors.Join(errs...)
}

func (c *Config) validateShop(bad func(key, format string, args ...any)) {
	sh := c.Shop
	atLeastOne := map[string]int{
		"shop.customer_login_failures": sh.CustomerLoginFailures, "shop.customer_login_ip_limit": sh.CustomerLoginIPLimit,
		"shop.cart_max_lines": sh.CartMaxLines, "shop.max_quantity": sh.MaxQuantity,
	}
	for _, k := range slices.Sorted(maps.Keys(atLeastOne)) {
		if atLeastOne[k] < 1 {
			bad(k, "must be at least 1 (got %d)", atLeastOne[k])
		}
	}
	if sh.MaxQuantity > 100000 {
		bad("shop.max_quantity", "must be at most 100000 (got %d)", sh.MaxQuantity)
	}
	if sh.DefaultVATBP < 0 || sh.DefaultVATBP > 10000 {
		bad("shop.default_vat_bp", "must be 0 to 10000 basis points (17%% is 1700; got %d)", sh.DefaultVATBP)
	}
	p := c.Payments
	if key, err := base64.StdEncoding.DecodeString(p.Key); err != nil || len(key) != 32 {
		bad("payments.key", "must be 32 random bytes, base64 (openssl rand -base64 32); set BAZAAR_PAYMENTS_KEY")
	} else if c.Env != "development" && p.Key == developmentPaymentsKey {
		bad("payments.key", "the development key must not be used in %s", c.Env)
	}
	if u, err := url.Parse(p.StripeAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("payments.stripe_api_url", "must be an http(s) URL such as https://api.stripe.com (got %q)", p.StripeAPIURL)
	}
	if p.WebhookMaxBytes < 1024 || p.WebhookMaxBytes > c.HTTP.BodyLimit {
		bad("payments.webhook_max_bytes", "must be 1024 bytes to http.body_limit (got %d)", p.WebhookMaxBytes)
	}
}

// developmentPaymentsKey is development.yaml's payments.key, refused
// elsewhere.
const developmentPaymentsKey = "ZGV2ZWxvcG1lbnQtcGF5bWVudHMta2V5LTMyYnl0ZXM="

func (c *Config) validateAuth(bad func(key, format string, args ...any)) {
	a := c.Auth
	if a.Issuer == "" {
		bad("auth.issuer", "is required")
	}
	if keys, err := a.Keys(); err != nil {
		bad("auth.signing_keys", "%v; set BAZAAR_AUTH_SIGNING_KEYS", err)
	} else if c.Env != "development" {
		for _, k := range keys {
			if k[0] == "dev" {
				bad("auth.signing_keys", "the development key must not be used in %s", c.Env)
			}
		}
	}
	if a.AccessTTL > 15*time.Minute {
		bad("auth.access_ttl", "must be at most 15m (got %s)", a.AccessTTL)
	}
	if a.RefreshTTL > a.SessionTTL {
		bad("auth.refresh_ttl", "must not exceed auth.session_ttl")
	}
	if a.Argon2Time < 1 || a.Argon2Time > 20 {
		bad("auth.argon2_time", "must be 1 to 20 (got %d)", a.Argon2Time)
	}
	if a.Argon2MemoryKiB < 8192 || a.Argon2MemoryKiB > 1<<21 {
		bad("auth.argon2_memory_kib", "must be 8192 to 2097152 KiB (got %d)", a.Argon2MemoryKiB)
	}
	if a.Argon2Threads < 1 || a.Argon2Threads > 64 {
		bad("auth.argon2_threads", "must be 1 to 64 (got %d)", a.Argon2Threads)
	}
	atLeastOne := map[string]int{
		"auth.argon2_concurrency": a.Argon2Concurrency, "auth.login_ip_attempts": a.LoginIPAttempts,
		"auth.login_account_failures": a.LoginAccountFailures, "auth.cache_size": a.CacheSize,
	}
	for _, k := range slices.Sorted(maps.Keys(atLeastOne)) {
		if atLeastOne[k] < 1 {
			bad(k, "must be at least 1 (got %d)", atLeastOne[k])
		}
	}
	if a.LoginBackoffMax < a.LoginBackoffBase {
		bad("auth.login_backoff_max", "must be at least auth.login_backoff_base")
	}
}

func (c *Config) validateMail(bad func(key, format string, args ...any)) {
	m := c.Mail
	switch m.Driver {
	case "log":
	case "smtp":
		if m.SMTPHost == "" {
			bad("mail.smtp_host", "is required with mail.driver smtp")
		}
		if m.SMTPPort < 1 || m.SMTPPort > 65535 {
			bad("mail.smtp_port", "must be 1 to 65535 (got %d)", m.SMTPPort)
		}
	default:
		bad("mail.driver", "must be smtp or log (got %q)", m.Driver)
	}
	if !slices.Contains([]string{"none", "starttls", "tls"}, m.SMTPTLS) {
		bad("mail.smtp_tls", "must be none, starttls or tls (got %q)", m.SMTPTLS)
	}
	if m.From == "" {
		bad("mail.from", "is required, e.g. \"Bazaar <no-reply@example.com>\"")
	}
	if m.MaxAttempts < 1 {
		bad("mail.max_attempts", "must be at least 1 (got %d)", m.MaxAttempts)
	}
}

func (c *Config) validateImports(bad func(key, format string, args ...any)) {
	im := c.Imports
	if im.MaxFileBytes < 1024 {
		bad("imports.max_file_bytes", "must be at least 1024 bytes (got %d)", im.MaxFileBytes)
	}
	if im.MaxRedirects < 0 || im.MaxRedirects > 20 {
		bad("imports.max_redirects", "must be 0 to 20 (got %d)", im.MaxRedirects)
	}
	for _, n := range im.AllowNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			bad("imports.allow_networks", "%q is not a CIDR range such as 127.0.0.1/32", n)
		}
	}
	atLeastOne := map[string]int{
		"imports.max_languages": im.MaxLanguages, "imports.max_record_bytes": im.MaxRecordBytes,
		"imports.max_row_errors": im.MaxRowErrors, "imports.max_raw_bytes": im.MaxRawBytes,
		"imports.batch_size": im.BatchSize, "imports.keep_jobs": im.KeepJobs, "imports.max_attempts": im.MaxAttempts,
		"queue.workers": c.Queue.Workers,
	}
	for _, k := range slices.Sorted(maps.Keys(atLeastOne)) {
		if atLeastOne[k] < 1 {
			bad(k, "must be at least 1 (got %d)", atLeastOne[k])
		}
	}
	if im.BackoffMax < im.BackoffBase {
		bad("imports.backoff_max", "must be at least imports.backoff_base (%s; got %s)", im.BackoffBase, im.BackoffMax)
	}
	if !locale.IsCurrency(im.DefaultCurrency) {
		bad("imports.default_currency", "must be an ISO 4217 code such as EUR (got %q)", im.DefaultCurrency)
	}
	if !queue.ValidSchema(c.Queue.Schema) {
		bad("queue.schema", "must be lower-case letters, digits and underscores (got %q)", c.Queue.Schema)
	}
}

// Masked returns the configuration as ordered key/value lines, secrets masked,
// for `bazaar config`.
func (c *Config) Masked() []KeyValue {
	out := []KeyValue{{Key: "env", Value: c.Env}}
	walk(reflect.ValueOf(*c), "", &out)
	return out
}

// KeyValue is one configuration key and its printable value.
type KeyValue struct {
	Key, Value string
}

func walk(v reflect.Value, prefix string, out *[]KeyValue) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "-" || tag == "" {
			continue
		}
		key := prefix + tag
		fv := v.Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			walk(fv, key+".", out)
		case f.Tag.Get("secret") == "true":
			*out = append(*out, KeyValue{key, maskSecret(fv.String())})
		case f.Type == reflect.TypeOf(time.Duration(0)):
			*out = append(*out, KeyValue{key, time.Duration(fv.Int()).String()})
		case f.Type.Kind() == reflect.Slice:
			parts := make([]string, fv.Len())
			for j := range parts {
				parts[j] = fmt.Sprint(fv.Index(j).Interface())
			}
			*out = append(*out, KeyValue{key, "[" + strings.Join(parts, ", ") + "]"})
		default:
			*out = append(*out, KeyValue{key, fmt.Sprint(fv.Interface())})
		}
	}
}

// maskSecret hides a secret; for URLs only the password is hidden, so an
// operator can still see which server and database are meant.
func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	return "xxxxx"
}

// publicURLProblem says what is wrong with a public URL: the platform's
// origin on base (scheme, host, optional port), nothing else.
func publicURLProblem(s, base string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
		return "must be an http or https URL such as https://shops.example.com"
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "must be an origin only: scheme, host and port"
	case u.Hostname() != base:
		return "must be on http.base_domain " + base
	}
	return ""
}

// PublicBase is the platform's origin as people reach it, for links in mail
// sent outside a request: http.public_url; without it https://<base_domain>,
// or in development http://<base_domain>:<the port of http.addr>.
func (c *Config) PublicBase() *url.URL {
	h := c.HTTP
	if h.PublicURL != "" {
		if u, err := url.Parse(strings.TrimSuffix(h.PublicURL, "/")); err == nil { // Validate checked it
			u.Path = ""
			return u
		}
	}
	if c.Env != "development" {
		return &url.URL{Scheme: "https", Host: h.BaseDomain}
	}
	host := h.BaseDomain
	if _, port, err := net.SplitHostPort(h.Addr); err == nil && port != "" && port != "80" {
		host = net.JoinHostPort(host, port)
	}
	return &url.URL{Scheme: "http", Host: host}
}
