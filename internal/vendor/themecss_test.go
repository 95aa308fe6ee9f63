package vendor

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// cssVars reads the variables of a theme stylesheet.
func cssVars(t *testing.T, css string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(--[a-z-]+):([^;]+);`).FindAllStringSubmatch(css, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func mustHex(t *testing.T, s string) rgb {
	t.Helper()
	c, ok := parseHex(strings.TrimPrefix(s, "3px solid "))
	if !ok {
		t.Fatalf("not a colour: %q", s)
	}
	return c
}

// TestThemeTextIsAlwaysReadable: whatever colours a vendor picks, every
// text colour the shop front uses reaches WCAG AA (4.5:1) against the
// surfaces it is written on.
func TestThemeTextIsAlwaysReadable(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	hex := func() string { return fmt.Sprintf("#%06x", rnd.IntN(1<<24)) }
	themes := []Theme{
		{},
		{Colors: map[string]string{"background": "#ffffff", "text": "#eeeeee", "primary": "#ffff00", "accent": "#ffe000"}}, // all too light
		{Colors: map[string]string{"background": "#000000", "text": "#111111", "primary": "#000080", "accent": "#330000"}}, // all too dark
		{Colors: map[string]string{"background": "#777777", "text": "#888888"}},                                            // mid-grey on mid-grey
	}
	for range 500 {
		themes = append(themes, Theme{Colors: map[string]string{"background": hex(), "text": hex(), "primary": hex(), "secondary": hex(), "accent": hex()}})
	}
	pairs := [][2]string{
		{"--fg", "--bg"}, {"--fg", "--card"}, {"--muted", "--bg"}, {"--muted", "--card"}, {"--link", "--bg"}, {"--link", "--card"},
		{"--accent", "--bg"}, {"--accent", "--card"}, {"--error", "--card"}, {"--ok", "--card"},
		{"--on-primary", "--primary"}, {"--on-secondary", "--secondary"},
	}
	for _, th := range themes {
		v := cssVars(t, th.CSS())
		for _, p := range pairs {
			if c := contrast(mustHex(t, v[p[0]]), mustHex(t, v[p[1]])); c < 4.5 {
				t.Errorf("theme %v: %s %s on %s %s is %.2f:1, under 4.5", th.Colors, p[0], v[p[0]], p[1], v[p[1]], c)
			}
		}
	}
}

func TestThemeKeepsReadableChoices(t *testing.T) {
	v := cssVars(t, Theme{Colors: map[string]string{"primary": "#2e7d32", "text": "#222222"}, Font: "serif"}.CSS())
	if v["--primary"] != "#2e7d32" || v["--link"] != "#2e7d32" || v["--fg"] != "#222222" || v["--on-primary"] != "#ffffff" {
		t.Errorf("a readable theme was changed: %v", v)
	}
	if !strings.Contains(v["--font"], "Georgia") {
		t.Errorf("font %q, want the serif stack", v["--font"])
	}
}
