package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestSelectionAtScale: selecting and unselecting by filter works however
// many staged products match — past PostgreSQL's 65,535 bind parameters,
// where unselecting once sent every id as a parameter of its own (a 500) —
// and ids repeated in one call are one product, not "not found".
func TestSelectionAtScale(t *testing.T) {
	ts, shop, host, tok := importShop(t, "select-scale", setup{})
	const n = 70_000
	raw := tenanttest.SQL(t, tenanttest.PackageDatabase(t))
	if _, err := raw.ExecContext(context.Background(), `INSERT INTO `+shop.Schema+`.staged_products
		(feed_id, title, items, raw, seen, created_job, changed_job, updated_at)
		SELECT 'F-' || g, 'Bulk ' || g, '{}', '{}', '{}', 0, 0, now() FROM generate_series(1, $1::int) g`, n); err != nil {
		t.Fatal(err)
	}
	selectBy := func(body map[string]any) *resp {
		t.Helper()
		return ts.do(t, req{method: "POST", host: host, path: "/api/v1/marketplace/products/select", token: tok, body: body})
	}
	if r := selectBy(map[string]any{"filter": map[string]any{"q": "Bulk"}, "selected": true}); r.status != http.StatusOK || !strings.Contains(string(r.body), `"changed":70000`) {
		t.Fatalf("select by filter: %d %s", r.status, r.body)
	}
	if r := selectBy(map[string]any{"filter": map[string]any{"q": "Bulk"}, "selected": false}); r.status != http.StatusOK || !strings.Contains(string(r.body), `"changed":70000`) {
		t.Fatalf("unselect by filter: %d %s", r.status, r.body)
	}
	first := ts.staged(t, host, tok, "?limit=1")
	if len(first) != 1 {
		t.Fatal("no staged product")
	}
	id := first[0].ID
	if r := selectBy(map[string]any{"ids": []int{id, id}, "selected": true}); r.status != http.StatusOK || !strings.Contains(string(r.body), `"changed":1`) {
		t.Errorf("an id given twice: %d %s", r.status, r.body)
	}
}
