package web

import (
	"sort"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// importShop starts a server running imports on the queue and signs in the
// owner of a fresh shop.
func importShop(t *testing.T, slug string, su setup) (ts *testServer, host, tok string) {
	t.Helper()
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, slug)
	su.opts, su.queue = defaultOptions(), true
	ts = start(t, db, su)
	host = hostOf(shop)
	u := ts.user(t, "owner@"+slug+".test")
	ts.join(t, shop, u.ID, "owner")
	return ts, host, ts.login(t, host, "owner@"+slug+".test").access
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
	ts, host, tok := importShop(t, "missing", setup{})
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
