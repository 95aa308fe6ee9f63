package vendor

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Theme is a shop's look, stored in its registry row's theme_config and read
// by the shop front. Every part is optional: what a shop leaves out, the
// shop front's own style decides.
type Theme struct {
	// Colors maps a key of ColorKeys to a hex colour, "#rgb" or "#rrggbb",
	// stored in lower case.
	Colors map[string]string `json:"colors,omitempty"`
	// LogoURL is an absolute https URL of the shop's logo, at most
	// MaxLogoURL bytes, without credentials.
	LogoURL string `json:"logo_url,omitempty"`
	// Font is the Key of one of Fonts.
	Font string `json:"font,omitempty"`
}

// ColorKeys are the colours a theme may set, in the order the settings form
// shows them: primary (buttons, links, the header), secondary (secondary
// buttons, hovers), accent (badges, sale prices, highlights), background
// (the page) and text (body text).
var ColorKeys = []string{"primary", "secondary", "accent", "background", "text"}

// themeKeys are theme_config's keys.
var themeKeys = []string{"colors", "logo_url", "font"}

// MaxLogoURL bounds the logo's address, in bytes.
const MaxLogoURL = 2048

// Font is a typeface a shop may choose: the Key stored in theme_config.font,
// a Label for the settings form, and the CSS font-family Stack the shop front
// writes for it. Every stack names only typefaces that ship with common
// operating systems, falling back to a generic family: no font is ever
// downloaded, so the shop front sends no request to a font host (no
// shopper's address leaks to one) and its CSP needs no font source.
type Font struct {
	Key   string
	Label string
	Stack string
}

// DefaultFont is the font of a shop whose theme names none.
const DefaultFont = "system"

// Fonts are the fonts a shop may choose, DefaultFont first. The stacks
// follow modernfontstacks.com's families.
var Fonts = []Font{
	{"system", "System (the device's own)", `system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif`},
	{"humanist", "Humanist sans-serif", `Seravek, "Gill Sans Nova", Ubuntu, Calibri, "DejaVu Sans", source-sans-pro, sans-serif`},
	{"geometric", "Geometric sans-serif", `Avenir, Montserrat, Corbel, "URW Gothic", source-sans-pro, sans-serif`},
	{"rounded", "Rounded sans-serif", `ui-rounded, "Hiragino Maru Gothic ProN", Quicksand, Comfortaa, Manjari, "Arial Rounded MT", "Arial Rounded MT Bold", Calibri, source-sans-pro, sans-serif`},
	{"serif", "Old-style serif", `"Iowan Old Style", "Palatino Linotype", "URW Palladio L", P052, Georgia, serif`},
	{"transitional", "Transitional serif", `Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif`},
	{"monospace", "Monospace", `ui-monospace, "Cascadia Code", "Source Code Pro", Menlo, Consolas, "DejaVu Sans Mono", monospace`},
}

// FontStack is the CSS font-family stack of a font key; an unknown or empty
// key gets DefaultFont's.
func FontStack(key string) string {
	for _, f := range Fonts {
		if f.Key == key {
			return f.Stack
		}
	}
	return Fonts[0].Stack
}

func fontKeys() []string {
	keys := make([]string, len(Fonts))
	for i, f := range Fonts {
		keys[i] = f.Key
	}
	return keys
}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// parseTheme reads a theme_config document as a client sent it (any JSON),
// naming each bad part in bad by its JSON path under theme_config. An empty
// string for logo_url or font, like leaving it out, sets none.
func parseTheme(raw json.RawMessage, bad map[string]string) Theme {
	const at = "theme_config"
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		bad[at] = "must be an object with " + strings.Join(themeKeys, ", ")
		return Theme{}
	}
	var th Theme
	for _, k := range sortedKeys(doc) {
		v, path := doc[k], at+"."+k
		switch k {
		case "colors":
			th.Colors = parseColors(v, path, bad)
		case "logo_url":
			s, ok := v.(string)
			if !ok {
				bad[path] = "must be a string: an https URL"
			} else if msg := logoProblem(s); msg != "" {
				bad[path] = msg
			} else {
				th.LogoURL = s
			}
		case "font":
			s, ok := v.(string)
			switch {
			case ok && (s == "" || slices.Contains(fontKeys(), s)):
				th.Font = s
			default:
				bad[path] = "must be one of " + strings.Join(fontKeys(), ", ")
			}
		default:
			bad[path] = "is not a theme setting; known: " + strings.Join(themeKeys, ", ")
		}
	}
	return th
}

func parseColors(v any, at string, bad map[string]string) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		bad[at] = "must be an object of colours: " + strings.Join(ColorKeys, ", ")
		return nil
	}
	out := map[string]string{}
	for _, k := range sortedKeys(m) {
		path := at + "." + k
		if !slices.Contains(ColorKeys, k) {
			bad[path] = "is not a theme colour; known: " + strings.Join(ColorKeys, ", ")
			continue
		}
		s, ok := m[k].(string)
		if !ok || !hexColor.MatchString(s) {
			bad[path] = "must be a hex colour such as #1a2b3c or #abc"
			continue
		}
		out[k] = strings.ToLower(s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// logoProblem says what is wrong with a logo address, or "" when it is
// right: an absolute https URL naming a host, with no user name or
// password, in printable ASCII (non-ASCII percent-encoded), at most
// MaxLogoURL bytes. Shoppers' browsers load it, so a plain-http logo would
// make every page mixed content, and a javascript: or data: address is no
// image. "" is no logo.
func logoProblem(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > MaxLogoURL {
		return "must be at most 2048 bytes"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "must be printable ASCII without spaces or backslashes (percent-encode other characters)"
		}
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs():
		return "must be an absolute https URL"
	case u.Scheme != "https":
		return "must be an https URL (not " + u.Scheme + ":)"
	case u.Opaque != "" || u.Hostname() == "":
		return "must be an https URL naming a host"
	case u.User != nil:
		return "must not hold a user name or password"
	}
	return ""
}

// ThemeOf reads a stored theme_config (tenantdb.ShopSettings.Theme). Stored
// themes were checked when they were written; anything else in one is left
// out.
func ThemeOf(stored map[string]any) Theme {
	var th Theme
	if b, err := json.Marshal(stored); err == nil {
		_ = json.Unmarshal(b, &th)
	}
	return th
}

// stored is the theme as theme_config keeps it.
func (th Theme) stored() map[string]any {
	m := map[string]any{}
	if len(th.Colors) > 0 {
		c := make(map[string]any, len(th.Colors))
		for k, v := range th.Colors {
			c[k] = v
		}
		m["colors"] = c
	}
	if th.LogoURL != "" {
		m["logo_url"] = th.LogoURL
	}
	if th.Font != "" {
		m["font"] = th.Font
	}
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
