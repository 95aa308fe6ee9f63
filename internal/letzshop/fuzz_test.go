package letzshop

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReader feeds the reader arbitrary bytes: it must never panic or loop,
// records must come in file order with lines that only grow, every refusal
// must name a line, and what is accepted (and a refused row's excerpt) is
// text PostgreSQL stores: valid UTF-8 without NUL. The seed corpus is in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"id,title,price\nA-1,Mug,9.50 EUR\n",
		"id\ttitle\nA-1\t\"quoted\ttab\"\n",
		"\xEF\xBB\xBFid;title;price\r\nA-1;Mug;9,50\r\n",
		"id,title\nA-1,\"unterminated\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := NewReader(bytes.NewReader(in), Options{MaxRecordBytes: 4096})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) && !errors.Is(err, io.EOF) {
				t.Fatalf("NewReader: unexpected error type %T: %v", err, err)
			}
			return
		}
		last := 1
		for range len(in) + 2 { // a record consumes at least one byte
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RowError
			switch {
			case errors.As(err, &re):
				if re.Line <= last || len(re.Problems) == 0 {
					t.Fatalf("refusal %+v after line %d", re, last)
				}
				last = re.Line
				for _, p := range re.Problems {
					if !storable(p.Reason) || len(p.Reason) > 1000 {
						t.Fatalf("reason %q", p.Reason)
					}
				}
				if raw, _ := Excerpt(re.Raw, 100); !storable(raw) || len(raw) > 100 {
					t.Fatalf("excerpt %q of %q", raw, re.Raw)
				}
			case err != nil:
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Fatalf("Next: unexpected error type %T: %v", err, err)
				}
				return
			default:
				if rec.Line <= last || strings.HasSuffix(rec.Raw, "\n") {
					t.Fatalf("record at line %d after line %d, raw %q", rec.Line, last, rec.Raw)
				}
				last = rec.Line
				// What a database stores of an accepted record is text.
				for _, f := range rec.Fields {
					if !storable(f.Name) || !storable(f.Value) {
						t.Fatalf("record at line %d: field %q = %q", rec.Line, f.Name, f.Value)
					}
				}
			}
			if r.BytesRead() > int64(len(in)) {
				t.Fatalf("read %d bytes of %d", r.BytesRead(), len(in))
			}
		}
		t.Fatal("the reader did not reach the end")
	})
}

func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
