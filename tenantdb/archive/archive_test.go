package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// sample writes a backup of two tables: "small" (3 rows) and "big" (enough
// rows for several chunks), and returns the file and the tables' text.
func sample(t *testing.T) ([]byte, map[string]string) {
	t.Helper()
	var big strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&big, "%d\tproduct %d\\nsecond line\t%d\n", i, i, i*7%1000)
	}
	data := map[string]string{"small": "1\ta\n2\tb\n3\t\\N\n", "big": big.String()}
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	h := Header{Slug: "shop", VendorID: 7, Revision: "20261201024302",
		Tables: []Table{{Name: "small", Columns: []string{"id", "name"}}, {Name: "big", Columns: []string{"id", "title", "n"}}}}
	p := Platform{Vendor: json.RawMessage(`{"slug":"shop"}`)}
	if err := w.Begin(h, p); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"small", "big"} {
		tw, err := w.Table(name)
		if err != nil {
			t.Fatal(err)
		}
		// Uneven writes, as COPY delivers them.
		s := data[name]
		for len(s) > 0 {
			k := min(len(s), 1000+len(s)%777)
			if _, err := io.WriteString(tw, s[:k]); err != nil {
				t.Fatal(err)
			}
			s = s[k:]
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Table("big"); got.Rows != 20000 {
		t.Fatalf("manifest rows of big = %d, want 20000", got.Rows)
	}
	return buf.Bytes(), data
}

func TestRoundTrip(t *testing.T) {
	file, data := sample(t)
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h := r.Header(); h.Slug != "shop" || h.Revision != "20261201024302" || h.Format != Format || h.Version != Version {
		t.Fatalf("header = %+v", h)
	}
	if string(r.Platform().Vendor) != `{"slug":"shop"}` {
		t.Fatalf("platform = %s", r.Platform().Vendor)
	}
	for {
		tr, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != data[tr.Name] {
			t.Fatalf("table %s: read %d bytes, wrote %d", tr.Name, len(got), len(data[tr.Name]))
		}
	}
	m := r.Manifest()
	if m == nil || m.Rows() != 20003 {
		t.Fatalf("manifest = %+v", m)
	}
}

// Every truncation of the file is reported as one, never read as a whole
// backup.
func TestTruncated(t *testing.T) {
	file, _ := sample(t)
	for _, n := range []int{0, 3, 10, 40, len(file) / 3, len(file) / 2, len(file) - 20, len(file) - 1} {
		_, _, err := Verify(bytes.NewReader(file[:n]))
		var ae *Error
		if !errors.As(err, &ae) {
			t.Fatalf("cut at %d of %d: err = %v, want an archive error", n, len(file), err)
		}
		if n > 0 && !strings.Contains(err.Error(), "truncated") && !strings.Contains(err.Error(), "damaged") {
			t.Errorf("cut at %d: %v: want it called truncated", n, err)
		}
	}
}

// A changed byte anywhere in the compressed file is caught; one in a
// table's data names the table.
func TestFlippedByte(t *testing.T) {
	file, _ := sample(t)
	for i := 10; i < len(file); i += max(1, len(file)/97) {
		bad := bytes.Clone(file)
		bad[i] ^= 0x5a
		if _, _, err := Verify(bytes.NewReader(bad)); err == nil {
			t.Fatalf("byte %d of %d flipped: verified", i, len(file))
		}
	}
	// Change the big table's text (not the compressed bytes) and write it
	// with the original manifest's sums: the manifest names the table.
	var buf bytes.Buffer
	r, _ := NewReader(bytes.NewReader(file))
	w, _ := NewWriter(&buf)
	_ = w.Begin(r.Header(), r.Platform())
	for {
		tr, err := r.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		if tr.Name == "big" {
			b[5000] ^= 1
		}
		tw, _ := w.Table(tr.Name)
		_, _ = tw.Write(b)
		_ = tw.Close()
	}
	orig := r.Manifest()
	// Close would write the new sums; write the original manifest instead.
	w.manifest = *orig
	w.next = len(w.header.Tables)
	if _, err := w.meta(kindManifest, "manifest", orig); err != nil {
		t.Fatal(err)
	}
	_ = w.zw.Close()
	_, _, err := Verify(&buf)
	var ae *Error
	if !errors.As(err, &ae) || ae.Table != "big" || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("err = %v, want a SHA-256 mismatch naming table big", err)
	}
}

func TestNotABackup(t *testing.T) {
	zstdOf := func(s string) []byte {
		var b bytes.Buffer
		w, _ := zstd.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return b.Bytes()
	}
	newer := zstdOf(magic + "\x02")
	for name, c := range map[string]struct {
		file []byte
		want string
	}{
		"empty":        {nil, "empty"},
		"plain text":   {[]byte("id,name\n1,a\n"), "not zstd-compressed"},
		"other zstd":   {zstdOf("PGDMP something else entirely"), "not this format"},
		"newer format": {newer, "newer Bazaar"},
	} {
		_, _, err := Verify(bytes.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to say %q", name, err, c.want)
		}
	}
}
