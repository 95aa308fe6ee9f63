package vendor

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	platformaudit "github.com/bazaar/bazaar/ent/platform/auditevent"
	tenantaudit "github.com/bazaar/bazaar/ent/tenant/auditevent"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

func ptr(s string) *string { return &s }

// current is a shop's settings as a fresh vendor has them.
var current = Settings{
	Name: "Atelier", DefaultLanguage: "fr", EnabledLanguages: []string{"fr", "de", "en"}, Currency: "EUR",
}

// badFields are the fields an invalid input's error names, with their
// messages.
func badFields(t *testing.T, err error) map[string]string {
	t.Helper()
	fe, ok := fault.As(err)
	if !ok || fe.Kind != fault.Invalid {
		t.Fatalf("want a validation error, got %v", err)
	}
	return fe.Fields
}

// TestSettingsInputNamesEveryBadField: one input with every kind of mistake
// is refused naming each, by its JSON path, and nothing else.
func TestSettingsInputNamesEveryBadField(t *testing.T) {
	in := SettingsInput{
		Name:               ptr(strings.Repeat("n", 201)),
		BusinessEmail:      ptr("not an email"),
		BusinessPhone:      ptr("call me"),
		BusinessAddress:    ptr("1 rue\nde la Gare"),
		BusinessPostalCode: ptr("L-1234;"),
		BusinessCountry:    ptr("XX"),
		DefaultLanguage:    ptr("es"),
		EnabledLanguages:   []string{"fr", "english", "fr", "xx", "de"},
		Currency:           ptr("euro"),
		ThemeConfig: json.RawMessage(`{"colors":{"primary":"#12345","secondary":"red","accent":"#ABC","shadow":"#000"},
			"logo_url":"http://cdn.example/logo.png","font":"Comic Sans","favicon":"x","layout":{}}`),
	}
	want := map[string]string{
		"name":                          "at most 200",
		"business_email":                "must not contain spaces",
		"business_phone":                "phone number",
		"business_address":              "one line",
		"business_postal_code":          "letters, digits",
		"business_country":              "ISO 3166-1",
		"default_language":              "one of enabled_languages",
		"enabled_languages[1]":          "ISO 639-1",
		"enabled_languages[2]":          "already enabled_languages[0]",
		"enabled_languages[3]":          "ISO 639-1",
		"currency":                      "ISO 4217",
		"theme_config.colors.primary":   "hex colour",
		"theme_config.colors.secondary": "hex colour",
		"theme_config.colors.shadow":    "not a theme colour",
		"theme_config.logo_url":         "https",
		"theme_config.font":             "system, humanist",
		"theme_config.favicon":          "not a theme setting",
		"theme_config.layout":           "not a theme setting",
	}
	_, err := in.apply(current)
	got := badFields(t, err)
	for field, words := range want {
		if !strings.Contains(got[field], words) {
			t.Errorf("%s: %q, want it to mention %q", field, got[field], words)
		}
	}
	for field := range got {
		if _, ok := want[field]; !ok {
			t.Errorf("%s named too: %q", field, got[field])
		}
	}
}

func TestSettingsInputApplies(t *testing.T) {
	tests := []struct {
		name string
		in   SettingsInput
		want func(s *Settings)
		bad  map[string]string // field → words; nil: accepted
	}{
		{name: "NothingGivenKeepsAll", in: SettingsInput{}, want: func(*Settings) {}},
		{name: "NullThemeKeepsIt", in: SettingsInput{ThemeConfig: json.RawMessage(" null ")}, want: func(*Settings) {}},
		{name: "TextIsTrimmed", in: SettingsInput{Name: ptr("  Boutique  "), BusinessCity: ptr(" Luxembourg ")},
			want: func(s *Settings) { s.Name, s.BusinessCity = "Boutique", "Luxembourg" }},
		{name: "ContactCleared", in: SettingsInput{BusinessEmail: ptr(""), BusinessPhone: ptr(""), BusinessCountry: ptr("")},
			want: func(*Settings) {}},
		{name: "Contact", in: SettingsInput{BusinessEmail: ptr("shop@atelier.lu"), BusinessPhone: ptr("+352 (0) 26 12-34.56"),
			BusinessPostalCode: ptr("L-1234"), BusinessCountry: ptr("LU")},
			want: func(s *Settings) {
				s.BusinessEmail, s.BusinessPhone, s.BusinessPostalCode, s.BusinessCountry = "shop@atelier.lu", "+352 (0) 26 12-34.56", "L-1234", "LU"
			}},
		{name: "LanguagesAndDefaultTogether", in: SettingsInput{EnabledLanguages: []string{"lb", "de"}, DefaultLanguage: ptr("lb")},
			want: func(s *Settings) { s.EnabledLanguages, s.DefaultLanguage = []string{"lb", "de"}, "lb" }},
		{name: "DefaultAmongCurrentLanguages", in: SettingsInput{DefaultLanguage: ptr("en")},
			want: func(s *Settings) { s.DefaultLanguage = "en" }},
		{name: "LanguagesDroppingTheDefault", in: SettingsInput{EnabledLanguages: []string{"de", "en"}},
			bad: map[string]string{"default_language": "is fr, which enabled_languages leaves out"}},
		{name: "NoLanguage", in: SettingsInput{EnabledLanguages: []string{}},
			bad: map[string]string{"enabled_languages": "at least one", "default_language": "leaves out"}},
		{name: "UpperCaseLanguage", in: SettingsInput{DefaultLanguage: ptr("FR")},
			bad: map[string]string{"default_language": "lower case"}},
		{name: "LowerCaseCountry", in: SettingsInput{BusinessCountry: ptr("lu")},
			bad: map[string]string{"business_country": "upper case"}},
		{name: "Currency", in: SettingsInput{Currency: ptr("CHF")}, want: func(s *Settings) { s.Currency = "CHF" }},
		{name: "BankAccount", in: SettingsInput{BankAccountHolder: ptr(" Atelier SARL "), BankIBAN: ptr("lu28 0019 4006 4475 0000"), BankBIC: ptr("bceelull")},
			want: func(s *Settings) {
				s.BankAccountHolder, s.BankIBAN, s.BankBIC = "Atelier SARL", "LU280019400644750000", "BCEELULL"
			}},
		{name: "BankAccountWithBranch", in: SettingsInput{BankAccountHolder: ptr("A"), BankIBAN: ptr("DE89370400440532013000"), BankBIC: ptr("COBADEFF370")},
			want: func(s *Settings) {
				s.BankAccountHolder, s.BankIBAN, s.BankBIC = "A", "DE89370400440532013000", "COBADEFF370"
			}},
		{name: "IBANMistyped", in: SettingsInput{BankAccountHolder: ptr("A"), BankIBAN: ptr("LU28 0019 4006 4475 0001")},
			bad: map[string]string{"bank_iban": "check digits do not match"}},
		{name: "IBANDigitsSwapped", in: SettingsInput{BankAccountHolder: ptr("A"), BankIBAN: ptr("LU28 0019 4006 4457 0000")},
			bad: map[string]string{"bank_iban": "check digits do not match"}},
		{name: "IBANTooShort", in: SettingsInput{BankAccountHolder: ptr("A"), BankIBAN: ptr("LU28 0019")},
			bad: map[string]string{"bank_iban": "must be an IBAN"}},
		{name: "IBANWithPunctuation", in: SettingsInput{BankAccountHolder: ptr("A"), BankIBAN: ptr("LU28-0019-4006-4475-0000")},
			bad: map[string]string{"bank_iban": "letters and digits only"}},
		{name: "IBANWithoutHolder", in: SettingsInput{BankIBAN: ptr("LU280019400644750000")},
			bad: map[string]string{"bank_account_holder": "is required with an IBAN"}},
		{name: "HolderWithoutIBAN", in: SettingsInput{BankAccountHolder: ptr("A")},
			bad: map[string]string{"bank_iban": "is required with an account holder"}},
		{name: "BICBad", in: SettingsInput{BankAccountHolder: ptr("A"), BankIBAN: ptr("LU280019400644750000"), BankBIC: ptr("BCEE1ULL")},
			bad: map[string]string{"bank_bic": "must be a BIC"}},
		{name: "BankAccountCleared", in: SettingsInput{BankAccountHolder: ptr(""), BankIBAN: ptr(""), BankBIC: ptr("")},
			want: func(*Settings) {}},
		{name: "NameEmpty", in: SettingsInput{Name: ptr("   ")}, bad: map[string]string{"name": "is required"}},
		{name: "NameOf200Bytes", in: SettingsInput{Name: ptr(strings.Repeat("é", 100))},
			want: func(s *Settings) { s.Name = strings.Repeat("é", 100) }},
		{name: "NameOver200Bytes", in: SettingsInput{Name: ptr(strings.Repeat("é", 101))},
			bad: map[string]string{"name": "at most 200 bytes"}},
		{name: "NameNotUTF8", in: SettingsInput{Name: ptr("a\xffb")}, bad: map[string]string{"name": "UTF-8"}},
		{name: "NameWithNUL", in: SettingsInput{Name: ptr("a\x00b")}, bad: map[string]string{"name": "control"}},
		{name: "Theme", in: SettingsInput{ThemeConfig: json.RawMessage(
			`{"colors":{"primary":"#1A73E8","text":"#222"},"logo_url":"https://cdn.example/logo.png?v=2","font":"serif"}`)},
			want: func(s *Settings) {
				s.ThemeConfig = Theme{Colors: map[string]string{"primary": "#1a73e8", "text": "#222"},
					LogoURL: "https://cdn.example/logo.png?v=2", Font: "serif"}
			}},
		{name: "EmptyThemeClearsIt", in: SettingsInput{ThemeConfig: json.RawMessage(`{}`)}, want: func(*Settings) {}},
		{name: "EmptyLogoAndFontAreNone", in: SettingsInput{ThemeConfig: json.RawMessage(`{"logo_url":"","font":"","colors":{}}`)},
			want: func(*Settings) {}},
		{name: "ThemeNotAnObject", in: SettingsInput{ThemeConfig: json.RawMessage(`["#fff"]`)},
			bad: map[string]string{"theme_config": "must be an object"}},
		{name: "ColorsNotAnObject", in: SettingsInput{ThemeConfig: json.RawMessage(`{"colors":"#fff"}`)},
			bad: map[string]string{"theme_config.colors": "must be an object"}},
		{name: "ColourNotAString", in: SettingsInput{ThemeConfig: json.RawMessage(`{"colors":{"primary":255}}`)},
			bad: map[string]string{"theme_config.colors.primary": "hex colour"}},
		{name: "ColourWithoutHash", in: SettingsInput{ThemeConfig: json.RawMessage(`{"colors":{"primary":"ffffff"}}`)},
			bad: map[string]string{"theme_config.colors.primary": "hex colour"}},
		{name: "ColourWithAlpha", in: SettingsInput{ThemeConfig: json.RawMessage(`{"colors":{"primary":"#ffffff80"}}`)},
			bad: map[string]string{"theme_config.colors.primary": "hex colour"}},
		{name: "ColourNotHex", in: SettingsInput{ThemeConfig: json.RawMessage(`{"colors":{"primary":"#ggg"}}`)},
			bad: map[string]string{"theme_config.colors.primary": "hex colour"}},
		{name: "FontNotAString", in: SettingsInput{ThemeConfig: json.RawMessage(`{"font":1}`)},
			bad: map[string]string{"theme_config.font": "must be one of"}},
		{name: "LogoNotAString", in: SettingsInput{ThemeConfig: json.RawMessage(`{"logo_url":{"href":"https://x.test/"}}`)},
			bad: map[string]string{"theme_config.logo_url": "must be a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.apply(current)
			if tt.bad != nil {
				fields := badFields(t, err)
				if !slices.Equal(slices.Sorted(maps.Keys(fields)), slices.Sorted(maps.Keys(tt.bad))) {
					t.Fatalf("named %v, want %v", fields, tt.bad)
				}
				for f, words := range tt.bad {
					if !strings.Contains(fields[f], words) {
						t.Errorf("%s: %q, want it to mention %q", f, fields[f], words)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := current
			want.EnabledLanguages = slices.Clone(current.EnabledLanguages)
			tt.want(&want)
			if was, now := changes(want, got); len(now) > 0 {
				t.Errorf("got %v, want %v", now, was)
			}
		})
	}
}

func TestLogoURL(t *testing.T) {
	for _, tt := range []struct{ url, problem string }{
		{"https://cdn.example/logo.png", ""},
		{"HTTPS://cdn.example/logo.png", ""},
		{"https://cdn.example:8443/a/b.svg?x=1#top", ""},
		{"https://cdn.example/caf%C3%A9.png", ""},
		{"", ""},
		{"http://cdn.example/logo.png", "not http:"},
		{"javascript:alert(1)", "not javascript:"},
		{"data:image/png;base64,AAAA", "not data:"},
		{"//cdn.example/logo.png", "absolute"},
		{"/logo.png", "absolute"},
		{"https://user:secret@cdn.example/logo.png", "user name or password"},
		{"https://user@cdn.example/logo.png", "user name or password"},
		{"https://@cdn.example/logo.png", "user name or password"},
		{"https:cdn.example/logo.png", "naming a host"},
		{"https:///logo.png", "naming a host"},
		{"https://:443/logo.png", "naming a host"},
		{"https://cdn.example/a logo.png", "printable ASCII"},
		{"https://cdn.example/café.png", "printable ASCII"},
		{`https:\\cdn.example\logo.png`, "backslashes"},
		{"https://cdn.example/\tlogo.png", "printable ASCII"},
		{"https://cdn.example/" + strings.Repeat("a", MaxLogoURL), "at most 2048"},
	} {
		if got := logoProblem(tt.url); (tt.problem == "") != (got == "") || !strings.Contains(got, tt.problem) {
			t.Errorf("logoProblem(%q) = %q, want %q", tt.url, got, tt.problem)
		}
	}
}

// TestFonts: the list the shop front writes into its CSS downloads nothing
// and ends every stack with a generic family.
func TestFonts(t *testing.T) {
	if Fonts[0].Key != DefaultFont {
		t.Errorf("the first font is %q, not the default %q", Fonts[0].Key, DefaultFont)
	}
	seen := map[string]bool{}
	generic := []string{"sans-serif", "serif", "monospace"}
	for _, f := range Fonts {
		if seen[f.Key] || f.Key == "" || f.Label == "" {
			t.Errorf("font %+v: a key and a label, each once", f)
		}
		seen[f.Key] = true
		families := strings.Split(f.Stack, ", ")
		if !slices.Contains(generic, families[len(families)-1]) {
			t.Errorf("font %s ends with %q, not a generic family", f.Key, families[len(families)-1])
		}
		for _, bad := range []string{"url(", "@", "http", "//", ";", "{", "}", "<"} {
			if strings.Contains(f.Stack, bad) {
				t.Errorf("font %s's stack holds %q: %s", f.Key, bad, f.Stack)
			}
		}
		if FontStack(f.Key) != f.Stack {
			t.Errorf("FontStack(%q) is not its stack", f.Key)
		}
	}
	if FontStack("Comic Sans") != Fonts[0].Stack || FontStack("") != Fonts[0].Stack {
		t.Error("an unknown or empty font must get the default's stack")
	}
}

// TestUpdateSettings changes a shop's settings through its bound
// transaction: the registry row changes, the change is in both trails with
// only the changed fields, another shop is untouched, and a refused or empty
// change writes nothing.
func TestUpdateSettings(t *testing.T) {
	db := tenanttest.Open(t)
	ctx := context.Background()
	shop := tenanttest.Tenant(t, db, "settings")
	other := tenanttest.Tenant(t, db, "settings-other")
	s := New(db, Options{}, nil)
	a := Actor{UserID: 0, Email: "owner@settings.test", IP: "192.0.2.7", RequestID: "req-settings"}

	var got *Settings
	err := db.Tx(ctx, shop, func(ctx context.Context) error {
		var err error
		got, err = s.UpdateSettings(ctx, a, SettingsInput{
			Name: ptr("Atelier Neuf"), EnabledLanguages: []string{"de", "fr"}, DefaultLanguage: ptr("de"),
			Currency: ptr("CHF"), ThemeConfig: json.RawMessage(`{"colors":{"primary":"#0A0"},"font":"rounded"}`),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wantTheme := Theme{Colors: map[string]string{"primary": "#0a0"}, Font: "rounded"}
	if got.Name != "Atelier Neuf" || got.DefaultLanguage != "de" || !slices.Equal(got.EnabledLanguages, []string{"de", "fr"}) ||
		got.Currency != "CHF" || got.ThemeConfig.Font != "rounded" || got.ThemeConfig.Colors["primary"] != "#0a0" {
		t.Errorf("UpdateSettings = %+v", got)
	}
	read := func(tn *tenantdb.Tenant) *Settings {
		t.Helper()
		var out *Settings
		if err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
			var err error
			out, err = s.Settings(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if back := read(shop); back.Name != "Atelier Neuf" || back.Currency != "CHF" || back.ThemeConfig.Font != wantTheme.Font {
		t.Errorf("read back %+v", back)
	}
	if o := read(other); o.Name != other.Name || o.Currency != "EUR" || o.DefaultLanguage != "fr" || len(o.ThemeConfig.Colors) != 0 {
		t.Errorf("the other shop moved: %+v", o)
	}

	// Both trails hold the change, the changed fields only.
	pev, err := db.Platform().AuditEvent.Query().
		Where(platformaudit.Action(SettingsAction), platformaudit.VendorID(shop.ID)).All(ctx)
	if err != nil || len(pev) != 1 {
		t.Fatalf("platform trail: %v %v", pev, err)
	}
	if p := pev[0]; p.ActorEmail != a.Email || p.IP != a.IP || p.RequestID != a.RequestID || p.TargetType != "vendor" ||
		p.Before["name"] != shop.Name || p.After["name"] != "Atelier Neuf" || p.Before["currency"] != "EUR" ||
		p.After["default_language"] != "de" || p.After["theme_config"] == nil {
		t.Errorf("platform event %+v", p)
	}
	for _, unchanged := range []string{"business_email", "business_country"} {
		if _, ok := pev[0].After[unchanged]; ok {
			t.Errorf("the platform event records %s, which did not change", unchanged)
		}
	}
	vendorTrail := func(tn *tenantdb.Tenant) int {
		t.Helper()
		n := 0
		if err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
			c, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			evs, err := c.AuditEvent.Query().Where(tenantaudit.Action(SettingsAction)).All(ctx)
			for _, e := range evs {
				if e.After["name"] != "Atelier Neuf" || e.Before["name"] != shop.Name || e.RequestID != a.RequestID {
					t.Errorf("vendor event %+v", e)
				}
			}
			n = len(evs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := vendorTrail(shop); n != 1 {
		t.Errorf("the shop's trail has %d settings events, want 1", n)
	}
	if n := vendorTrail(other); n != 0 {
		t.Errorf("the other shop's trail has %d settings events", n)
	}

	// A refused change and a change to the same values write nothing.
	err = db.Tx(ctx, shop, func(ctx context.Context) error {
		_, err := s.UpdateSettings(ctx, a, SettingsInput{Name: ptr("Changed"), Currency: ptr("chf")})
		return err
	})
	if !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("a bad currency: %v", err)
	}
	err = db.Tx(ctx, shop, func(ctx context.Context) error {
		_, err := s.UpdateSettings(ctx, a, SettingsInput{Name: ptr(" Atelier Neuf "), Currency: ptr("CHF")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if back := read(shop); back.Name != "Atelier Neuf" {
		t.Errorf("a refused change was written: %+v", back)
	}
	if n, err := db.Platform().AuditEvent.Query().Where(platformaudit.Action(SettingsAction), platformaudit.VendorID(shop.ID)).Count(ctx); err != nil || n != 1 {
		t.Errorf("%d platform events after a refused and an empty change, want 1 (%v)", n, err)
	}

	// Without a bound transaction there is no shop to change.
	if _, err := s.Settings(ctx); !errors.Is(err, tenantdb.ErrNotBound) {
		t.Errorf("Settings unbound: %v", err)
	}
	if _, err := s.UpdateSettings(ctx, a, SettingsInput{Name: ptr("x")}); !errors.Is(err, tenantdb.ErrNotBound) {
		t.Errorf("UpdateSettings unbound: %v", err)
	}
}
