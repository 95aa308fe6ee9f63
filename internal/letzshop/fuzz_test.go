package letzshop

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReader feeds the reader arbitrary bytes: it must never panic or loop,
// records must come in file order with lines that only grow, and every
// refusal must name a line. The seed corpus is in testdata/fuzz/FuzzReader.
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
			}
			if r.BytesRead() > int64(len(in)) {
				t.Fatalf("read %d bytes of %d", r.BytesRead(), len(in))
			}
		}
		t.Fatal("the reader did not reach the end")
	})
}
