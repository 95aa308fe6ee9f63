package tenantdb_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

func TestValidateSlug(t *testing.T) {
	tests := []struct {
		slug    string
		wantErr string // substring of the message; "" = valid
	}{
		{"acme", ""},
		{"a1", ""},
		{"atelier-demo", ""},
		{"x" + strings.Repeat("y", 62), ""},
		{"a", "2 to 63 characters"},
		{"", "2 to 63 characters"},
		{"x" + strings.Repeat("y", 63), "2 to 63 characters"},
		{"Acme", "lower-case"},
		{"ac_me", "lower-case"},
		{"-acme", "start and end"},
		{"acme-", "start and end"},
		{"ac--me", "two hyphens"},
		{"xn--bcher-kva", "two hyphens"},
		{"acme'; DROP SCHEMA platform; --", "lower-case"},
		{"a'b", "lower-case"},
		{`a"b`, "lower-case"},
		{"caf\u00e9", "lower-case"},
		{"acme.lu", "lower-case"},
		{"admin", "reserved"},
		{"www", "reserved"},
		{"api", "reserved"},
		{"static", "reserved"},
		{"mail", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			err := tenantdb.ValidateSlug(tt.slug)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
			if !errors.Is(err, fault.ErrInvalid) {
				t.Errorf("err is not fault.ErrInvalid: %v", err)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got := tenantdb.SchemaName("atelier-demo"); got != "vendor_atelier_demo" {
		t.Errorf("SchemaName = %q", got)
	}
	if got := tenantdb.RoleName("bazaar_", "atelier-demo"); got != "bazaar_atelier_demo" {
		t.Errorf("RoleName = %q", got)
	}
	// Long slugs keep a readable head and a hash: within PostgreSQL's 63-byte
	// limit and distinct even when they share a long prefix.
	long1 := strings.Repeat("a", 60) + "-x1"
	long2 := strings.Repeat("a", 60) + "-x2"
	for _, name := range []string{tenantdb.SchemaName(long1), tenantdb.RoleName("bazaar_", long1)} {
		if len(name) > 63 {
			t.Errorf("%q is %d bytes", name, len(name))
		}
	}
	if tenantdb.SchemaName(long1) == tenantdb.SchemaName(long2) {
		t.Error("long slugs with a common prefix map to one schema")
	}
}

func TestValidateRolePrefix(t *testing.T) {
	for _, ok := range []string{"bazaar_", "b", "t1234_"} {
		if err := tenantdb.ValidateRolePrefix(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Bazaar_", "1b", "b-", `b"`, strings.Repeat("b", 21)} {
		if err := tenantdb.ValidateRolePrefix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A table without a schema in these configs would silently resolve through
// the search_path: every field must be set.
func TestSchemaConfigsQualifyEveryTable(t *testing.T) {
	for name, cfg := range map[string]any{
		"platform": tenantdb.PlatformSchemaConfig(),
		"tenant":   tenantdb.TenantSchemaConfig("vendor_x"),
	} {
		v := reflect.ValueOf(cfg)
		for i := range v.NumField() {
			if v.Field(i).String() == "" {
				t.Errorf("%s schema config leaves %s unqualified", name, v.Type().Field(i).Name)
			}
		}
	}
}
