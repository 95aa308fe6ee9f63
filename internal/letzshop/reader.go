// Package letzshop reads Letzshop product feeds: CSV files, one per
// language, in Google Merchant Center columns plus the marketplace's own
// (`atalanda:` or `letzshop:` prefixed). It is liberal in what it reads —
// a byte-order mark, tab, comma or semicolon delimiters, RFC 4180 quoting,
// LF or CRLF, `g:` prefixes, both spellings of availability, comma
// decimals — and precise in what it reports: every refused row says its line,
// column and reason, and keeps its raw text. It reads a record at a time, so
// memory stays flat whatever the file's size.
package letzshop

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Options bound a Reader.
type Options struct {
	// MaxRecordBytes bounds one record (a line, or several when a quoted
	// field holds newlines). A longer one stops the file with an error
	// naming its line: no memory is spent on it. Default 1 MiB.
	MaxRecordBytes int
	// DefaultCurrency is used for bare prices ("24.90"). Default EUR.
	DefaultCurrency string
	// CallerChecksDuplicates turns off the reader's check for an id repeated
	// within the file, which remembers every id read (tens of bytes per row).
	// The importer checks in the database instead, so its memory stays flat
	// however long the file.
	CallerChecksDuplicates bool
}

// Field is one cell with its column's normalized name.
type Field struct {
	Name  string
	Value string
}

// Record is one product (or variant) line.
type Record struct {
	Line   int     // the line the record starts on (the header is line 1)
	Fields []Field // every column in file order, unknown ones and repeats included
	Item   Item    // the normalized product
	Raw    string  // the record as it was in the file, without its line ending
}

// Problem is what is wrong with one cell of a row.
type Problem struct {
	Column int    // 1-based
	Field  string // normalized column name
	Reason string
}

// RowError refuses one row; the rest of the file is still read.
type RowError struct {
	Line     int
	Problems []Problem
	Raw      string
}

func (e *RowError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		switch {
		case p.Column == 0:
			parts[i] = fmt.Sprintf("%s: %s", p.Field, p.Reason)
		case p.Field == "":
			parts[i] = fmt.Sprintf("column %d: %s", p.Column, p.Reason)
		default:
			parts[i] = fmt.Sprintf("column %d (%s): %s", p.Column, p.Field, p.Reason)
		}
	}
	return fmt.Sprintf("line %d: %s", e.Line, strings.Join(parts, "; "))
}

// FileError stops the file: what came before it was read, nothing after.
type FileError struct {
	Line   int // 0 when the problem is not at a line
	Column int // 0 when not at a column
	Reason string
}

func (e *FileError) Error() string {
	switch {
	case e.Line == 0:
		return e.Reason
	case e.Column == 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Reason)
}

// Reader reads a feed record by record.
type Reader struct {
	o      Options
	src    *recordingReader
	csv    *csv.Reader
	header []string
	col    map[string]int // first column of each normalized name
	seen   map[string]int // id → line, for duplicates within the file
	line   int            // the line the next record starts on
	done   bool
}

// NewReader reads and checks the header: it must name at least id and title.
func NewReader(r io.Reader, o Options) (*Reader, error) {
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = 1 << 20
	}
	if o.DefaultCurrency == "" {
		o.DefaultCurrency = "EUR"
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	} else if bom, err := br.Peek(2); err == nil && (bom[0] == 0xFF && bom[1] == 0xFE || bom[0] == 0xFE && bom[1] == 0xFF) {
		return nil, &FileError{Line: 1, Reason: "the file is UTF-16 text; save or export it as UTF-8 and import it again"}
	}
	first, err := peekLine(br)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(first)) == 0 {
		return nil, &FileError{Reason: "the file is empty: it needs a header line naming at least id and title"}
	}
	src := &recordingReader{r: br, max: o.MaxRecordBytes}
	c := csv.NewReader(src)
	c.Comma = sniff(first)
	c.FieldsPerRecord = -1 // rows with the wrong number of cells are reported, not fatal
	rd := &Reader{o: o, src: src, csv: c, col: map[string]int{}, seen: map[string]int{}, line: 1}
	header, hrec, err := rd.read()
	if err != nil {
		return nil, err
	}
	rd.header = make([]string, len(header))
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, encodingError(hrec.Raw, hrec.Line, i+1)
		}
		if strings.IndexByte(h, 0) >= 0 {
			return nil, &FileError{Line: hrec.Line, Column: i + 1, Reason: "the header holds a NUL character (a UTF-16 file?); save or export it as UTF-8 and import it again"}
		}
		name := normalize(h)
		rd.header[i] = name
		if _, dup := rd.col[name]; !dup {
			rd.col[name] = i
		}
	}
	var missing []string
	for _, req := range []string{"id", "title"} {
		if _, ok := rd.col[req]; !ok {
			missing = append(missing, req)
		}
	}
	if len(missing) > 0 {
		return nil, &FileError{Line: 1, Reason: fmt.Sprintf("the header lacks the column(s) %s (found: %s)", strings.Join(missing, ", "), strings.Join(rd.header, ", "))}
	}
	return rd, nil
}

// Header is the normalized column names, in file order.
func (r *Reader) Header() []string { return r.header }

// Column is the 1-based position of the first column with the normalized
// name, 0 when the file has none.
func (r *Reader) Column(name string) int {
	if i, ok := r.col[name]; ok {
		return i + 1
	}
	return 0
}

// BytesRead is how much of the input has been consumed (for progress).
func (r *Reader) BytesRead() int64 { return r.src.total }

// Next returns the next record. A refused row comes back as a *RowError
// together with the record (its raw text is worth keeping) and reading may
// go on; a *FileError or any other error ends the file; io.EOF ends it
// cleanly. A byte that is not UTF-8 ends the file (see encodingError); the
// fields of a record returned are valid UTF-8, and a row holding NUL is
// refused, so what is accepted is text any database stores.
func (r *Reader) Next() (*Record, error) {
	if r.done {
		return nil, io.EOF
	}
	cells, rec, err := r.read()
	if err != nil {
		r.done = true
		return nil, err
	}
	var problems []Problem
	if len(cells) != len(r.header) {
		problems = append(problems, Problem{Column: min(len(cells), len(r.header)) + 1,
			Reason: fmt.Sprintf("the row has %d cells where the header has %d (a truncated line, or a delimiter that should be quoted?)", len(cells), len(r.header))})
	}
	rec.Fields = make([]Field, 0, len(cells))
	for i, v := range cells {
		name := ""
		if i < len(r.header) {
			name = r.header[i]
		}
		if !utf8.ValidString(v) {
			r.done = true
			// The first bad byte of the record is in its first bad cell:
			// the cells before are valid, delimiters and quotes are ASCII.
			return nil, encodingError(rec.Raw, rec.Line, i+1)
		}
		if strings.IndexByte(v, 0) >= 0 {
			problems = append(problems, Problem{Column: i + 1, Field: name, Reason: "holds a NUL character, which text cannot"})
		}
		rec.Fields = append(rec.Fields, Field{Name: name, Value: v})
	}
	if len(problems) == 0 {
		problems = r.parseItem(rec)
	}
	if len(problems) > 0 {
		return rec, &RowError{Line: rec.Line, Problems: problems, Raw: rec.Raw}
	}
	return rec, nil
}

// read reads one CSV record with its line and raw text, turning CSV and size
// errors into FileErrors that name the line.
func (r *Reader) read() ([]string, *Record, error) {
	cells, err := r.csv.Read()
	if err != nil && !errors.Is(err, io.EOF) {
		var tooLong *errRecordTooLong
		var pe *csv.ParseError
		switch {
		case errors.As(err, &tooLong):
			return nil, nil, &FileError{Line: r.line, Reason: fmt.Sprintf("a record longer than %d bytes starts here; the rest of the file was not read", r.o.MaxRecordBytes)}
		case errors.As(err, &pe):
			reason := pe.Err.Error()
			if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
				reason += " (a quote inside a field must be doubled, and a quoted field must be closed)"
			}
			return nil, nil, &FileError{Line: pe.StartLine, Column: pe.Column, Reason: reason}
		}
		return nil, nil, err
	}
	raw := r.src.take(r.csv.InputOffset())
	// csv skips blank lines before a record: they belong to no record.
	trimmed := strings.TrimLeft(raw, "\r\n")
	start := r.line + strings.Count(raw[:len(raw)-len(trimmed)], "\n")
	r.line = start + strings.Count(trimmed, "\n")
	if errors.Is(err, io.EOF) {
		return nil, nil, io.EOF
	}
	if !strings.HasSuffix(trimmed, "\n") {
		r.line++ // the last line, without a line ending
	}
	return cells, &Record{Line: start, Raw: strings.TrimRight(trimmed, "\r\n")}, nil
}

// sniff picks the delimiter the header line uses most: tab, semicolon or
// comma (outside quotes).
func sniff(header []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, b := range header {
		switch {
		case b == '"':
			quoted = !quoted
		case !quoted && (b == '\t' || b == ';' || b == ','):
			counts[rune(b)]++
		}
	}
	best := '\t'
	for _, d := range []rune{'\t', ';', ','} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return best
}

// normalize turns a header cell into a column name: lower case, trimmed, no
// `g:` prefix, and `atalanda:` spelt `letzshop:`.
func normalize(h string) string {
	n := strings.ToLower(strings.TrimSpace(h))
	n = strings.TrimPrefix(n, "g:")
	if rest, ok := strings.CutPrefix(n, "atalanda:"); ok {
		n = "letzshop:" + rest
	}
	return n
}

// peekLine returns the first line without consuming it (at most the
// buffer's size: a longer header is still sniffed from its start).
func peekLine(br *bufio.Reader) ([]byte, error) {
	b, err := br.Peek(br.Size())
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], nil
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	return b, nil
}

// errRecordTooLong is what the recording reader returns past the limit.
type errRecordTooLong struct{}

func (*errRecordTooLong) Error() string { return "record too long" }

// recordingReader feeds the CSV reader and keeps the bytes not yet claimed
// by a record, so each record's raw text is known; it refuses to feed a
// record past the limit, before the CSV reader has spent memory on it.
type recordingReader struct {
	r     io.Reader
	max   int
	buf   []byte // bytes handed to the CSV reader and not yet claimed by a record
	base  int64  // input offset of buf[0]
	total int64
}

func (s *recordingReader) Read(p []byte) (int, error) {
	if len(s.buf) > s.max {
		return 0, &errRecordTooLong{}
	}
	n, err := s.r.Read(p)
	s.buf = append(s.buf, p[:n]...)
	s.total += int64(n)
	return n, err
}

// take claims the bytes up to input offset end (the CSV reader's
// InputOffset after a record): they are that record's raw text.
func (s *recordingReader) take(end int64) string {
	n := int(end - s.base)
	raw := string(s.buf[:n])
	s.buf = append(s.buf[:0], s.buf[n:]...)
	s.base = end
	return raw
}
