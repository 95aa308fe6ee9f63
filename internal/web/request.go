package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
)

// Request readers: what every handler uses to read its path id, its JSON
// body and its query string. The text itself was checked before (checkQuery,
// and jsonTextProblems here); these read values and name each bad one.

// idParam reads the path's :id, a positive whole number.
func idParam(c *fiber.Ctx) (int, error) {
	id, err := strconv.Atoi(c.Params("id"))
	if err != nil || id <= 0 {
		return 0, fault.Fields("invalid id", map[string]string{"id": "must be a positive whole number"})
	}
	return id, nil
}

// bind decodes a JSON body into v, refusing unknown fields and trailing data
// with a message that says what is wrong, and then any string in it, at any
// depth, that is not text the database can take (jsonTextProblems).
func bind(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return fault.New(fault.Invalid, "a JSON body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return fault.Fields("the JSON body has a field of the wrong type", map[string]string{te.Field: "must be " + te.Type.String()})
		case errors.As(err, &se):
			return fault.New(fault.Invalid, "the body is not valid JSON (at byte %d)", se.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return fault.Fields("the JSON body has an unknown field", map[string]string{field: "is not a known field"})
		}
		return fault.New(fault.Invalid, "the body is not valid JSON")
	}
	if dec.More() {
		return fault.New(fault.Invalid, "the body has data after its JSON value")
	}
	return fault.Fields("the JSON body has text that cannot be accepted", jsonTextProblems(body, limitsOf(c).maxJSONString()))
}

// Query readers: each bad value is named in bad.

func queryBool(c *fiber.Ctx, name string, bad map[string]string) *bool {
	v := c.Query(name)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		bad[name] = "must be true or false"
		return nil
	}
	return &b
}

func queryInt(c *fiber.Ctx, name string, bad map[string]string) int {
	v := c.Query(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		bad[name] = "must be a whole number"
	}
	return n
}

func queryInt64(c *fiber.Ctx, name string, bad map[string]string) *int64 {
	v := c.Query(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		bad[name] = "must be a whole number of cents"
		return nil
	}
	return &n
}

// pageRequest reads a listing's paging parameters, the same for every list:
// limit, a whole number within the list's bounds (absent: its default), and
// cursor, opaque here (the list decodes it and checks what it holds).
//
// retired names the paging parameters the list read before cursors
// (?before=, ?after=): a client still sending one is refused, naming it,
// rather than silently handed the first page again.
func pageRequest(c *fiber.Ctx, b page.Bounds, bad map[string]string, retired ...string) page.Request {
	for _, name := range retired {
		if c.Query(name) != "" {
			bad[name] = "is no longer a paging parameter: pass the next_cursor of the previous page as cursor"
		}
	}
	r := page.Request{Cursor: c.Query(page.CursorField)}
	if v := c.Query(page.LimitField); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > b.Max {
			bad[page.LimitField] = b.Problem()
		} else {
			r.Limit = n
		}
	}
	return r
}

// reason is the body of a status change (suspend, resume, deactivate,
// reactivate): why, for the audit trail.
type reason struct {
	Reason string `json:"reason"`
}

// idAndReason reads a status change: the path's id and the body's reason
// (the body may be left out when the reason is optional).
func idAndReason(c *fiber.Ctx, optional bool) (int, string, error) {
	id, err := idParam(c)
	if err != nil {
		return 0, "", err
	}
	var in reason
	if !optional || len(c.Body()) > 0 {
		if err := bind(c, &in); err != nil {
			return 0, "", err
		}
	}
	return id, in.Reason, nil
}
