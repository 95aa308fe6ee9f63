package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// flakyFeed answers 503 to its first fails requests (every one when fails
// is negative), then the feed.
func flakyFeed(t *testing.T, fails int32, body string) (url string, hits *atomic.Int32) {
	hits = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := hits.Add(1); fails < 0 || n <= fails {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/fr.tsv", hits
}

// trigger starts an import and returns its id.
func (ts *testServer) trigger(t *testing.T, host, tok string) int {
	t.Helper()
	r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/marketplace/import", token: tok})
	if r.status != http.StatusAccepted {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	var j importJob
	r.decode(t, &j)
	return j.ID
}

// waitFor polls an import until ok says so, for at most within.
func (ts *testServer) waitFor(t *testing.T, host, tok string, id int, within time.Duration, what string, ok func(importJob) bool) importJob {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r := ts.do(t, req{method: "GET", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d", id), token: tok})
		var j importJob
		r.decode(t, &j)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d not %s within %s: %s", id, what, within, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ended(j importJob) bool { return j.Status != "queued" && j.Status != "running" }

// TestTransientDownloadFailureIsRetried: a feed server answering 503 makes
// the attempt end and the job wait, queued, showing the attempt, the reason
// and the next try; the next attempts succeed.
func TestTransientDownloadFailureIsRetried(t *testing.T) {
	ts, _, host, tok := importShop(t, "retry", setup{market: func(o *marketplace.Options) {
		o.MaxAttempts, o.BackoffBase, o.BackoffMax = 4, time.Second, time.Second
	}})
	url, hits := flakyFeed(t, 2, feedFile(product("A", "Alpha", "1 EUR"), product("B", "Beta", "2 EUR")))
	ts.configure(t, host, tok, map[string]string{"fr": url}, "fr")
	id := ts.trigger(t, host, tok)
	waiting := ts.waitFor(t, host, tok, id, 30*time.Second, "waiting for its second attempt", func(j importJob) bool {
		return j.Status == "queued" && j.Attempts == 1 || ended(j)
	})
	if waiting.Status != "queued" || waiting.MaxAttempts != 4 || waiting.NextAttemptAt == nil || waiting.Languages[0].Status != "pending" ||
		waiting.LastError != "the fr file "+url+": the server answered 503 Service Unavailable" {
		t.Errorf("while it waits: %+v", waiting)
	}
	done := ts.waitImport(t, host, tok, id)
	if done.Status != "succeeded" || done.Attempts != 3 || done.Counts.Created != 2 || done.NextAttemptAt != nil || hits.Load() != 3 {
		t.Errorf("after the retries (%d downloads): %+v", hits.Load(), done)
	}
}

// TestTransientFailureIsBounded: a feed server that never recovers fails
// its language on the last attempt, with the server's answer, and the job
// ends.
func TestTransientFailureIsBounded(t *testing.T) {
	ts, _, host, tok := importShop(t, "bounded", setup{market: func(o *marketplace.Options) {
		o.MaxAttempts, o.BackoffBase, o.BackoffMax = 3, 50*time.Millisecond, 100*time.Millisecond
	}})
	url, hits := flakyFeed(t, -1, "")
	ts.configure(t, host, tok, map[string]string{"fr": url}, "fr")
	j := ts.waitImport(t, host, tok, ts.trigger(t, host, tok))
	if j.Status != "failed" || j.Attempts != 3 || hits.Load() != 3 || j.Languages[0].Error != "the server answered 503 Service Unavailable" ||
		j.Error != "the fr file "+url+": the server answered 503 Service Unavailable" {
		t.Errorf("after %d downloads: %+v", hits.Load(), j)
	}
}

// TestPermanentFailureFailsAtOnce: a failure a retry cannot fix (here the
// database refusing a row, which no edge check foresaw) fails the job at
// its first attempt, saying so without the database's words, and frees the
// vendor's import slot.
func TestPermanentFailureFailsAtOnce(t *testing.T) {
	ts, shop, host, tok := importShop(t, "poison", setup{})
	if _, err := tenanttest.SQL(t, tenanttest.PackageDatabase(t)).ExecContext(context.Background(),
		`ALTER TABLE `+shop.Schema+`.staged_products ADD CONSTRAINT poison_title CHECK (title <> 'POISON')`); err != nil {
		t.Fatal(err)
	}
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", feedFile(product("A", "Alpha", "1 EUR"), product("P", "POISON", "1 EUR")))
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	id := ts.trigger(t, host, tok)
	j := ts.waitFor(t, host, tok, id, 15*time.Second, "ended", ended)
	want := fmt.Sprintf("an internal error stopped the import (logged with import %d, attempt 1)", id)
	if j.Status != "failed" || j.Attempts != 1 || j.Error != want || j.LastError != want || j.Languages[0].Status != "failed" {
		t.Errorf("job %+v", j)
	}
	if got := ts.staged(t, host, tok, ""); len(got) != 0 {
		t.Errorf("staged: %+v", got)
	}
	if r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/marketplace/import", token: tok}); r.status != http.StatusAccepted {
		t.Errorf("the next import: %d %s", r.status, r.body)
	}
}

// TestDatabaseRestartIsRetried: the staging connection killed mid-file (a
// database restart, as the import sees it) rolls the file back; the job
// waits, says why, and its next attempt imports the file exactly.
func TestDatabaseRestartIsRetried(t *testing.T) {
	ts, _, host, tok := importShop(t, "dbdown", setup{market: func(o *marketplace.Options) {
		o.BatchSize, o.BackoffBase, o.BackoffMax = 20, 200*time.Millisecond, 200*time.Millisecond
	}})
	const rows = 10000
	var b strings.Builder
	b.WriteString(feedHeader)
	for i := range rows {
		fmt.Fprintf(&b, "P-%05d\tProduit %d\t\t1 EUR\tin stock\t\t\t\n", i, i)
	}
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", b.String())
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	id := ts.trigger(t, host, tok)
	ts.waitFor(t, host, tok, id, 30*time.Second, "staging", func(j importJob) bool { return j.Progress.RowsDone > 0 || ended(j) })
	// The staging transaction is the oldest one open: the others (progress,
	// the cancel watch, the queue) are short.
	var killed bool
	if err := tenanttest.SQL(t, tenanttest.PackageDatabase(t)).QueryRowContext(context.Background(), `
		SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
			AND xact_start IS NOT NULL AND state <> 'idle'
		ORDER BY xact_start LIMIT 1`).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the staging connection: %v %v", killed, err)
	}
	j := ts.waitImport(t, host, tok, id)
	if j.Status != "succeeded" || j.Attempts != 2 || j.LastError != "the database could not be reached" ||
		j.Counts.Rows != rows || j.Counts.Created != rows || j.Languages[0].Created != rows {
		t.Errorf("job %+v", j)
	}
}

// TestCancelWhileRetryWaits: a job waiting for its next attempt is
// cancelled at once — its status, the vendor's import slot, and its queue
// job.
func TestCancelWhileRetryWaits(t *testing.T) {
	ts, shop, host, tok := importShop(t, "waitcancel", setup{market: func(o *marketplace.Options) {
		o.BackoffBase, o.BackoffMax = time.Hour, time.Hour
	}})
	url, _ := flakyFeed(t, -1, "")
	ts.configure(t, host, tok, map[string]string{"fr": url}, "fr")
	id := ts.trigger(t, host, tok)
	ts.waitFor(t, host, tok, id, 30*time.Second, "waiting for its second attempt", func(j importJob) bool { return j.NextAttemptAt != nil || ended(j) })
	r := ts.do(t, req{method: "POST", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/cancel", id), token: tok})
	var j importJob
	r.decode(t, &j)
	if r.status != http.StatusOK || j.Status != "cancelled" || j.NextAttemptAt != nil || j.Languages[0].Status != "cancelled" {
		t.Errorf("cancel: %d %s", r.status, r.body)
	}
	// The queue records an attempt's end a moment after it (in batches).
	var state string
	raw := tenanttest.SQL(t, tenanttest.PackageDatabase(t))
	for deadline := time.Now().Add(5 * time.Second); state != "cancelled" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		err := raw.QueryRowContext(context.Background(), `SELECT state FROM river.river_job
			WHERE kind = 'marketplace_import' AND args @> jsonb_build_object('vendor_id', $1::int, 'job_id', $2::int)`, shop.ID, id).Scan(&state)
		if err != nil {
			t.Fatal(err)
		}
	}
	if state != "cancelled" {
		t.Errorf("queue job: %q", state)
	}
	if r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/marketplace/import", token: tok}); r.status != http.StatusAccepted {
		t.Errorf("the next import: %d %s", r.status, r.body)
	}
}

// TestCancelDuringDownload: a cancel reaches an import waiting on a slow
// download within seconds.
func TestCancelDuringDownload(t *testing.T) {
	ts, _, host, tok := importShop(t, "dlcancel", setup{market: func(o *marketplace.Options) { o.CancelCheck = 50 * time.Millisecond }})
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", feedFile(product("A", "Alpha", "1 EUR")))
	release := feeds.hold("/fr.tsv")
	defer release()
	ts.configure(t, host, tok, map[string]string{"fr": feeds.url("/fr.tsv")}, "fr")
	id := ts.trigger(t, host, tok)
	ts.waitFor(t, host, tok, id, 30*time.Second, "downloading", func(j importJob) bool { return j.Languages[0].Status == "running" || ended(j) })
	if r := ts.do(t, req{method: "POST", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/cancel", id), token: tok}); r.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	j := ts.waitFor(t, host, tok, id, 5*time.Second, "ended", ended)
	if j.Status != "cancelled" || j.Languages[0].Status != "cancelled" {
		t.Errorf("job %+v", j)
	}
}

// TestCancelAnOrphanedImport: an import left running by a worker that died
// (nobody holds the vendor's import lock) is cancelled at once rather than
// waiting for a worker that will never look.
func TestCancelAnOrphanedImport(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "orphan")
	ts := start(t, db, setup{opts: defaultOptions()}) // no queue: nothing runs it
	host := hostOf(shop)
	u := ts.user(t, "owner@orphan.test")
	ts.join(t, shop, u.ID, "owner")
	tok := ts.login(t, host, "owner@orphan.test").access
	ts.configure(t, host, tok, map[string]string{"fr": "http://feeds.example.com/fr.tsv"}, "fr")
	id := ts.trigger(t, host, tok)
	err := db.Tx(context.Background(), shop, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		return c.ImportJob.UpdateOneID(id).SetStatus(importjob.StatusRunning).AddAttempts(1).Exec(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	r := ts.do(t, req{method: "POST", host: host, path: fmt.Sprintf("/api/v1/marketplace/imports/%d/cancel", id), token: tok})
	var j importJob
	r.decode(t, &j)
	if r.status != http.StatusOK || j.Status != "cancelled" {
		t.Errorf("cancel: %d %s", r.status, r.body)
	}
}
