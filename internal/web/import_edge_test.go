package web

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestScheduledImportRuns: a vendor asking for daily imports gets one when
// it is due (the queue's periodic job claims due vendors on the platform),
// and the next is due a day later.
func TestScheduledImportRuns(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "sched")
	idle := tenanttest.Tenant(t, db, "sched-off")
	ts := start(t, db, setup{opts: defaultOptions()})
	host := hostOf(shop)
	u := ts.user(t, "owner@sched.test")
	ts.join(t, shop, u.ID, "owner")
	tok := ts.login(t, host, "owner@sched.test").access
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", feedFile(feedRow{"A", "Produit", "", "1 EUR", "in stock", "", "", ""}))
	r := ts.do(t, req{method: "PUT", host: host, path: "/api/v1/marketplace/config", token: tok,
		body: map[string]any{"feeds": []map[string]string{{"language": "fr", "url": feeds.url("/fr.tsv")}}, "schedule": "daily", "active": true}})
	if r.status != 200 || !strings.Contains(string(r.body), `"schedule":"daily"`) {
		t.Fatalf("configure: %d %s", r.status, r.body)
	}
	ctx := context.Background()
	var next time.Time
	pool := tenanttest.SQL(t, tenanttest.PackageDatabase(t))
	if err := pool.QueryRowContext(ctx, `SELECT next_import_at FROM platform.vendors WHERE id = $1`, shop.ID).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(next); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("next import due in %s, want a day", d)
	}
	var idleNext *time.Time
	if err := pool.QueryRowContext(ctx, `SELECT next_import_at FROM platform.vendors WHERE id = $1`, idle.ID).Scan(&idleNext); err != nil || idleNext != nil {
		t.Fatalf("a vendor without a schedule is due at %v (%v)", idleNext, err)
	}
	// It falls due; the scheduler runs when the queue starts.
	if _, err := pool.ExecContext(ctx, `UPDATE platform.vendors SET next_import_at = now() - interval '1 minute' WHERE id = $1`, shop.ID); err != nil {
		t.Fatal(err)
	}
	ts.queue = startQueue(t, db, ts.market, ts.vendors, ts.system, ts.accounts)
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := ts.do(t, req{method: "GET", host: host, path: "/api/v1/marketplace/imports", token: tok})
		if strings.Contains(string(r.body), `"trigger":"schedule"`) {
			var out struct{ Items []importJob }
			r.decode(t, &out)
			j := ts.waitImport(t, host, tok, out.Items[0].ID)
			if j.Status != "succeeded" || j.Counts.Created != 1 {
				t.Errorf("scheduled import %+v", j)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled import: %s", r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := pool.QueryRowContext(ctx, `SELECT next_import_at FROM platform.vendors WHERE id = $1`, shop.ID).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(next); d < 23*time.Hour {
		t.Errorf("after the scheduled import the next is due in %s", d)
	}
	// Switching the schedule off clears it.
	r = ts.do(t, req{method: "PUT", host: host, path: "/api/v1/marketplace/config", token: tok,
		body: map[string]any{"feeds": []map[string]string{{"language": "fr", "url": feeds.url("/fr.tsv")}}, "schedule": "off", "active": true}})
	var cleared *time.Time
	if err := pool.QueryRowContext(ctx, `SELECT next_import_at FROM platform.vendors WHERE id = $1`, shop.ID).Scan(&cleared); err != nil || cleared != nil {
		t.Errorf("schedule off: next import %v (%v) %s", cleared, err, fmt.Sprint(r.status))
	}
}

// TestBrokenFileLosesNothing: a file that stops at a broken line (an
// unclosed quote) is refused whole, with its line; what earlier imports
// staged stays as it was, and nothing is marked missing on its account.
func TestBrokenFileLosesNothing(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "broken")
	ts := start(t, db, setup{opts: defaultOptions(), queue: true})
	host := hostOf(shop)
	u := ts.user(t, "owner@broken.test")
	ts.join(t, shop, u.ID, "owner")
	tok := ts.login(t, host, "owner@broken.test").access
	feeds := newFeedServer(t)
	good := feedFile(feedRow{"A", "Alpha", "", "1 EUR", "in stock", "", "", ""}, feedRow{"B", "Beta", "", "2 EUR", "in stock", "", "", ""})
	feeds.set("/fr.tsv", good)
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	if j := ts.runImport(t, host, tok, ""); j.Status != "succeeded" || j.Counts.Created != 2 {
		t.Fatalf("first import %+v", j)
	}
	feeds.set("/fr.tsv", feedHeader+"A\tAlpha changed\t\t5 EUR\tin stock\t\t\t\nB\t\"Beta never closed\t\t2 EUR\tin stock\t\t\t\n")
	j := ts.runImport(t, host, tok, "")
	if j.Status != "failed" || j.Languages[0].Status != "failed" || !strings.Contains(j.Languages[0].Error, "line 3") {
		t.Errorf("broken file: %+v", j)
	}
	got := ts.staged(t, host, tok, "")
	if len(got) != 2 || findStaged(t, got, "A").Title != "Alpha" || findStaged(t, got, "A").Missing || findStaged(t, got, "B").Missing {
		t.Errorf("staging after a refused file: %+v", got)
	}
}

// TestCancelDuringStaging: a cancel sent while a file is being merged is
// answered at once (it does not wait for the file's transaction) and stops
// the import at its next batch, rolling the file back.
func TestCancelDuringStaging(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "cancel")
	ts := start(t, db, setup{opts: defaultOptions(), queue: true, market: func(o *marketplace.Options) { o.BatchSize = 20 }})
	host := hostOf(shop)
	u := ts.user(t, "owner@cancel.test")
	ts.join(t, shop, u.ID, "owner")
	tok := ts.login(t, host, "owner@cancel.test").access
	var b strings.Builder
	b.WriteString(feedHeader)
	for i := range 20000 {
		fmt.Fprintf(&b, "P-%05d\tProduit %d\t\t1 EUR\tin stock\t\t\t\n", i, i)
	}
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", b.String())
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/marketplace/import", token: tok})
	var j importJob
	r.decode(t, &j)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := ts.do(t, req{method: "GET", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d", j.ID), token: tok})
		var now importJob
		r.decode(t, &now)
		if now.Progress.RowsDone > 0 {
			break
		}
		if now.Status != "queued" && now.Status != "running" || time.Now().After(deadline) {
			t.Fatalf("never caught the import staging: %s", r.body)
		}
		time.Sleep(2 * time.Millisecond)
	}
	c := ts.do(t, req{method: "POST", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/cancel", j.ID), token: tok})
	if c.status != 200 {
		t.Fatalf("cancel: %d %s", c.status, c.body)
	}
	done := ts.waitImport(t, host, tok, j.ID)
	if done.Status != "cancelled" || done.Languages[0].Status != "cancelled" {
		t.Errorf("after cancel: %+v", done)
	}
	if got := ts.staged(t, host, tok, "?limit=1"); len(got) != 0 {
		t.Errorf("a cancelled file left staged products: %+v", got)
	}
}

// TestDuplicateIDsAcrossBatches: an id repeated in one file is refused with
// the line it first appeared on, whether the first is in the same batch or
// one already written (the database, not the reader, remembers the ids).
func TestDuplicateIDsAcrossBatches(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "dups")
	ts := start(t, db, setup{opts: defaultOptions(), queue: true, market: func(o *marketplace.Options) { o.BatchSize = 4 }})
	host := hostOf(shop)
	u := ts.user(t, "owner@dups.test")
	ts.join(t, shop, u.ID, "owner")
	tok := ts.login(t, host, "owner@dups.test").access
	var rows []feedRow
	for i := range 10 {
		rows = append(rows, feedRow{fmt.Sprintf("P-%d", i), "Produit", "", "1 EUR", "in stock", "", "", ""})
	}
	rows = append(rows, feedRow{"P-1", "Encore", "", "1 EUR", "in stock", "", "", ""}) // line 12: P-1 is on line 3, batches ago
	rows = append(rows, feedRow{"P-10", "Nouveau", "", "1 EUR", "in stock", "", "", ""}, feedRow{"P-10", "Doublon", "", "1 EUR", "in stock", "", "", ""})
	rows = append(rows, feedRow{"=SUM(A1)", "", "", "1 EUR", "in stock", "", "", ""}) // line 15: no title, and a formula for spreadsheets
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", feedFile(rows...))
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	for _, dry := range []string{"?dry_run=true", ""} {
		j := ts.runImport(t, host, tok, dry)
		if j.Counts.Rows != 14 || j.Counts.Failed != 3 || j.Counts.Created != 11 {
			t.Errorf("%q: %+v", dry, j.Counts)
		}
		r := ts.do(t, req{method: "GET", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/errors.csv", j.ID), token: tok})
		want := "language,line,column,field,reason,raw,raw_note\n" +
			"fr,12,1,id,\"\"\"P-1\"\" already appears on line 3\",P-1\tEncore\t\t1 EUR\tin stock\t\t\t,\n" +
			"fr,14,1,id,\"\"\"P-10\"\" already appears on line 13\",P-10\tDoublon\t\t1 EUR\tin stock\t\t\t,\n" +
			"fr,15,2,title,is required,'=SUM(A1)\t\t\t1 EUR\tin stock\t\t\t,\n"
		if string(r.body) != want {
			t.Errorf("%q errors:\n%s\nwant\n%s", dry, r.body, want)
		}
	}
	if got := ts.staged(t, host, tok, "?q=P-1"); len(got) != 1 || got[0].Title != "Produit" {
		t.Errorf("the first P-1 must win: %+v", got)
	}
}

// TestShopShowsOnlyActiveProducts: shoppers see active products, whatever
// they ask for; the vendor sees every status.
func TestShopShowsOnlyActiveProducts(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "status")
	ts := start(t, db, setup{opts: defaultOptions()})
	host := hostOf(shop)
	u := ts.user(t, "owner@status.test")
	ts.join(t, shop, u.ID, "owner")
	tok := ts.login(t, host, "owner@status.test").access
	for _, p := range []struct{ sku, status string }{{"ON-SALE", "active"}, {"NOT-YET", "draft"}, {"GONE", "archived"}} {
		r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/products", token: tok,
			body: map[string]any{"sku": p.sku, "title": map[string]string{"en": p.sku}, "price_cents": 100, "status": p.status}})
		if r.status != 201 {
			t.Fatalf("create %s: %d %s", p.sku, r.status, r.body)
		}
	}
	for _, q := range []string{"", "?status=draft", "?status=archived"} {
		r := ts.do(t, req{method: "GET", host: host, path: "/api/v1/shop/products" + q})
		if r.status != 200 || !strings.Contains(string(r.body), "ON-SALE") || strings.Contains(string(r.body), "NOT-YET") || strings.Contains(string(r.body), "GONE") {
			t.Errorf("shop listing %q: %d %s", q, r.status, r.body)
		}
	}
	page := ts.do(t, req{method: "GET", host: host, path: "/"})
	if strings.Contains(string(page.body), "NOT-YET") || !strings.Contains(string(page.body), "ON-SALE") {
		t.Errorf("shop home: %s", page.body)
	}
	r := ts.do(t, req{method: "GET", host: host, path: "/api/v1/products?status=draft", token: tok})
	if !strings.Contains(string(r.body), "NOT-YET") || strings.Contains(string(r.body), "ON-SALE") {
		t.Errorf("vendor listing of drafts: %s", r.body)
	}
}

// TestShopShowsAPublicView: a shopper's product is what it is, what it costs
// and whether it can be had — no stock counts, status, import provenance or
// overrides, which are the vendor's business.
func TestShopShowsAPublicView(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "public")
	ts := start(t, db, setup{opts: defaultOptions()})
	host := hostOf(shop)
	u := ts.user(t, "owner@public.test")
	ts.join(t, shop, u.ID, "owner")
	tok := ts.login(t, host, "owner@public.test").access
	for sku, stock := range map[string]any{"PLENTY": 7, "SOLD-OUT": 0, "UNTRACKED": nil} {
		r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/products", token: tok,
			body: map[string]any{"sku": sku, "title": map[string]string{"en": sku}, "price_cents": 100, "status": "active", "stock": stock}})
		if r.status != 201 {
			t.Fatalf("create %s: %d %s", sku, r.status, r.body)
		}
	}
	r := ts.do(t, req{method: "GET", host: host, path: "/api/v1/shop/products"})
	var pg struct {
		Items []map[string]any `json:"items"`
	}
	r.decode(t, &pg)
	if r.status != 200 || len(pg.Items) != 3 {
		t.Fatalf("shop listing: %d %s", r.status, r.body)
	}
	want := []string{"availability", "brand", "currency", "description", "gtin", "id", "images", "item_group_id",
		"price_cents", "sale_price_cents", "sku", "title", "vat_rate_bp"}
	for _, p := range pg.Items {
		if got := slices.Sorted(maps.Keys(p)); !slices.Equal(got, want) {
			t.Errorf("a shopper's product has %v, want exactly %v", got, want)
		}
		wantAvail := map[string]string{"PLENTY": "in_stock", "SOLD-OUT": "out_of_stock", "UNTRACKED": "in_stock"}[p["sku"].(string)]
		if p["availability"] != wantAvail {
			t.Errorf("%s: availability %v, want %s", p["sku"], p["availability"], wantAvail)
		}
	}
}
