package web

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestLatinOneFeedIsRefusedWhole: a language file that is not UTF-8 (a
// Latin-1 export) is refused whole, at once, with its line, column, the
// byte and what to do; the other languages import, and the vendor's import
// slot is free again.
func TestLatinOneFeedIsRefusedWhole(t *testing.T) {
	ts, _, host, tok := importShop(t, "latin", setup{})
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", feedFile(product("A", "Tasse", "1 EUR"), product("B", "Caf\xe9 cr\xe8me", "2 EUR"), product("C", "Th\xe9", "3 EUR")))
	feeds.set("/en.tsv", feedFile(product("A", "Cup", "1 EUR"), product("B", "Coffee", "2 EUR")))
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv"), "en": feeds.url("/en.tsv")}, "fr", "en")
	j := ts.runImport(t, host, tok, "")
	const want = `line 3, column 2: the file is not UTF-8 text (byte 0xE9, "é" if the file is Windows-1252/Latin-1); save or export it as UTF-8 and import it again`
	if j.Status != "partially_failed" || j.Languages[0].Status != "failed" || j.Languages[0].Error != want || j.Languages[1].Status != "done" {
		t.Errorf("job %+v", j)
	}
	if !strings.Contains(j.Error, "fr file "+feeds.url("/fr.tsv")+": line 3, column 2") {
		t.Errorf("the job's error does not name the file: %q", j.Error)
	}
	if got := ts.staged(t, host, tok, ""); len(got) != 2 || findStaged(t, got, "B").Title != "Coffee" {
		t.Errorf("staged: %+v (nothing of the French file, the English file whole)", got)
	}
	if r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/marketplace/import", token: tok}); r.status != http.StatusAccepted {
		t.Errorf("the next import: %d %s", r.status, r.body)
	}
}

// TestRefusedRowsAreKeptAsText: a refused line longer than what the report
// keeps is cut on a character, and a line holding NUL is kept with the byte
// escaped; the report says so, and the import ends normally.
func TestRefusedRowsAreKeptAsText(t *testing.T) {
	ts, _, host, tok := importShop(t, "rawtext", setup{})
	feeds := newFeedServer(t)
	// B starts "B\tBeta\t": its description's two-byte characters start on
	// odd offsets, so byte 8192 falls inside one. Its GTIN refuses it.
	long := feedRow{"B", "Beta", strings.Repeat("é", 4500), "2 EUR", "in stock", "", "123", ""}
	nul := product("C", "Ga\x00mma", "3 EUR")
	feeds.set("/fr.tsv", feedFile(product("A", "Alpha", "1 EUR"), long, nul))
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	j := ts.runImport(t, host, tok, "")
	if j.Status != "partially_failed" || j.Counts.Failed != 2 || j.Counts.Created != 1 {
		t.Fatalf("job %+v", j)
	}
	r := ts.do(t, req{method: "GET", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/errors", j.ID), token: tok})
	var out struct {
		Items []struct {
			Line          int
			Field, Reason string
			Raw           string
			RawNote       string `json:"raw_note"`
		} `json:"items"`
	}
	r.decode(t, &out)
	if len(out.Items) != 2 {
		t.Fatalf("errors: %s", r.body)
	}
	b, c := out.Items[0], out.Items[1]
	line := strings.TrimSuffix(feedFile(long), "\n")[len(feedHeader):]
	if b.Line != 3 || b.Field != "gtin" || !utf8.ValidString(b.Raw) || len(b.Raw) != 8191 || !strings.HasPrefix(line, b.Raw) ||
		b.RawNote != fmt.Sprintf("cut to its first 8191 bytes of %d", len(line)) {
		t.Errorf("long line: line %d field %s, %d bytes kept, note %q", b.Line, b.Field, len(b.Raw), b.RawNote)
	}
	if c.Line != 4 || c.Field != "title" || !strings.Contains(c.Reason, "NUL") || c.Raw != `C	Ga\x00mma		3 EUR	in stock			` ||
		c.RawNote != `bytes that are not UTF-8 text (or NUL) are shown as \xNN` {
		t.Errorf("NUL: %+v", c)
	}
}

// TestUnstorableETagIsIgnored: a server's ETag that is not text (HTTP
// allows other bytes) is not kept; the import goes on, and the next one
// still recognises the unchanged file by its hash.
func TestUnstorableETagIsIgnored(t *testing.T) {
	ts, _, host, tok := importShop(t, "etag", setup{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Etag"] = []string{"\"caf\xe9\""}
		io.WriteString(w, feedFile(product("A", "Alpha", "1 EUR")))
	}))
	t.Cleanup(srv.Close)
	ts.configure(t, host, tok, map[string]string{"fr": srv.URL + "/fr.tsv"}, "fr")
	if j := ts.runImport(t, host, tok, ""); j.Status != "succeeded" || j.Counts.Created != 1 {
		t.Fatalf("first import %+v", j)
	}
	if j := ts.runImport(t, host, tok, ""); j.Status != "succeeded" || j.Languages[0].Status != "unchanged" {
		t.Errorf("second import %+v", j)
	}
}
