// Package page is the one shape of every listing: a page of items and an
// opaque cursor to the next one, a limit held within the list's bounds, and
// the codec of cursors. Lists are keyset-paginated (a cursor is the position
// of the last row a page held, never an offset), so pages neither skip nor
// repeat rows when rows are added meanwhile.
//
// A cursor travels through the client, so it is input like any other: a list
// decodes one into its own position type and checks it in type and value
// before it reaches a query. Anything it did not return — forged, from
// another list, from an older format — is a validation error naming
// "cursor", never a 500.
package page

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/bazaar/bazaar/internal/fault"
)

// Page is one page of a listing. Items is never null; NextCursor is empty on
// the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Request is what a client asks of a listing.
type Request struct {
	Limit  int    // 1..the list's Max; 0 asks for its Default
	Cursor string // a NextCursor the list returned; "" for the first page
}

// Bounds are a list's page sizes.
type Bounds struct {
	Default, Max int
}

// The fields a paging problem is named by, and what is said of a cursor
// that is not one.
const (
	LimitField    = "limit"
	CursorField   = "cursor"
	CursorProblem = "is not a cursor this listing returned"
)

// Problem says what a limit must be.
func (b Bounds) Problem() string {
	return fmt.Sprintf("must be a whole number between 1 and %d", b.Max)
}

// Size is the page size limit asks for: Default for 0; outside 1..Max it
// adds the problem to bad (for the list to report with its own) and returns
// Default.
func (b Bounds) Size(limit int, bad map[string]string) int {
	switch {
	case limit == 0:
		return b.Default
	case limit < 1 || limit > b.Max:
		bad[LimitField] = b.Problem()
		return b.Default
	}
	return limit
}

// Invalid is the error of a list's bad paging (or filter) parameters, each
// named; nil when bad is empty.
func Invalid(bad map[string]string) error {
	return fault.Fields("invalid listing parameters", bad)
}

// Encode makes an opaque cursor of a list's position v: base64url (no
// padding) of its JSON.
func Encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Positions are structs of numbers and strings the list made itself.
		panic(fmt.Sprintf("page: encode cursor %T: %v", v, err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads cursor s into the list's position v (a pointer to a struct)
// and reports whether it could: base64url JSON of exactly v's shape — no
// unknown field, no trailing data, every value of its field's type. The list
// then checks the values.
func Decode(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(v) != nil {
		return false
	}
	_, err = dec.Token()
	return errors.Is(err, io.EOF) // nothing but white space may follow
}

// Of makes a page from rows read with limit+1: at most limit items, each
// made by view, and when the extra row came, a cursor to what follows the
// last item (made by next from its row).
func Of[R, T any](rows []R, limit int, view func(R) T, next func(last R) string) Page[T] {
	p := Page[T]{Items: make([]T, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			p.NextCursor = next(rows[i-1])
			break
		}
		p.Items = append(p.Items, view(r))
	}
	return p
}

// ByID is a list ordered by id alone (ascending or descending; the list
// orders, ByID only reads and writes its cursors).
type ByID struct {
	// List names the list in each of its cursors, so that another list's
	// cursor is refused rather than read as a position here. Lists within
	// one parent (an import's reports) include the parent.
	List   string
	Bounds Bounds
}

// idPosition is where a ByID page ended.
type idPosition struct {
	List string `json:"l"`
	ID   int    `json:"i"`
}

// Start reads r: the page size, and the id the previous page ended on (0 for
// the first page). A bad limit or cursor is added to bad, named, for the list
// to report with its own problems (Invalid).
func (l ByID) Start(r Request, bad map[string]string) (limit, after int) {
	limit = l.Bounds.Size(r.Limit, bad)
	if r.Cursor != "" {
		var p idPosition
		if Decode(r.Cursor, &p) && p.List == l.List && p.ID > 0 {
			after = p.ID
		} else {
			bad[CursorField] = CursorProblem
		}
	}
	return limit, after
}

// Cursor is the cursor of a page that ended on the row id.
func (l ByID) Cursor(id int) string {
	return Encode(idPosition{List: l.List, ID: id})
}
