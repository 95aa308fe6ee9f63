package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
)

// Text from outside — query strings, JSON bodies — is checked here, once, at
// the edge, before any of it can reach a query: PostgreSQL refuses a NUL
// byte and invalid UTF-8 in text (an ERROR, which used to surface as a 500),
// and nothing should carry a value of unbounded length into a lookup. A
// refusal is a 400 naming every bad field. Path parameters are ids parsed as
// numbers (idParam); tokens from cookies and bodies are hashed before they
// are looked up; the host and the /vendor/<slug> prefix are validated by
// site resolution.

// InputLimits bound the text a request may carry (config http.max_*).
type InputLimits struct {
	// MaxQueryValue is the longest query-string key or value, in bytes.
	MaxQueryValue int
	// MaxJSONString is the longest string of a JSON body, value or object
	// key, in bytes (after unescaping).
	MaxJSONString int
	// MaxUserAgent is the longest User-Agent recorded with a session, in
	// bytes; a longer one is cut.
	MaxUserAgent int
}

// Defaults for limits left at zero.
const (
	DefaultMaxQueryValue = 1024
	DefaultMaxJSONString = 65536
	DefaultMaxUserAgent  = 512
	// maxReported bounds how many bad fields one answer lists, so a body of
	// a million bad strings does not get a million-line answer.
	maxReported = 50
)

func (l InputLimits) maxQueryValue() int {
	if l.MaxQueryValue > 0 {
		return l.MaxQueryValue
	}
	return DefaultMaxQueryValue
}

func (l InputLimits) maxJSONString() int {
	if l.MaxJSONString > 0 {
		return l.MaxJSONString
	}
	return DefaultMaxJSONString
}

func (l InputLimits) maxUserAgent() int {
	if l.MaxUserAgent > 0 {
		return l.MaxUserAgent
	}
	return DefaultMaxUserAgent
}

// textProblem says what is wrong with s as text for the database (raw is
// its bytes as received, when they differ, as in an escaped JSON string), or
// "" when nothing is.
func textProblem(s string, raw []byte, max int) string {
	switch {
	case len(s) > max:
		return fmt.Sprintf("must be at most %d bytes long", max)
	case raw != nil && !utf8.Valid(raw), raw == nil && !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain a NUL character"
	}
	return ""
}

// fieldName is how an answer names a key that may itself be hostile: as is
// when it is plain text, otherwise Go-escaped (x\x00y), and cut short.
func fieldName(key string) string {
	const max = 64
	if !utf8.ValidString(key) || strings.ContainsFunc(key, func(r rune) bool { return !strconv.IsPrint(r) }) {
		key = strconv.Quote(key)
		key = key[1 : len(key)-1]
	}
	if len(key) > max {
		key = cut(key, max) + "…"
	}
	return key
}

// cut shortens valid UTF-8 s to at most max bytes without splitting a
// character.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

// recordedHeader makes a header value that is only recorded (a session's
// User-Agent) into text the database takes — invalid bytes replaced, NULs
// dropped, cut to max bytes — rather than refusing the request: a client
// cannot be asked to fix its own User-Agent.
func recordedHeader(v string, max int) string {
	return strings.Clone(cut(strings.ToValidUTF8(strings.ReplaceAll(v, "\x00", ""), "\uFFFD"), max))
}

const limitsKey = "bazaar.input_limits"

// checkQuery refuses a request whose query string has a key or value that
// is not text the database can take, naming each, and leaves the limits for
// bind. It runs for every site, before site resolution.
func (s *server) checkQuery(c *fiber.Ctx) error {
	limits := s.opts.Input
	c.Locals(limitsKey, limits)
	max := limits.maxQueryValue()
	bad := map[string]string{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if len(bad) >= maxReported {
			return
		}
		name := fieldName(string(k))
		if p := textProblem(string(k), nil, max); p != "" {
			bad[name] = "is not an acceptable parameter name: it " + p
		} else if p := textProblem(string(v), nil, max); p != "" {
			bad[name] = p
		}
	})
	if err := fault.Fields("invalid query string", bad); err != nil {
		return err
	}
	return c.Next()
}

func limitsOf(c *fiber.Ctx) InputLimits {
	l, _ := c.Locals(limitsKey).(InputLimits)
	return l
}

// jsonTextProblems names every string of the JSON document body — values
// and object keys, at any depth — that textProblem refuses, by its path:
// title.fr, images[1], feeds[0].url. bind has decoded the document already,
// so it is valid JSON within encoding/json's nesting limit. Invalid UTF-8 is
// looked for in each string's bytes as received: the decoder replaces it
// quietly.
func jsonTextProblems(body []byte, max int) map[string]string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	w := jsonWalk{dec: dec, body: body, max: max, bad: map[string]string{}}
	_ = w.value("") // an error only ends the walk early: what was found stands
	return w.bad
}

type jsonWalk struct {
	dec  *json.Decoder
	body []byte
	max  int
	bad  map[string]string
}

var errEnough = errors.New("enough bad fields")

// token reads the next token and the bytes it came from.
func (w *jsonWalk) token() (json.Token, []byte, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	return tok, w.body[start:w.dec.InputOffset()], err
}

// value walks one JSON value found at path.
func (w *jsonWalk) value(path string) error {
	tok, raw, err := w.token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case string:
		if _, named := w.bad[path]; !named { // a bad key is named already
			if p := textProblem(t, raw, w.max); p != "" {
				w.bad[path] = p
			}
		}
	case json.Delim: // '{' or '[': the walk reads up to its closing one
		for i := 0; w.dec.More(); i++ {
			if len(w.bad) >= maxReported {
				return errEnough
			}
			elem := fmt.Sprintf("%s[%d]", path, i)
			if t == '{' {
				k, raw, err := w.token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if elem = fieldName(key); path != "" {
					elem = path + "." + elem
				}
				if p := textProblem(key, raw, w.max); p != "" {
					w.bad[elem] = "is not an acceptable key: it " + p
				}
			}
			if err := w.value(elem); err != nil {
				return err
			}
		}
		_, _, err = w.token()
		return err
	}
	return nil
}
