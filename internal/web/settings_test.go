package web

import (
	"context"
	"html"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	platformaudit "github.com/bazaar/bazaar/ent/platform/auditevent"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

const settingsPath = "/api/v1/settings"

// wantFieldsOnly checks that an error answer names exactly the fields of
// want, each message mentioning its words.
func wantFieldsOnly(want map[string]string) func(t testing.TB, r *resp) {
	return func(t testing.TB, r *resp) {
		t.Helper()
		var e errorBody
		r.decode(t, &e)
		for field, words := range want {
			if msg, ok := e.Error.Fields[field]; !ok {
				t.Errorf("the error names no field %q", field)
			} else if !strings.Contains(msg, words) {
				t.Errorf("fields.%s = %q, want it to mention %q", field, msg, words)
			}
		}
		for field, msg := range e.Error.Fields {
			if _, ok := want[field]; !ok {
				t.Errorf("the error names %s too: %q", field, msg)
			}
		}
	}
}

// settingsOf reads a shop's settings as the member named as.
func settingsOf(t testing.TB, sr scenarioRunner, as string) vendor.Settings {
	t.Helper()
	var s vendor.Settings
	sr.send(t, scenario{as: as, method: "GET", path: settingsPath, wantStatus: http.StatusOK}).decode(t, &s)
	return s
}

// defaultSettings are a newly provisioned shop's.
func defaultSettings(name string) vendor.Settings {
	return vendor.Settings{Name: name, DefaultLanguage: "fr", EnabledLanguages: []string{"fr", "de", "en"}, Currency: "EUR"}
}

func sameSettings(t testing.TB, what string, got, want vendor.Settings) {
	t.Helper()
	if got.Name != want.Name || got.BusinessEmail != want.BusinessEmail || got.BusinessPhone != want.BusinessPhone ||
		got.BusinessAddress != want.BusinessAddress || got.BusinessCity != want.BusinessCity ||
		got.BusinessPostalCode != want.BusinessPostalCode || got.BusinessCountry != want.BusinessCountry ||
		got.DefaultLanguage != want.DefaultLanguage || !slices.Equal(got.EnabledLanguages, want.EnabledLanguages) ||
		got.Currency != want.Currency || !maps.Equal(got.ThemeConfig.Colors, want.ThemeConfig.Colors) ||
		got.ThemeConfig.LogoURL != want.ThemeConfig.LogoURL || got.ThemeConfig.Font != want.ThemeConfig.Font {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// TestSettings: an Owner reads a new shop's defaults, changes them, reads
// them back; a second shop never moves; the shop's name is new on its pages
// through the tenant caches' notification; the change is in the platform's
// trail and the shop's.
func TestSettings(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)
	sh := newTeamShop(t, ts, "settings")
	for _, role := range []string{"owner", "manager", "editor", "viewer"} {
		sh.add(t, ts, role, role)
	}
	other := newTeamShop(t, ts, "settings-other")
	other.add(t, ts, "owner", "owner")
	run := sh.scenarios(ts)

	sameSettings(t, "a new shop", settingsOf(t, run, "owner"), defaultSettings(sh.tn.Name))
	// The shop's pages show its name from the tenant cache, filled now.
	run.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/auth/me", wantStatus: http.StatusOK, want: []string{sh.tn.Name}})
	run.send(t, scenario{method: "GET", path: "/", wantStatus: http.StatusOK, want: []string{sh.tn.Name}})

	const newName = `Atelier "Neuf" & Fils`
	theme := map[string]any{
		"colors":   map[string]any{"primary": "#1A73E8", "secondary": "#333", "accent": "#ff6600", "background": "#ffffff", "text": "#222222"},
		"logo_url": "https://cdn.example/atelier/logo.svg",
		"font":     "serif",
	}
	want := defaultSettings(newName)
	want.EnabledLanguages, want.DefaultLanguage, want.Currency = []string{"lb", "fr", "de"}, "lb", "CHF"
	want.BusinessEmail, want.BusinessPhone, want.BusinessCountry = "hello@atelier.lu", "+352 26 12 34 56", "LU"
	want.ThemeConfig = vendor.Theme{
		Colors:  map[string]string{"primary": "#1a73e8", "secondary": "#333", "accent": "#ff6600", "background": "#ffffff", "text": "#222222"},
		LogoURL: "https://cdn.example/atelier/logo.svg", Font: "serif",
	}
	var requestID string
	run.run(t, true, []scenario{
		{name: "OwnerUpdates", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusOK,
			body: map[string]any{
				"name": "  " + newName + " ", "enabled_languages": []string{"lb", "fr", "de"}, "default_language": "lb", "currency": "CHF",
				"business_email": "hello@atelier.lu", "business_phone": "+352 26 12 34 56", "business_country": "LU", "theme_config": theme,
			},
			check: func(t testing.TB, r *resp) {
				var got vendor.Settings
				r.decode(t, &got)
				sameSettings(t, "the answer", got, want)
				requestID = r.header.Get("X-Request-ID")
			}},
		{name: "OwnerReadsThemBack", as: "owner", method: "GET", path: settingsPath, wantStatus: http.StatusOK,
			check: func(t testing.TB, r *resp) {
				var got vendor.Settings
				r.decode(t, &got)
				sameSettings(t, "read back", got, want)
			}},
	})
	if t.Failed() {
		return
	}

	t.Run("OtherShopUntouched", func(t *testing.T) {
		sameSettings(t, "the other shop", settingsOf(t, other.scenarios(ts), "owner"), defaultSettings(other.tn.Name))
	})

	// The resolver's TTL is an hour: only the notification sent with the
	// change can make the cached tenant show the new name. It arrives
	// asynchronously, through the instance's listening session, so it is
	// waited for (briefly).
	t.Run("TenantCacheSeesTheNewName", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := ts.do(t, req{method: "GET", host: sh.host, path: "/api/v1/auth/me", token: sh.members["owner"].token})
			var me struct {
				Vendor struct {
					Name string `json:"name"`
				} `json:"vendor"`
			}
			r.decode(t, &me)
			if me.Vendor.Name == newName {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /api/v1/auth/me still shows %q, want %q", me.Vendor.Name, newName)
			}
			time.Sleep(10 * time.Millisecond)
		}
		run.send(t, scenario{method: "GET", path: "/", wantStatus: http.StatusOK,
			want: []string{html.EscapeString(newName)}, wantNot: []string{sh.tn.Name}})
	})

	t.Run("PlatformTrail", func(t *testing.T) {
		evs, err := db.Platform().AuditEvent.Query().
			Where(platformaudit.Action(vendor.SettingsAction), platformaudit.VendorID(sh.tn.ID)).All(context.Background())
		if err != nil || len(evs) != 1 {
			t.Fatalf("platform events %v, %v; want one", evs, err)
		}
		e := evs[0]
		if e.ActorID == nil || *e.ActorID != sh.members["owner"].userID || e.ActorEmail != sh.members["owner"].email ||
			e.RequestID != requestID || e.IP == "" || e.TargetType != "vendor" {
			t.Errorf("platform event %+v (request %s)", e, requestID)
		}
		if e.Before["name"] != sh.tn.Name || e.After["name"] != newName || e.Before["currency"] != "EUR" || e.After["currency"] != "CHF" ||
			e.Before["default_language"] != "fr" || e.After["default_language"] != "lb" || e.After["theme_config"] == nil {
			t.Errorf("before %v, after %v", e.Before, e.After)
		}
		for _, unchanged := range []string{"business_address", "business_city", "business_postal_code"} {
			if _, ok := e.After[unchanged]; ok {
				t.Errorf("%s did not change but is recorded", unchanged)
			}
		}
	})

	t.Run("ShopTrail", func(t *testing.T) {
		var trail struct {
			Items []struct {
				Action     string         `json:"action"`
				ActorEmail string         `json:"actor_email"`
				Before     map[string]any `json:"before"`
				After      map[string]any `json:"after"`
				RequestID  string         `json:"request_id"`
			} `json:"items"`
		}
		run.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/audit", wantStatus: http.StatusOK}).decode(t, &trail)
		found := 0
		for _, e := range trail.Items {
			if e.Action != vendor.SettingsAction {
				continue
			}
			found++
			if e.RequestID != requestID || e.ActorEmail != sh.members["owner"].email ||
				e.Before["name"] != sh.tn.Name || e.After["name"] != newName || e.After["enabled_languages"] == nil {
				t.Errorf("shop event %+v", e)
			}
		}
		if found != 1 {
			t.Errorf("%d settings events in the shop's trail, want 1", found)
		}
		var otherTrail struct {
			Items []struct {
				Action string `json:"action"`
			} `json:"items"`
		}
		other.scenarios(ts).send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/audit", wantStatus: http.StatusOK}).decode(t, &otherTrail)
		for _, e := range otherTrail.Items {
			if e.Action == vendor.SettingsAction {
				t.Error("the other shop's trail holds the change")
			}
		}
	})

	// A PUT keeps what it leaves out; a theme given replaces the whole theme.
	t.Run("PartialUpdate", func(t *testing.T) {
		run.send(t, scenario{as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusOK,
			body: map[string]any{"business_city": "Esch-sur-Alzette", "theme_config": map[string]any{"font": "monospace"}}})
		want.BusinessCity, want.ThemeConfig = "Esch-sur-Alzette", vendor.Theme{Font: "monospace"}
		sameSettings(t, "after a partial update", settingsOf(t, run, "owner"), want)
		// The document GET answers is what PUT takes, unchanged.
		run.send(t, scenario{as: "owner", method: "PUT", path: settingsPath, body: settingsOf(t, run, "owner"), wantStatus: http.StatusOK})
		sameSettings(t, "after putting back what GET answered", settingsOf(t, run, "owner"), want)
	})
}

// TestSettingsRefusals: every bad field named at once, each bad logo
// address, a bad name; nothing written; only an Owner (settings.edit) may.
func TestSettingsRefusals(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)
	sh := newTeamShop(t, ts, "settings-bad")
	for _, role := range []string{"owner", "manager", "editor", "viewer"} {
		sh.add(t, ts, role, role)
	}
	run := sh.scenarios(ts)
	good := map[string]any{"name": "Fine"}

	cases := []scenario{
		{name: "EveryBadFieldAtOnce", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusBadRequest, wantCode: "invalid",
			body: map[string]any{
				"name":              strings.Repeat("n", 201),
				"business_email":    "not-an-email",
				"business_country":  "Luxembourg",
				"enabled_languages": []string{"fr", "de", "fr", "xx", "english"},
				"default_language":  "it",
				"currency":          "euro",
				"theme_config": map[string]any{
					"colors":   map[string]any{"primary": "#12345g", "secondary": "blue", "accent": "#abc", "shadow": "#000"},
					"logo_url": "http://cdn.example/logo.png",
					"font":     "Comic Sans MS",
					"favicon":  "https://cdn.example/favicon.ico",
				},
			},
			check: wantFieldsOnly(map[string]string{
				"name":                          "at most 200",
				"business_email":                "name@example.com",
				"business_country":              "ISO 3166-1",
				"enabled_languages[2]":          "already enabled_languages[0]",
				"enabled_languages[3]":          "ISO 639-1",
				"enabled_languages[4]":          "ISO 639-1",
				"default_language":              "one of enabled_languages (fr, de)",
				"currency":                      "ISO 4217",
				"theme_config.colors.primary":   "hex colour",
				"theme_config.colors.secondary": "hex colour",
				"theme_config.colors.shadow":    "not a theme colour",
				"theme_config.logo_url":         "https",
				"theme_config.font":             "one of system",
				"theme_config.favicon":          "not a theme setting",
			})},
		{name: "LogoWithCredentials", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusBadRequest,
			body:  map[string]any{"theme_config": map[string]any{"logo_url": "https://user:pass@cdn.example/logo.png"}},
			check: wantFieldsOnly(map[string]string{"theme_config.logo_url": "user name or password"})},
		{name: "LogoJavaScript", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusBadRequest,
			body:  map[string]any{"theme_config": map[string]any{"logo_url": "javascript:alert(document.cookie)"}},
			check: wantFieldsOnly(map[string]string{"theme_config.logo_url": "not javascript:"})},
		{name: "LogoTooLong", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusBadRequest,
			body:  map[string]any{"theme_config": map[string]any{"logo_url": "https://cdn.example/" + strings.Repeat("a", 2048)}},
			check: wantFieldsOnly(map[string]string{"theme_config.logo_url": "2048"})},
		{name: "NameEmpty", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusBadRequest,
			body: map[string]any{"name": " "}, check: wantFieldsOnly(map[string]string{"name": "is required"})},
		{name: "NoLanguage", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusBadRequest,
			body:  map[string]any{"enabled_languages": []string{}},
			check: wantFieldsOnly(map[string]string{"enabled_languages": "at least one", "default_language": "leaves out"})},
		{name: "ThemeNotAnObject", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusBadRequest,
			body: map[string]any{"theme_config": "dark"}, check: wantFieldsOnly(map[string]string{"theme_config": "object"})},
		{name: "UnknownTopLevelField", as: "owner", method: "PUT", path: settingsPath, wantStatus: http.StatusBadRequest,
			body: map[string]any{"name": "Fine", "slug": "elsewhere"}, check: wantField("slug", "not a known field")},

		{name: "ManagerMayNotRead", as: "manager", method: "GET", path: settingsPath, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "ManagerMayNotChange", as: "manager", method: "PUT", path: settingsPath, body: good, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "EditorMayNotRead", as: "editor", method: "GET", path: settingsPath, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "EditorMayNotChange", as: "editor", method: "PUT", path: settingsPath, body: good, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "ViewerMayNotRead", as: "viewer", method: "GET", path: settingsPath, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "ViewerMayNotChange", as: "viewer", method: "PUT", path: settingsPath, body: good, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "AnonymousMustSignIn", method: "GET", path: settingsPath, wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
		{name: "AnonymousMayNotChange", method: "PUT", path: settingsPath, body: good, wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
	}
	run.run(t, false, cases)

	t.Run("NothingWritten", func(t *testing.T) {
		sameSettings(t, "after the refusals", settingsOf(t, run, "owner"), defaultSettings(sh.tn.Name))
		n, err := db.Platform().AuditEvent.Query().
			Where(platformaudit.Action(vendor.SettingsAction), platformaudit.VendorID(sh.tn.ID)).Count(context.Background())
		if err != nil || n != 0 {
			t.Errorf("%d settings events after refusals only (%v)", n, err)
		}
	})
}

// TestSettingsThemePreview: the settings page's preview gets the colours
// shoppers will see — a yellow link on white moved until it reads, black
// text on the yellow button — or the theme's errors by JSON path, and
// nothing is saved either way.
func TestSettingsThemePreview(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	tn := tenanttest.Tenant(t, db, "preview")
	owner, _ := ts.member(t, tn, "owner")
	run := ts.scenarios(hostOf(tn), map[string]string{"owner": owner})
	const path = "/api/v1/settings/theme/preview"
	var out struct {
		Vars map[string]string `json:"vars"`
	}
	run.send(t, scenario{as: "owner", method: "POST", path: path, wantStatus: http.StatusOK,
		body: map[string]any{"theme_config": map[string]any{"colors": map[string]any{"primary": "#FF0", "background": "#ffffff"}, "font": "serif"}}}).decode(t, &out)
	if out.Vars["--primary"] != "#ffff00" || out.Vars["--on-primary"] != "#000000" || out.Vars["--link"] == "#ffff00" ||
		!strings.Contains(out.Vars["--font"], "serif") {
		t.Errorf("preview %v", out.Vars)
	}
	run.send(t, scenario{as: "owner", method: "POST", path: path, wantStatus: http.StatusBadRequest,
		body:  map[string]any{"theme_config": map[string]any{"colors": map[string]any{"primary": "#12"}, "font": "comic"}},
		check: wantFieldsOnly(map[string]string{"theme_config.colors.primary": "hex colour", "theme_config.font": "must be one of"})})
	sameSettings(t, "after previews", settingsOf(t, run, "owner"), defaultSettings(tn.Name))
}
