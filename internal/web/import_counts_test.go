package web

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// importShop starts a server running imports on the queue and signs in the
// owner of a fresh shop.
func importShop(t *testing.T, slug string, su setup) (ts *testServer, shop *tenantdb.Tenant, host, tok string) {
	t.Helper()
	db := tenanttest.Open(t)
	shop = tenanttest.Tenant(t, db, slug)
	su.opts, su.queue = defaultOptions(), true
	ts = start(t, db, su)
	host = hostOf(shop)
	u := ts.user(t, "owner@"+slug+".test")
	ts.join(t, shop, u.ID, "owner")
	return ts, shop, host, ts.login(t, host, "owner@"+slug+".test").access
}

func product(id, title, price string) feedRow {
	return feedRow{id, title, "", price, "in stock", "", "", ""}
}

// missingIDs lists the feed ids the staging area marks missing, sorted.
func (ts *testServer) missingIDs(t *testing.T, host, tok string) string {
	t.Helper()
	var ids []string
	for _, s := range ts.staged(t, host, tok, "?missing=true") {
		ids = append(ids, s.FeedID)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// TestMissingAcrossLanguages: a product is missing when no configured
// language's file lists it any more — also a product that only some
// languages' files ever listed — and not while one file still does.
func TestMissingAcrossLanguages(t *testing.T) {
	ts, _, host, tok := importShop(t, "missing", setup{})
	feeds := newFeedServer(t)
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv"), "de": feeds.url("/de.tsv")}, "fr", "de")
	a, b, c := product("A", "Alpha", "1 EUR"), product("B", "Beta", "2 EUR"), product("C", "Gamma", "3 EUR")
	steps := []struct {
		name           string
		fr, de         []feedRow
		missing        string // staged products marked missing afterwards
		missingCounted int
	}{
		{"BInFrenchOnlyCInGermanOnly", []feedRow{a, b}, []feedRow{a, c}, "", 0},
		{"BLeavesTheOnlyFileListingIt", []feedRow{a}, []feedRow{a, c}, "B", 1},
		{"CMovesToTheFrenchFile", []feedRow{a, c}, []feedRow{a}, "B", 1},
		{"CLeavesEveryFile", []feedRow{a}, []feedRow{a}, "B,C", 2},
		{"BComesBackInGerman", []feedRow{a}, []feedRow{a, b}, "C", 1},
	}
	for _, s := range steps {
		feeds.set("/fr.tsv", feedFile(s.fr...))
		feeds.set("/de.tsv", feedFile(s.de...))
		j := ts.runImport(t, host, tok, "")
		if j.Status != "succeeded" {
			t.Fatalf("%s: %+v", s.name, j)
		}
		if got := ts.missingIDs(t, host, tok); got != s.missing || j.Counts.Missing != s.missingCounted {
			t.Errorf("%s: missing %q (counted %d), want %q (%d)", s.name, got, j.Counts.Missing, s.missing, s.missingCounted)
		}
	}
}

// TestCountsPerLanguage: a product is created once, by the first file that
// lists it; the other files' rows for it are merged into it. The totals
// count products, the languages count their files' rows.
func TestCountsPerLanguage(t *testing.T) {
	ts, _, host, tok := importShop(t, "perlang", setup{})
	feeds := newFeedServer(t)
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv"), "de": feeds.url("/de.tsv"), "en": feeds.url("/en.tsv")}, "fr", "de", "en")
	a, b, c := product("A", "Alpha", "1 EUR"), product("B", "Beta", "2 EUR"), product("C", "Gamma", "3 EUR")
	type counts struct{ Rows, Created, Merged, Updated, Unchanged int }
	of := func(j importJob) []counts {
		out := make([]counts, len(j.Languages))
		for i, l := range j.Languages {
			out[i] = counts{l.Rows, l.Created, l.Merged, l.Updated, l.Unchanged}
		}
		return out
	}
	feeds.set("/fr.tsv", feedFile(a, b))
	feeds.set("/de.tsv", feedFile(a, b, c))
	feeds.set("/en.tsv", feedFile(a, c))
	first := ts.runImport(t, host, tok, "")
	if want := []counts{{2, 2, 0, 0, 0}, {3, 1, 2, 0, 0}, {2, 0, 2, 0, 0}}; !reflect.DeepEqual(of(first), want) {
		t.Errorf("first import per language %+v, want %+v", of(first), want)
	}
	if c := first.Counts; c.Rows != 7 || c.Created != 3 || c.Updated != 0 || c.Unchanged != 0 {
		t.Errorf("first import totals %+v", c)
	}
	r := ts.do(t, req{method: "GET", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/changes?language=de", first.ID), token: tok})
	for _, want := range []string{`"feed_id":"A","language":"de","line":2,"action":"merge"`, `"feed_id":"C","language":"de","line":4,"action":"create"`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("changes of de lack %s: %s", want, r.body)
		}
	}
	if r := ts.do(t, req{method: "GET", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/changes?action=merge", first.ID), token: tok}); r.status != http.StatusOK || strings.Count(string(r.body), `"action":"merge"`) != 4 {
		t.Errorf("filter by merge: %d %s", r.status, r.body)
	}

	// B's price moves in the French and German files; C joins the French
	// file (a language new to a product that exists: merged, and the
	// product is updated); the English file is the same (skipped).
	b.price = "2.50 EUR"
	feeds.set("/fr.tsv", feedFile(a, b, c))
	feeds.set("/de.tsv", feedFile(a, b, c))
	second := ts.runImport(t, host, tok, "")
	if want := []counts{{3, 0, 1, 1, 1}, {3, 0, 0, 1, 2}, {0, 0, 0, 0, 0}}; !reflect.DeepEqual(of(second), want) || second.Languages[2].Status != "unchanged" {
		t.Errorf("second import per language %+v, want %+v", second.Languages, want)
	}
	if c := second.Counts; c.Rows != 6 || c.Created != 0 || c.Updated != 2 || c.Unchanged != 1 {
		t.Errorf("second import totals %+v", c)
	}
}

// TestDryRunPredictsTheImport: a dry run's counts — drifted included, per
// language too — are the ones the real import then reports, on a first
// import and on a re-import under overrides.
func TestDryRunPredictsTheImport(t *testing.T) {
	ts, _, host, tok := importShop(t, "predict", setup{})
	feeds := newFeedServer(t)
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv"), "en": feeds.url("/en.tsv")}, "fr", "en")
	fr := []feedRow{product("A", "Alpha", "1 EUR"), product("B", "Beta", "2 EUR"), product("C", "Gamma", "3 EUR"), product("D", "Delta", "x")}
	en := []feedRow{product("A", "Alpha en", "1 EUR"), product("B", "Beta en", "2.20 EUR")}
	same := func(step string) importJob {
		t.Helper()
		dry := ts.runImport(t, host, tok, "?dry_run=true")
		real := ts.runImport(t, host, tok, "")
		dry.ID, dry.DryRun, dry.Progress = real.ID, real.DryRun, real.Progress
		if !reflect.DeepEqual(dry, real) {
			t.Errorf("%s: the dry run predicted\n%+v\nthe import did\n%+v", step, dry, real)
		}
		return real
	}
	feeds.set("/fr.tsv", feedFile(fr...))
	feeds.set("/en.tsv", feedFile(en...))
	same("FirstImport")

	// Publish A with its price and French title overridden, B as it is.
	staged := ts.staged(t, host, tok, "")
	r := ts.do(t, req{method: "POST", host: host, path: fmt.Sprintf("/api/v1/products/from-import/%d", findStaged(t, staged, "A").ID), token: tok,
		body: map[string]any{"price_cents": 150, "title": map[string]any{"fr": "Notre Alpha"}}})
	if r.status != http.StatusCreated {
		t.Fatalf("publish A: %d %s", r.status, r.body)
	}
	if r := ts.do(t, req{method: "POST", host: host, path: fmt.Sprintf("/api/v1/products/from-import/%d", findStaged(t, staged, "B").ID), token: tok}); r.status != http.StatusCreated {
		t.Fatalf("publish B: %d %s", r.status, r.body)
	}

	// The feed moves A's overridden price and title, B's price, drops C.
	fr[0], fr[1] = product("A", "Alpha neu", "1.20 EUR"), product("B", "Beta", "2.40 EUR")
	en[0], en[1] = product("A", "Alpha en", "1.20 EUR"), product("B", "Beta en", "2.40 EUR")
	feeds.set("/fr.tsv", feedFile(fr[0], fr[1], fr[3]))
	feeds.set("/en.tsv", feedFile(en...))
	j := same("ReimportUnderOverrides")
	if c := j.Counts; c.Drifted != 1 || c.Updated != 2 || c.Missing != 1 || c.Failed != 1 {
		t.Errorf("re-import under overrides: %+v", c)
	}
}
