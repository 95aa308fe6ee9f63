package vendor

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/bazaar/bazaar/internal/fault"
)

// BulkColumns are the bulk vendor CSV's columns: the seed's, in its order.
var BulkColumns = []string{
	"vendor_name", "subdomain", "owner_name", "owner_email", "owner_phone",
	"business_address", "business_city", "business_postal_code", "business_country",
	"letzshop_csv_url", "initial_password",
}

// BulkLimits bound a bulk vendor CSV.
type BulkLimits struct {
	MaxBytes int64 // the file (413 beyond)
	MaxRows  int   // its rows, the header not counted
}

// BulkRow is one row of a bulk vendor CSV as read.
type BulkRow struct {
	Line       int // where the row starts in the file
	VendorName string
	Subdomain  string
	OwnerName  string
	OwnerEmail string
	OwnerPhone string
	Address    string
	City       string
	PostalCode string
	Country    string
	FeedURL    string
	Password   string // the initial password, hashed before anything is stored; never kept
}

// ReadBulkFile reads a bulk vendor CSV: UTF-8 (a byte-order mark is
// allowed), separated by commas or semicolons (the header line decides),
// quoted as CSV quotes. The header must name every column of BulkColumns
// once, in any order and case. A file that cannot be read as that is
// refused whole, its error naming the line (and column) — an unknown or
// missing column, a row with too many or too few fields, a broken quote,
// text that is not UTF-8 or holds a NUL, more than MaxRows rows, more than
// MaxBytes bytes (fault.TooLarge). What each row says is checked after.
func ReadBulkFile(r io.Reader, lim BulkLimits) ([]BulkRow, error) {
	br := bufio.NewReader(io.LimitReader(r, lim.MaxBytes+1))
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	head, _ := br.Peek(4096)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(&limitedReader{r: br, max: lim.MaxBytes})
	cr.Comma = ','
	if bytes.Count(head, []byte(";")) > bytes.Count(head, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1 // counted here, to name the line
	header, err := cr.Read()
	if err != nil {
		return nil, fileError(err, "the file has no header line")
	}
	cols, err := headerColumns(header)
	if err != nil {
		return nil, err
	}
	var rows []BulkRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fileError(err, "")
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, badFile(fmt.Sprintf("line %d: %d fields, the header names %d (is a field with the separator %q unquoted?)",
				line, len(rec), len(header), cr.Comma))
		}
		if len(rows) == lim.MaxRows {
			return nil, badFile(fmt.Sprintf("line %d: more than %d rows; split the file", line, lim.MaxRows))
		}
		for i, f := range rec {
			if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
				return nil, badFile(fmt.Sprintf("line %d, column %d (%s): not UTF-8 text", line, i+1, header[i]))
			}
		}
		get := func(name string) string { return strings.TrimSpace(rec[cols[name]]) }
		rows = append(rows, BulkRow{
			Line: line, VendorName: get("vendor_name"), Subdomain: get("subdomain"),
			OwnerName: get("owner_name"), OwnerEmail: get("owner_email"), OwnerPhone: get("owner_phone"),
			Address: get("business_address"), City: get("business_city"), PostalCode: get("business_postal_code"),
			Country: get("business_country"), FeedURL: get("letzshop_csv_url"),
			Password: rec[cols["initial_password"]], // as typed: spaces are part of a password
		})
	}
	if len(rows) == 0 {
		return nil, badFile("the file has a header and no rows")
	}
	return rows, nil
}

// headerColumns maps each column to its position, naming every unknown,
// repeated and missing one.
func headerColumns(header []string) (map[string]int, error) {
	cols := map[string]int{}
	var problems []string
	known := map[string]bool{}
	for _, c := range BulkColumns {
		known[c] = true
	}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		_, seen := cols[name]
		switch {
		case !known[name]:
			problems = append(problems, fmt.Sprintf("column %d %q is not one of the bulk file's columns", i+1, h))
		case seen:
			problems = append(problems, fmt.Sprintf("column %q appears twice", name))
		default:
			cols[name] = i
		}
	}
	for _, c := range BulkColumns {
		if _, ok := cols[c]; !ok {
			problems = append(problems, fmt.Sprintf("column %q is missing", c))
		}
	}
	if len(problems) > 0 {
		return nil, badFile("line 1 (the header): " + strings.Join(problems, "; ") +
			" — the columns are " + strings.Join(BulkColumns, ","))
	}
	return cols, nil
}

func badFile(msg string) error {
	return &fault.Error{Kind: fault.Invalid, Code: "invalid_file", Message: msg, Fields: map[string]string{"file": msg}}
}

// fileError names a CSV parse error by its line and column.
func fileError(err error, empty string) error {
	var tooLarge *fileTooLarge
	var pe *csv.ParseError
	switch {
	case errors.As(err, &tooLarge):
		return &fault.Error{Kind: fault.TooLarge, Code: "too_large",
			Message: fmt.Sprintf("the file is larger than %d bytes; split it", tooLarge.max)}
	case errors.Is(err, io.EOF) && empty != "":
		return badFile(empty)
	case errors.As(err, &pe):
		return badFile(fmt.Sprintf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err))
	}
	return badFile("the file cannot be read as CSV")
}

// limitedReader fails, rather than ends, past max bytes, so an over-size
// file is refused instead of read in part.
type limitedReader struct {
	r      io.Reader
	n, max int64
}

type fileTooLarge struct{ max int64 }

func (e *fileTooLarge) Error() string { return fmt.Sprintf("larger than %d bytes", e.max) }

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return 0, &fileTooLarge{max: l.max}
	}
	return n, err
}
