package web

import (
	"html"
	"html/template"
	"regexp"
	"slices"
	"strings"
)

// Letzshop descriptions "may hold simple HTML" (FORMAT.md). The shop shows
// that simple HTML as formatting and everything else as the text it is:
// the description is escaped whole, then only bare paragraph, line-break,
// emphasis and list tags — no attribute, so nothing that could run or
// load — are turned back into tags, balanced so that a tag the feed left
// open ends with the description and an end tag closes what opened inside
// it. A feed's <script> or <img onerror=…>
// stays visible text.

// feedTags are the tags kept, and whether each is empty (has no end tag).
var feedTags = map[string]bool{"p": false, "br": true, "b": false, "strong": false, "i": false, "em": false, "ul": false, "ol": false, "li": false}

// escapedTag matches a tag as html.EscapeString writes it: &lt;name&gt;,
// &lt;/name&gt; or &lt;name/&gt; (with optional spaces), case-insensitive.
var escapedTag = regexp.MustCompile(`(?i)&lt;(/?)\s*([a-z]+)\s*(/?)\s*&gt;`)

// feedHTML is description text as the product page shows it.
func feedHTML(s string) template.HTML {
	var b strings.Builder
	var open []string
	esc := html.EscapeString(s)
	last := 0
	for _, m := range escapedTag.FindAllStringSubmatchIndex(esc, -1) {
		closing := m[3] > m[2]
		name := strings.ToLower(esc[m[4]:m[5]])
		empty, known := feedTags[name]
		b.WriteString(esc[last:m[0]])
		last = m[1]
		switch {
		case !known:
			b.WriteString(esc[m[0]:m[1]])
		case empty:
			b.WriteString("<" + name + ">")
		case !closing:
			open = append(open, name)
			b.WriteString("<" + name + ">")
		case slices.Contains(open, name):
			// It ends the innermost open one, and what opened inside it.
			for {
				top := open[len(open)-1]
				open = open[:len(open)-1]
				b.WriteString("</" + top + ">")
				if top == name {
					break
				}
			}
		default: // an end tag that ends nothing open is text
			b.WriteString(esc[m[0]:m[1]])
		}
	}
	b.WriteString(esc[last:])
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString("</" + open[i] + ">")
	}
	return template.HTML(b.String()) //nolint:gosec // escaped whole; only attribute-less tags of feedTags are restored, balanced
}

// stripTags is description text without the simple tags feedHTML keeps
// (for a meta description or JSON-LD, which are text): the kept tags become
// spaces; anything else stays as written.
func stripTags(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(keptTag.ReplaceAllString(html.EscapeString(s), " "))), " ")
}

// keptTag matches an escaped tag of feedTags.
var keptTag = regexp.MustCompile(`(?i)&lt;/?\s*(?:p|br|b|strong|i|em|ul|ol|li)\s*/?\s*&gt;`)
