package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testURL = "postgres://bazaar:s3cret-pw@db.internal:5432/bazaar?sslmode=require"

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
		{env: "staging", extra: []string{"BAZAAR_HTTP_BASE_DOMAIN=staging.bazaar.lu"}, wantFormat: "json", wantBaseDom: "staging.bazaar.lu"},
		{env: "production", extra: []string{"BAZAAR_HTTP_BASE_DOMAIN=bazaar.lu"}, wantFormat: "json", wantBaseDom: "bazaar.lu"},
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
		"BAZAAR_DATABASE_URL=" + testURL,
		"BAZAAR_HTTP_ADDR=127.0.0.1:9999",
		"BAZAAR_HTTP_BASE_DOMAIN=shops.example.com",
		"BAZAAR_HTTP_PATH_ROUTING=false",
		"BAZAAR_HTTP_TRUSTED_PROXIES=10.0.0.0/8,192.168.1.1",
		"BAZAAR_HTTP_READ_TIMEOUT=5s",
		"BAZAAR_HTTP_WRITE_TIMEOUT=6s",
		"BAZAAR_HTTP_IDLE_TIMEOUT=7s",
		"BAZAAR_HTTP_REQUEST_TIMEOUT=8s",
		"BAZAAR_HTTP_SHUTDOWN_TIMEOUT=9s",
		"BAZAAR_HTTP_BODY_LIMIT=2048",
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
		"BAZAAR_LOG_LEVEL=warn",
		"BAZAAR_LOG_FORMAT=json",
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
		"http.addr": "127.0.0.1:9999", "http.base_domain": "shops.example.com", "http.path_routing": "false",
		"http.trusted_proxies": "[10.0.0.0/8, 192.168.1.1]", "http.read_timeout": "5s", "http.write_timeout": "6s",
		"http.idle_timeout": "7s", "http.request_timeout": "8s", "http.shutdown_timeout": "9s", "http.body_limit": "2048",
		"database.listen_url":     "postgres://direct:xxxxx@db:5432/bazaar",
		"database.max_open_conns": "12", "database.max_idle_conns": "3", "database.conn_max_lifetime": "1h0m0s",
		"database.conn_max_idle_time": "1m0s", "database.statement_timeout": "0s", "database.role_prefix": "shop_",
		"database.migrate_parallel": "2", "tenant.cache_ttl": "5s", "tenant.cache_size": "7",
		"log.level": "warn", "log.format": "json",
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
