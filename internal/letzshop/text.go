package letzshop

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Text from a feed is checked here, once: a file is UTF-8 or refused whole
// (encodingError), a cell holding NUL is refused with its row, a value
// quoted in a reason is bounded (quote), and a refused row's raw text is
// made storable before it is kept (Excerpt).

// encodingError refuses a file at the first byte of raw (a record starting
// on line) that is not UTF-8. Detecting another encoding is guesswork (a
// Windows-1252 and an ISO-8859-15 file differ on the euro sign), so the
// file is not converted: the vendor is told where, which byte, what it
// would be in the likeliest encoding, and to save the file as UTF-8.
func encodingError(raw string, line, column int) *FileError {
	at := firstInvalid(raw)
	if at < 0 {
		return nil
	}
	b := raw[at]
	hint := ""
	if r := charmap.Windows1252.DecodeByte(b); r != utf8.RuneError && unicode.IsPrint(r) {
		hint = fmt.Sprintf(", %q if the file is Windows-1252/Latin-1", string(r))
	}
	return &FileError{Line: line + strings.Count(raw[:at], "\n"), Column: column,
		Reason: fmt.Sprintf("the file is not UTF-8 text (byte 0x%02X%s); save or export it as UTF-8 and import it again", b, hint)}
}

// firstInvalid is the offset of the first byte of s that is not UTF-8, -1
// when there is none.
func firstInvalid(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// maxQuoted bounds, in characters, a cell's value quoted in a reason.
const maxQuoted = 40

// quote quotes a cell's value for a reason: escaped like %q, and cut to
// maxQuoted characters (a cell may be a megabyte; its reason is stored).
func quote(v string) string {
	n := 0
	for i := range v {
		if n == maxQuoted {
			return strconv.Quote(v[:i] + "…")
		}
		n++
	}
	return strconv.Quote(v)
}

// Excerpt makes raw feed text storable and says what it did: a byte that is
// not UTF-8, and NUL (which PostgreSQL text cannot hold), is written \xNN,
// and the text is cut on a character — never inside an \xNN — to at most max
// bytes. note is empty when the text is kept as it was.
func Excerpt(raw string, max int) (text, note string) {
	var b strings.Builder
	b.Grow(min(len(raw), max))
	escaped, i := false, 0
	for i < len(raw) {
		r, size := utf8.DecodeRuneInString(raw[i:])
		unit := raw[i : i+size]
		if r == 0 || r == utf8.RuneError && size == 1 {
			unit = fmt.Sprintf(`\x%02X`, raw[i])
		}
		if b.Len()+len(unit) > max {
			break
		}
		escaped = escaped || len(unit) != size
		b.WriteString(unit)
		i += size
	}
	var notes []string
	if escaped {
		notes = append(notes, `bytes that are not UTF-8 text (or NUL) are shown as \xNN`)
	}
	if i < len(raw) {
		notes = append(notes, fmt.Sprintf("cut to its first %d bytes of %d", i, len(raw)))
	}
	return b.String(), strings.Join(notes, "; ")
}
