package letzshop

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// readAll reads a feed to the end: the records, the refused rows, and the
// error that ended the file (nil at a clean end).
func readAll(t testing.TB, in io.Reader, o Options) (recs []*Record, rows []*RowError, end error) {
	t.Helper()
	r, err := NewReader(in, o)
	if err != nil {
		return nil, nil, err
	}
	for {
		rec, err := r.Next()
		var re *RowError
		switch {
		case errors.Is(err, io.EOF):
			return recs, rows, nil
		case errors.As(err, &re):
			rows = append(rows, re)
		case err != nil:
			return recs, rows, err
		default:
			recs = append(recs, rec)
		}
	}
}

func TestSampleFeeds(t *testing.T) {
	for _, lang := range []string{"en", "fr", "de"} {
		t.Run(lang, func(t *testing.T) {
			f, err := os.Open("testdata/sample-" + lang + ".tsv")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, rows, end := readAll(t, f, Options{})
			if end != nil || len(rows) != 0 || len(recs) != 3 {
				t.Fatalf("records %d, refused %v, end %v", len(recs), rows, end)
			}
			tee := recs[0].Item
			if tee.ID != "LS-TEE-RED-M" || tee.ItemGroupID != "LS-TEE-RED" || tee.Price == nil || *tee.Price != (Money{2490, "EUR"}) ||
				tee.SalePrice == nil || tee.SalePrice.Cents != 1990 || tee.Availability != InStock ||
				tee.GTIN != "5412345001010" || len(tee.AdditionalImages) != 2 || recs[0].Line != 2 {
				t.Errorf("first record: %+v (line %d)", tee, recs[0].Line)
			}
			if recs[1].Item.Availability != OutOfStock || recs[2].Item.ID != "LS-HONEY-500" || recs[2].Item.Price == nil || recs[2].Item.Price.Cents != 950 {
				t.Errorf("records 2 and 3: %+v / %+v", recs[1].Item, recs[2].Item)
			}
			if tr := recs[0].Item.TaxRateBasis; tr == nil || *tr != 1700 {
				t.Errorf("tax rate: %v", tr)
			}
			if !strings.HasPrefix(recs[0].Raw, "LS-TEE-RED-M\t") || strings.ContainsAny(recs[0].Raw, "\r\n") {
				t.Errorf("raw: %q", recs[0].Raw)
			}
		})
	}
}

// feed builds a file from lines with a delimiter.
func feed(sep string, lines ...[]string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(strings.Join(l, sep))
		b.WriteString("\n")
	}
	return b.String()
}

var head = []string{"id", "title", "price", "availability", "gtin"}

func TestFileShapes(t *testing.T) {
	good := []string{"A-1", "Mug", "9.50 EUR", "in stock", "5412345001010"}
	tests := []struct {
		name      string
		in        string
		wantItems int
		check     func(t *testing.T, recs []*Record)
	}{
		{"Tab", feed("\t", head, good), 1, nil},
		{"Comma", feed(",", head, good), 1, nil},
		{"Semicolon", feed(";", head, good), 1, nil},
		{"ByteOrderMark", "\xEF\xBB\xBF" + feed("\t", head, good), 1, func(t *testing.T, recs []*Record) {
			if recs[0].Item.ID != "A-1" {
				t.Errorf("id %q", recs[0].Item.ID)
			}
		}},
		{"CRLF", strings.ReplaceAll(feed(",", head, good, []string{"A-2", "Cup", "3", "out_of_stock", ""}), "\n", "\r\n"), 2, func(t *testing.T, recs []*Record) {
			if recs[1].Line != 3 || recs[1].Item.Price == nil || recs[1].Item.Price.Cents != 300 || strings.HasSuffix(recs[1].Raw, "\r") {
				t.Errorf("second record %+v line %d raw %q", recs[1].Item, recs[1].Line, recs[1].Raw)
			}
		}},
		{"QuotedDelimiterQuoteAndNewline", "id,title,price\nA-1,\"Mug, \"\"big\"\"\nand blue\",\"9,50\"\nA-2,Cup,1\n", 2, func(t *testing.T, recs []*Record) {
			if recs[0].Item.Title != "Mug, \"big\"\nand blue" || recs[0].Item.Price == nil || recs[0].Item.Price.Cents != 950 {
				t.Errorf("first %+v", recs[0].Item)
			}
			if recs[1].Line != 4 {
				t.Errorf("the record after a two-line one starts on line %d, want 4", recs[1].Line)
			}
		}},
		{"GPrefixesAndCase", "G:ID\tg:Title\tg:PRICE\tatalanda:quantity\tletzshop:boost_sort\tcustom_col\nA-1\tMug\t2 EUR\t7\t3\tkept\n", 1, func(t *testing.T, recs []*Record) {
			it := recs[0].Item
			if it.ID != "A-1" || it.Quantity == nil || *it.Quantity != 7 || it.BoostSort == nil || *it.BoostSort != 3 {
				t.Errorf("%+v", it)
			}
			if f := recs[0].Fields[5]; f.Name != "custom_col" || f.Value != "kept" {
				t.Errorf("unknown column: %+v", f)
			}
		}},
		{"BothSpellings", feed(";", head, []string{"A-1", "a", "EUR 1.5", "in_stock", ""}, []string{"A-2", "b", "1,5", "Out Of Stock", ""}, []string{"A-3", "c", "2", "preorder", ""}), 3, func(t *testing.T, recs []*Record) {
			if recs[0].Item.Availability != InStock || recs[1].Item.Availability != OutOfStock || *recs[0].Item.Price != (Money{150, "EUR"}) || *recs[1].Item.Price != (Money{150, "EUR"}) {
				t.Errorf("%+v %+v", recs[0].Item, recs[1].Item)
			}
		}},
		{"HeaderOnly", feed(",", head), 0, nil},
		{"BlankLinesAreSkipped", "id,title,price\n\nA-1,Mug,1\n\n\nA-2,Cup,2\n", 2, func(t *testing.T, recs []*Record) {
			if recs[0].Line != 3 || recs[1].Line != 6 {
				t.Errorf("lines %d, %d; want 3, 6", recs[0].Line, recs[1].Line)
			}
		}},
		{"NoFinalNewline", "id,title,price\nA-1,Mug,1", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, rows, end := readAll(t, strings.NewReader(tt.in), Options{})
			if end != nil || len(rows) != 0 || len(recs) != tt.wantItems {
				t.Fatalf("records %d (want %d), refused %v, end %v", len(recs), tt.wantItems, rows, end)
			}
			if tt.check != nil {
				tt.check(t, recs)
			}
		})
	}
}

// Every refused row names its line, column and reason, keeps its raw text,
// and the rows around it are still read.
func TestRefusedRows(t *testing.T) {
	tests := []struct {
		name   string
		row    []string
		line   int
		column int
		reason string
	}{
		{"MissingID", []string{"", "Mug", "1", "", ""}, 3, 1, "is required"},
		{"BadGTIN", []string{"A-9", "Mug", "1", "", "5412345001011"}, 3, 5, "wrong check digit (expected 0)"},
		{"GTINLength", []string{"A-9", "Mug", "1", "", "12345"}, 3, 5, "has 5 digits"},
		{"BadPrice", []string{"A-9", "Mug", "one euro", "", ""}, 3, 3, "not an amount"},
		{"ThreeDecimals", []string{"A-9", "Mug", "1.999", "", ""}, 3, 3, "at most two decimals"},
		{"UnknownAvailability", []string{"A-9", "Mug", "1", "maybe", ""}, 3, 4, `"maybe" is not one of`},
		{"IDTwice", []string{"A-1", "Again", "1", "", ""}, 3, 1, `"A-1" already appears on line 2`},
		{"TruncatedRow", []string{"A-9", "Mug"}, 3, 3, "has 2 cells where the header has 5"},
		{"NUL", []string{"A-9", "Mug\x00", "1", "", ""}, 3, 2, "a NUL character"},
		{"LongValueQuotedShort", []string{"A-9", "Mug", "1", strings.Repeat("é", 300), ""}, 3, 4, `"` + strings.Repeat("é", 40) + `…" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := feed(",", head, []string{"A-1", "Mug", "1", "", ""}, tt.row, []string{"A-3", "Cup", "2", "", ""})
			recs, rows, end := readAll(t, strings.NewReader(in), Options{})
			if end != nil || len(recs) != 2 || len(rows) != 1 {
				t.Fatalf("records %d, refused %v, end %v", len(recs), rows, end)
			}
			e := rows[0]
			if e.Line != tt.line || len(e.Problems) == 0 || e.Problems[0].Column != tt.column || !strings.Contains(e.Problems[0].Reason, tt.reason) {
				t.Fatalf("refusal %+v, want line %d column %d reason ~%q", e, tt.line, tt.column, tt.reason)
			}
			if e.Raw != strings.Join(tt.row, ",") {
				t.Errorf("raw %q", e.Raw)
			}
			if !strings.Contains(e.Error(), "line 3") {
				t.Errorf("message %q does not name the line", e.Error())
			}
		})
	}
}

func TestRefusedFiles(t *testing.T) {
	tests := []struct {
		name string
		in   string
		o    Options
		want string
	}{
		{"Empty", "", Options{}, "the file is empty"},
		{"Blank", "\n\n", Options{}, "the file is empty"},
		{"NoTitleColumn", "id,price\nA-1,1\n", Options{}, "line 1: the header lacks the column(s) title"},
		{"Latin1Header", "id,t\xeftle\n", Options{}, `line 1, column 2: the file is not UTF-8 text (byte 0xEF, "ï" if the file is Windows-1252/Latin-1); save or export it as UTF-8`},
		{"Latin1Row", "id,title\nA-1,Mug\nA-2,Caf\xe9 cr\xe8me\n", Options{}, `line 3, column 2: the file is not UTF-8 text (byte 0xE9, "é" if`},
		{"Latin1OnASecondLineOfAQuotedCell", "id,title,price\nA-1,\"two\nlines, \xe9\",1\n", Options{}, "line 3, column 2: the file is not UTF-8 text (byte 0xE9"},
		{"ByteNoEncodingHas", "id,title\nA-1,x\x81y\n", Options{}, "line 2, column 2: the file is not UTF-8 text (byte 0x81); save"},
		{"UTF16", "\xff\xfei\x00d\x00,\x00t\x00", Options{}, "line 1: the file is UTF-16 text; save or export it as UTF-8"},
		{"UTF16BigEndian", "\xfe\xff\x00i\x00d", Options{}, "line 1: the file is UTF-16 text"},
		{"NULInHeader", "i\x00d\x00,\x00t\x00i\x00t\x00l\x00e\x00\n", Options{}, "line 1, column 1: the header holds a NUL character (a UTF-16 file?); save or export it as UTF-8"},
		{"UnclosedQuote", "id,title\nA-1,\"Mug\nA-2,Cup\n", Options{}, "line 2"},
		{"RecordTooLong", "id,title\nA-1,Mug\nA-2," + strings.Repeat("x", 5000) + "\nA-3,Cup\n", Options{MaxRecordBytes: 1000}, "line 3: a record longer than 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, end := readAll(t, strings.NewReader(tt.in), tt.o)
			var fe *FileError
			if !errors.As(end, &fe) || !strings.Contains(fe.Error(), tt.want) {
				t.Fatalf("end = %v, want a FileError containing %q", end, tt.want)
			}
		})
	}
}

// A 50 MB line stops the file at its line without being held in memory,
// and what came before it was read.
func TestFiftyMegabyteLine(t *testing.T) {
	huge := io.MultiReader(
		strings.NewReader("id,title\nA-1,Mug\nA-2,"),
		io.LimitReader(repeatReader('x'), 50<<20),
		strings.NewReader("\nA-3,Cup\n"),
	)
	recs, _, end := readAll(t, huge, Options{})
	var fe *FileError
	if len(recs) != 1 || !errors.As(end, &fe) || fe.Line != 3 {
		t.Fatalf("records %d, end %v", len(recs), end)
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestParseMoneyAndGTIN(t *testing.T) {
	for in, want := range map[string]Money{"24.90 EUR": {2490, "EUR"}, "24,90": {2490, "EUR"}, "9.5 usd": {950, "USD"}, "CHF 3": {300, "CHF"}, "0": {0, "EUR"}} {
		if got, err := ParseMoney(in, "EUR"); err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "1.2.3", "1.999", "EUR", "1 EURO", "1e3"} {
		if _, err := ParseMoney(bad, "EUR"); err == nil {
			t.Errorf("ParseMoney(%q) accepted", bad)
		}
	}
	for _, ok := range []string{"5412345001010", "96385074", "036000291452", "10614141000415"} {
		if msg := GTINProblem(ok); msg != "" {
			t.Errorf("GTIN %s: %s", ok, msg)
		}
	}
}

// A file that is not UTF-8 is refused at its first such byte, whatever came
// before: the caller drops what it read of the file.
func TestLatinOneFileIsRefusedWhole(t *testing.T) {
	in := feed(",", head, []string{"A-1", "Mug", "1", "", ""}, []string{"A-2", "Tasse \xe0 caf\xe9", "2", "", ""}, []string{"A-3", "Cup", "3", "", ""})
	recs, rows, end := readAll(t, strings.NewReader(in), Options{})
	var fe *FileError
	if len(recs) != 1 || len(rows) != 0 || !errors.As(end, &fe) || fe.Line != 3 || fe.Column != 2 {
		t.Fatalf("records %d, refused %v, end %v", len(recs), rows, end)
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name, in  string
		max       int
		want      string
		wantNote  string
		wantBytes int // when want is not given
	}{
		{"Unchanged", "A-1\tMug\t9,50 EUR", 100, "A-1\tMug\t9,50 EUR", "", 0},
		{"CutOnACharacter", "a" + strings.Repeat("é", 5000), 8192, "", "cut to its first 8191 bytes of 10001", 8191},
		{"CutExactly", strings.Repeat("é", 5000), 8192, "", "cut to its first 8192 bytes of 10000", 8192},
		{"Escaped", "Caf\xe9 cr\xe8me", 100, `Caf\xE9 cr\xE8me`, `bytes that are not UTF-8 text (or NUL) are shown as \xNN`, 0},
		{"NUL", "a\x00b", 100, `a\x00b`, `bytes that are not UTF-8 text (or NUL) are shown as \xNN`, 0},
		{"NeverHalfAnEscape", strings.Repeat("\xe9", 10), 10, `\xE9\xE9`, `bytes that are not UTF-8 text (or NUL) are shown as \xNN; cut to its first 2 bytes of 10`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, note := Excerpt(tt.in, tt.max)
			if !utf8.ValidString(got) || strings.ContainsRune(got, 0) || len(got) > tt.max {
				t.Fatalf("%q (%d bytes) is not storable text of at most %d bytes", got, len(got), tt.max)
			}
			if tt.want != "" && got != tt.want || tt.wantBytes != 0 && len(got) != tt.wantBytes || note != tt.wantNote {
				t.Errorf("Excerpt = %q (%d bytes), %q; want %q (%d), %q", got, len(got), note, tt.want, tt.wantBytes, tt.wantNote)
			}
		})
	}
}
