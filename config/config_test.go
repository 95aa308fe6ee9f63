package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testURL = "postgres://bazaar:s3cret-pw@db.internal:5432/bazaar?sslmode=require"

// prodKeys is a signing key fit for staging and production.
const (
	prodKeys     = "BAZAAR_AUTH_SIGNING_KEYS=k1:0123456789abcdef0123456789abcdef0123"
	prodPayments = "BAZAAR_PAYMENTS_KEY=cHJvZHVjdGlvbi1wYXltZW50cy1rZXktMzItYnl0ZXM="
)

func TestLoadEnvironments(t *testing.T) {
	tests := []struct {
		env         string
		extra       []string
		wantPath    bool
		wantFormat  string
		wantBaseDom string
	}{
		{env: "", wantPath: true, wantFormat: "text", wantBaseDom: "localhost"},
		{env: "development", wantPath: true, wantFormat: "text", wantBaseDom: "localhost"},
		{env: "staging", extra: []string{"BAZAAR_HTTP_BASE_DOMAIN=staging.bazaar.lu", prodKeys, prodPayments, "BAZAAR_MAIL_SMTP_HOST=smtp.bazaar.lu"}, wantFormat: "json", wantBaseDom: "staging.bazaar.lu"},
		{env: "production", extra: []string{"BAZAAR_HTTP_BASE_DOMAIN=bazaar.lu", prodKeys, prodPayments, "BAZAAR_MAIL_SMTP_HOST=smtp.bazaar.lu"}, wantFormat: "json", wantBaseDom: "bazaar.lu"},
	}
	for _, tt := range tests {
		t.Run("env="+tt.env, func(t *testing.T) {
			environ := append([]string{"BAZAAR_ENV=" + tt.env, "BAZAAR_DATABASE_URL=" + testURL}, tt.extra...)
			c, err := LoadFrom(environ)
			if err != nil {
				t.Fatal(err)
			}
			if c.HTTP.PathRouting != tt.wantPath || c.Log.Format != tt.wantFormat || c.HTTP.BaseDomain != tt.wantBaseDom {
				t.Errorf("got path_routing=%v format=%s base=%s", c.HTTP.PathRouting, c.Log.Format, c.HTTP.BaseDomain)
			}
			if c.Database.ConnMaxLifetime != 30*time.Minute {
				t.Errorf("conn_max_lifetime = %s, want the default 30m", c.Database.ConnMaxLifetime)
			}
		})
	}
}

func TestEveryKeyOverridableByEnvironment(t *testing.T) {
	env := []string{
		"BAZAAR_DATABASE_URL=" + testURL + "&binary_parameters=yes",
		"BAZAAR_DATABASE_SESSION_URL=postgres://session:pw@db:5432/bazaar",
		"BAZAAR_DATABASE_PREPARED_STATEMENTS=false",
		"BAZAAR_HTTP_ADDR=127.0.0.1:9999",
		"BAZAAR_HTTP_BASE_DOMAIN=shops.example.com", "BAZAAR_HTTP_PUBLIC_URL=https://shops.example.com:8443",
		"BAZAAR_HTTP_PATH_ROUTING=false",
		"BAZAAR_HTTP_TRUSTED_PROXIES=10.0.0.0/8,192.168.1.1",
		"BAZAAR_HTTP_READ_TIMEOUT=5s",
		"BAZAAR_HTTP_WRITE_TIMEOUT=6s",
		"BAZAAR_HTTP_IDLE_TIMEOUT=7s",
		"BAZAAR_HTTP_REQUEST_TIMEOUT=8s",
		"BAZAAR_HTTP_SHUTDOWN_TIMEOUT=9s",
		"BAZAAR_HTTP_BODY_LIMIT=2048",
		"BAZAAR_HTTP_MAX_QUERY_VALUE=300",
		"BAZAAR_HTTP_MAX_JSON_STRING=1000",
		"BAZAAR_HTTP_MAX_USER_AGENT=200",
		"BAZAAR_DATABASE_LISTEN_URL=postgres://direct:pw@db:5432/bazaar",
		"BAZAAR_DATABASE_MAX_OPEN_CONNS=12",
		"BAZAAR_DATABASE_MAX_IDLE_CONNS=3",
		"BAZAAR_DATABASE_CONN_MAX_LIFETIME=1h",
		"BAZAAR_DATABASE_CONN_MAX_IDLE_TIME=1m",
		"BAZAAR_DATABASE_STATEMENT_TIMEOUT=0s",
		"BAZAAR_DATABASE_ROLE_PREFIX=shop_",
		"BAZAAR_DATABASE_MIGRATE_PARALLEL=2",
		"BAZAAR_TENANT_CACHE_TTL=5s",
		"BAZAAR_TENANT_CACHE_SIZE=7",
		"BAZAAR_TENANT_SPARE_SCHEMAS=5",
		"BAZAAR_TENANT_SPARE_INTERVAL=10s",
		"BAZAAR_LOG_LEVEL=warn",
		"BAZAAR_LOG_FORMAT=json",
		"BAZAAR_HTTP_DEV_PAGES=true",
		"BAZAAR_AUTH_ISSUER=shops",
		"BAZAAR_AUTH_SIGNING_KEYS=k2:0123456789abcdef0123456789abcdef01,k1:fedcba9876543210fedcba9876543210fe",
		"BAZAAR_AUTH_ACCESS_TTL=10m",
		"BAZAAR_AUTH_REFRESH_TTL=24h",
		"BAZAAR_AUTH_SESSION_TTL=48h",
		"BAZAAR_AUTH_RESET_TTL=30m",
		"BAZAAR_AUTH_INVITE_TTL=72h",
		"BAZAAR_AUTH_ARGON2_TIME=3",
		"BAZAAR_AUTH_ARGON2_MEMORY_KIB=65536",
		"BAZAAR_AUTH_ARGON2_THREADS=2",
		"BAZAAR_AUTH_ARGON2_CONCURRENCY=8",
		"BAZAAR_AUTH_ARGON2_QUEUE_WAIT=3s",
		"BAZAAR_AUTH_LOGIN_IP_ATTEMPTS=30",
		"BAZAAR_AUTH_LOGIN_IP_WINDOW=2m",
		"BAZAAR_AUTH_LOGIN_ACCOUNT_FAILURES=3",
		"BAZAAR_AUTH_LOGIN_ACCOUNT_WINDOW=20m",
		"BAZAAR_AUTH_LOGIN_BACKOFF_BASE=2s",
		"BAZAAR_AUTH_LOGIN_BACKOFF_MAX=10m",
		"BAZAAR_AUTH_SECURE_COOKIES=false",
		"BAZAAR_AUTH_CACHE_SIZE=99",
		"BAZAAR_MAIL_DRIVER=smtp",
		"BAZAAR_MAIL_SMTP_HOST=smtp.example.com",
		"BAZAAR_MAIL_SMTP_PORT=2525",
		"BAZAAR_MAIL_SMTP_USERNAME=mailer",
		"BAZAAR_MAIL_SMTP_PASSWORD=hunter2hunter2",
		"BAZAAR_MAIL_SMTP_TLS=tls",
		"BAZAAR_MAIL_FROM=Shops <no-reply@example.com>",
		"BAZAAR_MAIL_TIMEOUT=11s",
		"BAZAAR_MAIL_POLL_INTERVAL=3s",
		"BAZAAR_MAIL_MAX_ATTEMPTS=4",
		"BAZAAR_MAIL_BACKOFF_BASE=1s",
		"BAZAAR_MAIL_BACKOFF_MAX=1h",
		"BAZAAR_IMPORTS_MAX_FILE_BYTES=5000",
		"BAZAAR_IMPORTS_DOWNLOAD_TIMEOUT=1m",
		"BAZAAR_IMPORTS_CONNECT_TIMEOUT=2s",
		"BAZAAR_IMPORTS_HEADER_TIMEOUT=3s",
		"BAZAAR_IMPORTS_MAX_REDIRECTS=2",
		"BAZAAR_IMPORTS_ALLOW_NETWORKS=127.0.0.1/32,10.1.0.0/16",
		"BAZAAR_IMPORTS_MAX_LANGUAGES=3",
		"BAZAAR_IMPORTS_MAX_RECORD_BYTES=4096",
		"BAZAAR_IMPORTS_MAX_ROW_ERRORS=50",
		"BAZAAR_IMPORTS_MAX_RAW_BYTES=4096",
		"BAZAAR_IMPORTS_BATCH_SIZE=100",
		"BAZAAR_IMPORTS_TEMP_DIR=/var/tmp",
		"BAZAAR_IMPORTS_PROGRESS_INTERVAL=2s",
		"BAZAAR_IMPORTS_KEEP_JOBS=5",
		"BAZAAR_IMPORTS_DEFAULT_CURRENCY=USD",
		"BAZAAR_IMPORTS_SCHEDULE_INTERVAL=12h",
		"BAZAAR_IMPORTS_SCHEDULE_CHECK=1m",
		"BAZAAR_IMPORTS_JOB_TIMEOUT=30m",
		"BAZAAR_IMPORTS_RESUME_CHECK=30s",
		"BAZAAR_IMPORTS_RESUME_GRACE=5s",
		"BAZAAR_IMPORTS_MAX_ATTEMPTS=3",
		"BAZAAR_IMPORTS_BACKOFF_BASE=10s",
		"BAZAAR_IMPORTS_BACKOFF_MAX=1m",
		"BAZAAR_IMPORTS_CANCEL_CHECK=2s",
		"BAZAAR_DATABASE_CLUSTERS=eu2=postgres://bazaar:hunter2@db2:5432/bazaar, eu3=postgres://bazaar@db3/bazaar",
		"BAZAAR_TENANT_PLACEMENT=eu2",
		"BAZAAR_TENANT_MOVE_DRAIN_TIMEOUT=3s",
		"BAZAAR_TENANT_REPORT_INTERVAL=5s",
		"BAZAAR_QUEUE_SCHEMA=jobs",
		"BAZAAR_QUEUE_WORKERS=2",
		"BAZAAR_QUEUE_POLL_INTERVAL=250ms",
		"BAZAAR_ONBOARDING_MAX_FILE_BYTES=1500",
		"BAZAAR_ONBOARDING_MAX_ROWS=10",
		"BAZAAR_ONBOARDING_RESUME_CHECK=30s",
		"BAZAAR_SHOP_CUSTOMER_SESSION_TTL=48h",
		"BAZAAR_SHOP_CUSTOMER_RESET_TTL=20m",
		"BAZAAR_SHOP_CUSTOMER_LOGIN_FAILURES=4",
		"BAZAAR_SHOP_CUSTOMER_LOCKOUT=5m",
		"BAZAAR_SHOP_CUSTOMER_LOGIN_IP_LIMIT=12",
		"BAZAAR_SHOP_CART_TTL=24h",
		"BAZAAR_SHOP_CART_MAX_LINES=20",
		"BAZAAR_SHOP_MAX_QUANTITY=50",
		"BAZAAR_SHOP_CARD_PAYMENT_TTL=30m",
		"BAZAAR_SHOP_BANK_TRANSFER_TTL=72h",
		"BAZAAR_SHOP_SWEEP_INTERVAL=1m",
		"BAZAAR_DATABASE_MAX_TENANTS_PER_CONN=250",
		"BAZAAR_TENANT_MAX_CUSTOM_DOMAINS=4",
		"BAZAAR_DATABASE_TENANT_LANES=6",
		"BAZAAR_DATABASE_LANE_CONNS=3",
		"BAZAAR_SHOP_DEFAULT_VAT_BP=800",
		prodPayments,
		"BAZAAR_PAYMENTS_STRIPE_API_URL=http://127.0.0.1:12111",
		"BAZAAR_PAYMENTS_TIMEOUT=5s",
		"BAZAAR_PAYMENTS_WEBHOOK_MAX_BYTES=2000",
		"BAZAAR_PAYMENTS_WEBHOOK_TOLERANCE=2m",
	}
	c, err := LoadFrom(env)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range c.Masked() {
		got[kv.Key] = kv.Value
	}
	want := map[string]string{
		"http.addr": "127.0.0.1:9999", "http.base_domain": "shops.example.com", "http.public_url": "https://shops.example.com:8443", "http.path_routing": "false",
		"http.trusted_proxies": "[10.0.0.0/8, 192.168.1.1]", "http.read_timeout": "5s", "http.write_timeout": "6s",
		"http.idle_timeout": "7s", "http.request_timeout": "8s", "http.shutdown_timeout": "9s", "http.body_limit": "2048",
		"http.max_query_value": "300", "http.max_json_string": "1000", "http.max_user_agent": "200",
		"database.listen_url":     "postgres://direct:xxxxx@db:5432/bazaar",
		"database.max_open_conns": "12", "database.max_idle_conns": "3", "database.conn_max_lifetime": "1h0m0s",
		"database.conn_max_idle_time": "1m0s", "database.max_tenants_per_conn": "250", "database.tenant_lanes": "6", "database.lane_conns": "3", "database.statement_timeout": "0s", "database.role_prefix": "shop_",
		"database.migrate_parallel": "2", "database.session_url": "postgres://session:xxxxx@db:5432/bazaar", "database.prepared_statements": "false",
		"tenant.cache_ttl": "5s", "tenant.cache_size": "7", "tenant.spare_schemas": "5", "tenant.spare_interval": "10s",
		"database.clusters": "xxxxx", "tenant.placement": "eu2", "tenant.move_drain_timeout": "3s", "tenant.report_interval": "5s", "tenant.max_custom_domains": "4",
		"log.level": "warn", "log.format": "json",
		"http.dev_pages":            "true",
		"onboarding.max_file_bytes": "1500",
		"onboarding.max_rows":       "10",
		"onboarding.resume_check":   "30s",
		"shop.customer_session_ttl": "48h0m0s", "shop.customer_reset_ttl": "20m0s", "shop.customer_login_failures": "4",
		"shop.customer_lockout": "5m0s", "shop.customer_login_ip_limit": "12", "shop.cart_ttl": "24h0m0s",
		"shop.cart_max_lines": "20", "shop.max_quantity": "50", "shop.card_payment_ttl": "30m0s",
		"shop.bank_transfer_ttl": "72h0m0s", "shop.sweep_interval": "1m0s", "shop.default_vat_bp": "800",
		"payments.key": "xxxxx", "payments.stripe_api_url": "http://127.0.0.1:12111", "payments.timeout": "5s",
		"payments.webhook_max_bytes": "2000", "payments.webhook_tolerance": "2m0s",
		"auth.issuer":                 "shops",
		"auth.signing_keys":           "xxxxx",
		"auth.access_ttl":             "10m0s",
		"auth.refresh_ttl":            "24h0m0s",
		"auth.session_ttl":            "48h0m0s",
		"auth.reset_ttl":              "30m0s",
		"auth.invite_ttl":             "72h0m0s",
		"auth.argon2_time":            "3",
		"auth.argon2_memory_kib":      "65536",
		"auth.argon2_threads":         "2",
		"auth.argon2_concurrency":     "8",
		"auth.argon2_queue_wait":      "3s",
		"auth.login_ip_attempts":      "30",
		"auth.login_ip_window":        "2m0s",
		"auth.login_account_failures": "3",
		"auth.login_account_window":   "20m0s",
		"auth.login_backoff_base":     "2s",
		"auth.login_backoff_max":      "10m0s",
		"auth.secure_cookies":         "false",
		"auth.cache_size":             "99",
		"mail.driver":                 "smtp",
		"mail.smtp_host":              "smtp.example.com",
		"mail.smtp_port":              "2525",
		"mail.smtp_username":          "mailer",
		"mail.smtp_password":          "xxxxx",
		"mail.smtp_tls":               "tls",
		"mail.from":                   "Shops <no-reply@example.com>",
		"mail.timeout":                "11s",
		"mail.poll_interval":          "3s",
		"mail.max_attempts":           "4",
		"mail.backoff_base":           "1s",
		"mail.backoff_max":            "1h0m0s",
		"imports.max_file_bytes":      "5000",
		"imports.download_timeout":    "1m0s",
		"imports.connect_timeout":     "2s",
		"imports.header_timeout":      "3s",
		"imports.max_redirects":       "2",
		"imports.allow_networks":      "[127.0.0.1/32, 10.1.0.0/16]",
		"imports.max_languages":       "3",
		"imports.max_record_bytes":    "4096",
		"imports.max_row_errors":      "50",
		"imports.max_raw_bytes":       "4096",
		"imports.batch_size":          "100",
		"imports.temp_dir":            "/var/tmp",
		"imports.progress_interval":   "2s",
		"imports.keep_jobs":           "5",
		"imports.default_currency":    "USD",
		"imports.schedule_interval":   "12h0m0s",
		"imports.schedule_check":      "1m0s",
		"imports.job_timeout":         "30m0s",
		"imports.resume_check":        "30s",
		"imports.resume_grace":        "5s",
		"imports.max_attempts":        "3",
		"imports.backoff_base":        "10s",
		"imports.backoff_max":         "1m0s",
		"imports.cancel_check":        "2s",
		"queue.schema":                "jobs",
		"queue.workers":               "2",
		"queue.poll_interval":         "250ms",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	// Every printed key must have been exercised above (plus env and the URL),
	// so a new key cannot be added without proving its variable works.
	for k := range got {
		if _, ok := want[k]; !ok && k != "env" && k != "database.url" {
			t.Errorf("key %s has no override case in this test", k)
		}
	}
}

func TestInvalidConfigurationNamesTheKey(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no database", nil, "database.url: is required"},
		{"bad env", []string{"BAZAAR_ENV=prod"}, `BAZAAR_ENV="prod": must be one of`},
		{"production needs base domain", []string{"BAZAAR_ENV=production", "BAZAAR_DATABASE_URL=" + testURL}, "http.base_domain"},
		{"bad duration", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_CONN_MAX_LIFETIME=forever"}, "conn_max_lifetime"},
		{"zero lifetime", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_CONN_MAX_LIFETIME=0s"}, "database.conn_max_lifetime: must be a positive duration"},
		{"bad proxy", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_TRUSTED_PROXIES=10.0.0.0/8,nonsense"}, `http.trusted_proxies: "nonsense"`},
		{"bad prefix", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_ROLE_PREFIX=Bad-Prefix"}, "database.role_prefix"},
		{"typo variable", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABSE_URL=x"}, "unknown variable BAZAAR_DATABSE_URL"},
		{"bad base domain", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_BASE_DOMAIN=Shop_Example"}, "http.base_domain"},
		{"not postgres", []string{"BAZAAR_DATABASE_URL=mysql://x"}, "database.url: must be a postgres:// URL"},
		{"session url not postgres", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_SESSION_URL=db:5432"}, "database.session_url: must be a postgres:// URL"},
		{"pooled url without binary parameters", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_SESSION_URL=postgres://db:5432/bazaar"},
			"database.url: behind a transaction pooler it needs binary_parameters=yes"},
		{"bulk file over the body limit", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_ONBOARDING_MAX_FILE_BYTES=99999999"}, "onboarding.max_file_bytes: must be 1024 bytes to http.body_limit"},
		{"public url not http", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_PUBLIC_URL=ftp://localhost"}, "http.public_url: must be an http or https URL"},
		{"public url with a path", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_PUBLIC_URL=http://localhost:8080/shops"}, "http.public_url: must be an origin only"},
		{"public url with credentials", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_PUBLIC_URL=http://u:p@localhost"}, "http.public_url: must be an origin only"},
		{"public url on another host", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_PUBLIC_URL=https://evil.example"}, "http.public_url: must be on http.base_domain localhost"},
		{"production needs signing keys", []string{"BAZAAR_ENV=production", "BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_BASE_DOMAIN=bazaar.lu"}, "auth.signing_keys: is required"},
		{"dev key in production", []string{"BAZAAR_ENV=production", "BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_BASE_DOMAIN=bazaar.lu", "BAZAAR_AUTH_SIGNING_KEYS=dev:development-signing-key-not-for-production-use"}, "the development key must not be used"},
		{"dev payments key in production", []string{"BAZAAR_ENV=production", "BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_BASE_DOMAIN=bazaar.lu", prodKeys, "BAZAAR_PAYMENTS_KEY=" + developmentPaymentsKey}, "payments.key: the development key must not be used"},
		{"short payments key", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_PAYMENTS_KEY=c2hvcnQ="}, "payments.key: must be 32 random bytes"},
		{"negative tenants per connection", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_MAX_TENANTS_PER_CONN=-1"}, "database.max_tenants_per_conn: must be 0 (no bound) or more (got -1)"},
		{"lanes without connections", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_LANE_CONNS=0"}, "database.lane_conns: must be 1 to 100 when database.tenant_lanes is set (got 0)"},
		{"zero max quantity", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_SHOP_MAX_QUANTITY=0"}, "shop.max_quantity: must be at least 1"},
		{"short key", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_AUTH_SIGNING_KEYS=k1:short"}, "auth.signing_keys: each key"},
		{"long access tokens", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_AUTH_ACCESS_TTL=1h"}, "auth.access_ttl: must be at most 15m"},
		{"bad allow network", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_IMPORTS_ALLOW_NETWORKS=localhost"}, `imports.allow_networks: "localhost" is not a CIDR`},
		{"tiny query value", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_MAX_QUERY_VALUE=0"}, "http.max_query_value: must be 16 to 65536 bytes"},
		{"json string over the body limit", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_BODY_LIMIT=4096", "BAZAAR_HTTP_MAX_JSON_STRING=8192"}, "http.max_json_string: must be 256 bytes to http.body_limit"},
		{"tiny user agent", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_MAX_USER_AGENT=1"}, "http.max_user_agent"},
		{"tiny file limit", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_IMPORTS_MAX_FILE_BYTES=10"}, "imports.max_file_bytes"},
		{"no import attempt", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_IMPORTS_MAX_ATTEMPTS=0"}, "imports.max_attempts: must be at least 1"},
		{"backoff upside down", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_IMPORTS_BACKOFF_BASE=5m", "BAZAAR_IMPORTS_BACKOFF_MAX=1m"}, "imports.backoff_max: must be at least imports.backoff_base"},
		{"smtp without host", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_MAIL_DRIVER=smtp"}, "mail.smtp_host: is required"},
		{"cluster without a name", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_CLUSTERS=postgres://db2/bazaar"}, "database.clusters: \"postgres://db2/bazaar\" is not name=postgres://"},
		{"cluster named main", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_CLUSTERS=main=postgres://db2/bazaar"}, "database.clusters: \"main\" is the name of database.url's cluster"},
		{"cluster not postgres", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DATABASE_CLUSTERS=eu2=mysql://db2"}, "database.clusters: cluster eu2: the URL must be a postgres:// URL"},
		{"placement on an unknown cluster", []string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_TENANT_PLACEMENT=eu9"}, `tenant.placement: "eu9" is neither main nor a cluster`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFrom(tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("http:\n  base_domain: file.example\n  trusted_proxies: [10.1.2.3]\n"), 0o600)
	c, err := LoadFrom([]string{"BAZAAR_CONFIG=" + good, "BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_ADDR=:1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.BaseDomain != "file.example" || len(c.HTTP.TrustedProxies) != 1 || c.HTTP.Addr != ":1" {
		t.Errorf("file or environment not applied: %+v", c.HTTP)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("http:\n  base_domian: x\n"), 0o600)
	if _, err := LoadFrom([]string{"BAZAAR_CONFIG=" + bad, "BAZAAR_DATABASE_URL=" + testURL}); err == nil || !strings.Contains(err.Error(), `unknown key "http.base_domian"`) {
		t.Errorf("err = %v, want unknown key", err)
	}
}

func TestMaskedHidesSecrets(t *testing.T) {
	c, err := LoadFrom([]string{"BAZAAR_DATABASE_URL=" + testURL})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range c.Masked() {
		if strings.Contains(kv.Value, "s3cret-pw") {
			t.Fatalf("%s shows the password: %s", kv.Key, kv.Value)
		}
		if kv.Key == "database.url" && !strings.Contains(kv.Value, "db.internal:5432") {
			t.Errorf("database.url = %s, want host kept for operators", kv.Value)
		}
	}
}

// TestPublicBase: the origin of links in mail sent outside a request.
func TestPublicBase(t *testing.T) {
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"BAZAAR_DATABASE_URL=" + testURL}, "http://localhost:8080"},
		{[]string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_ADDR=:80"}, "http://localhost"},
		{[]string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_PUBLIC_URL=https://localhost:8443/"}, "https://localhost:8443"},
		{[]string{"BAZAAR_ENV=staging", "BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_HTTP_BASE_DOMAIN=bazaar.lu", "BAZAAR_AUTH_SIGNING_KEYS=k1:0123456789abcdef0123456789abcdef", prodPayments, "BAZAAR_MAIL_SMTP_HOST=smtp.bazaar.lu"}, "https://bazaar.lu"},
	} {
		c, err := LoadFrom(tt.env)
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		if got := c.PublicBase().String(); got != tt.want {
			t.Errorf("%v: PublicBase = %s, want %s", tt.env, got, tt.want)
		}
	}
}

// The scripts' own variables (scripts/with-db's BAZAAR_DEVDB_*, the tests'
// BAZAAR_TEST_*) are not configuration keys, and not refused as unknown ones.
func TestScriptVariablesAreNotKeys(t *testing.T) {
	if _, err := LoadFrom([]string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DEVDB_CLUSTERS=2", "BAZAAR_DEVDB_PGBOUNCER=1",
		"BAZAAR_TEST_DATABASE_URL_2=postgres://x@y/z"}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFrom([]string{"BAZAAR_DATABASE_URL=" + testURL, "BAZAAR_DEVDBX=1"}); err == nil {
		t.Fatal("BAZAAR_DEVDBX accepted: only the BAZAAR_DEVDB_ prefix is the scripts'")
	}
}
