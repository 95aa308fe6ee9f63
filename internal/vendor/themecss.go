package vendor

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/bazaar/bazaar/internal/fault"
)

// Default colours of a shop whose theme leaves a colour out.
var defaultColors = map[string]string{
	"primary": "#0b5cad", "secondary": "#e8eef5", "accent": "#b3261e", "background": "#fafafa", "text": "#1d1d1f",
}

// minContrast is WCAG 2's AA contrast for body text (4.5), with a margin
// for the rounding of a colour to 8 bits a channel.
const minContrast = 4.6

// CSS is the theme as the shop front's stylesheet of CSS variables (the
// variables public/static/css/shop.css reads), from Vars.
func (th Theme) CSS() string {
	var b strings.Builder
	b.WriteString(":root{")
	for _, v := range th.Vars() {
		fmt.Fprintf(&b, "%s:%s;", v[0], v[1])
	}
	b.WriteString("}\n")
	return b.String()
}

// Vars are the theme's CSS variables, name and value, as the shop front
// uses them. A vendor picks colours; the shop must stay readable whatever
// they pick, so each colour is used only where it reaches AA contrast:
// text on a background it fails against is moved toward the text colour
// until it passes, and the text on a coloured button or header is black or
// white, whichever contrasts more (see onColor).
func (th Theme) Vars() [][2]string {
	color := func(k string) rgb {
		if v, ok := th.Colors[k]; ok {
			if c, ok := parseHex(v); ok {
				return c
			}
		}
		c, _ := parseHex(defaultColors[k])
		return c
	}
	bg, fg := color("background"), color("text")
	if contrast(fg, bg) < minContrast {
		fg = onColor(bg)
	}
	card := rgb{1, 1, 1}
	if luminance(bg) < 0.4 {
		card = mix(bg, rgb{1, 1, 1}, 0.08)
	}
	if contrast(fg, card) < minContrast {
		card = bg
	}
	surfaces := []rgb{bg, card}
	primary, secondary := color("primary"), color("secondary")
	red, _ := parseHex("#b3261e")
	green, _ := parseHex("#1e6b34")
	return [][2]string{
		{"--primary", primary.hex()}, {"--on-primary", onColor(primary).hex()},
		{"--secondary", secondary.hex()}, {"--on-secondary", onColor(secondary).hex()},
		{"--link", readable(primary, fg, surfaces).hex()},
		{"--accent", readable(color("accent"), fg, surfaces).hex()},
		{"--bg", bg.hex()}, {"--fg", fg.hex()}, {"--card", card.hex()},
		{"--muted", readable(mix(fg, bg, 0.35), fg, surfaces).hex()},
		{"--line", mix(fg, bg, 0.8).hex()},
		{"--error", readable(red, fg, surfaces).hex()},
		{"--ok", readable(green, fg, surfaces).hex()},
		{"--focus", "3px solid " + readable(primary, fg, surfaces).hex()},
		{"--font", FontStack(th.Font)},
	}
}

// PreviewTheme checks a theme_config document as UpdateSettings would —
// every bad part named by its JSON path — and answers the CSS variables the
// shop front would write for it, so the settings page can show the colours
// shoppers will see (adjusted for contrast) before anything is saved.
func PreviewTheme(raw json.RawMessage) (map[string]string, error) {
	bad := map[string]string{}
	th := parseTheme(raw, bad)
	if err := fault.Fields("invalid theme", bad); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, v := range th.Vars() {
		out[v[0]] = v[1]
	}
	return out, nil
}

type rgb struct{ r, g, b float64 } // 0..1, sRGB

func parseHex(s string) (rgb, bool) {
	if !hexColor.MatchString(s) {
		return rgb{}, false
	}
	s = s[1:]
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	n, _ := strconv.ParseUint(s, 16, 32)
	return rgb{float64(n>>16&0xff) / 255, float64(n>>8&0xff) / 255, float64(n&0xff) / 255}, true
}

func (c rgb) hex() string {
	ch := func(v float64) int { return int(math.Round(math.Max(0, math.Min(1, v)) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", ch(c.r), ch(c.g), ch(c.b))
}

// luminance is WCAG 2's relative luminance.
func luminance(c rgb) float64 {
	lin := func(v float64) float64 {
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is WCAG 2's contrast ratio of two colours, 1 to 21.
func contrast(a, b rgb) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func mix(a, b rgb, t float64) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

// onColor is the text colour for a surface of colour c: black or white,
// whichever contrasts more. One of the two always reaches 4.58:1 (the
// colour whose contrast with both is equal, luminance 0.179, is where
// neither can do better); any grey short of black would fall under 4.5 on
// some mid-tone surfaces.
func onColor(c rgb) rgb {
	black, white := rgb{0, 0, 0}, rgb{1, 1, 1}
	if contrast(black, c) >= contrast(white, c) {
		return black
	}
	return white
}

// readable is c moved toward fg, by the least step that gives it AA
// contrast on every surface. fg itself passes on them (CSS made sure), so
// the walk ends.
func readable(c, fg rgb, surfaces []rgb) rgb {
	for step := 0; step <= 20; step++ {
		m := mix(c, fg, float64(step)/20)
		ok := true
		for _, s := range surfaces {
			if contrast(m, s) < minContrast {
				ok = false
				break
			}
		}
		if ok {
			return m
		}
	}
	return fg
}
