package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importchange"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/fetch"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/queue"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestImportSurvivesAKilledServer kills the server (SIGKILL: no cleanup of
// any kind) while an import is halfway through its second language file,
// starts a new one, and checks the import finishes with exact counts and
// nothing staged or reported twice.
func TestImportSurvivesAKilledServer(t *testing.T) {
	const rows = 30000
	d := tenanttest.NewDatabase(t)
	c := newCLIOn(t, d)
	c.ok("migrate")
	c.ok("tenant", "create", "kill-shop", "--name", "Kill Shop")
	ctx := context.Background()

	feed := func(lang string) string {
		var b strings.Builder
		b.WriteString("id\ttitle\tprice\tavailability\n")
		for i := range rows {
			fmt.Fprintf(&b, "P-%06d\t%s product %d\t%d.%02d EUR\tin stock\n", i, lang, i, 1+i%90, i%100)
		}
		return b.String()
	}
	files := map[string]string{"/fr.tsv": feed("fr"), "/de.tsv": feed("de")}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(files[r.URL.Path]))
	}))
	defer srv.Close()

	db := tenanttest.OpenDatabase(t, d)
	tn, err := db.TenantBySlug(ctx, "kill-shop")
	if err != nil {
		t.Fatal(err)
	}
	market := marketplace.New(db, marketplace.Options{Fetch: fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}, nil, slog.New(slog.DiscardHandler))
	queuePool, err := db.OpenSidePool(ctx, "queue", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer queuePool.Close()
	inserter, err := queue.New(queuePool, nil, queue.Options{Schema: "river"})
	if err != nil {
		t.Fatal(err)
	}
	market.UseQueue(marketplace.Queue{Client: inserter})
	var jobID int
	err = db.Tx(ctx, tn, func(ctx context.Context) error {
		_, err := market.SetConfig(ctx, 0, marketplace.Config{Active: true, Feeds: []schema.FeedURL{
			{Language: "fr", URL: srv.URL + "/fr.tsv"}, {Language: "de", URL: srv.URL + "/de.tsv"}}})
		if err != nil {
			return err
		}
		j, err := market.Trigger(ctx, nil, false, marketplace.TriggerManual)
		jobID = j.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	job := func() *tenant.ImportJob {
		var j *tenant.ImportJob
		err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
			cl, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			j, err = cl.ImportJob.Get(ctx, jobID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	server := func() *exec.Cmd {
		return serveChild(t, d,
			"BAZAAR_IMPORTS_ALLOW_NETWORKS=127.0.0.1/32",
			"BAZAAR_IMPORTS_BATCH_SIZE=100",
			"BAZAAR_IMPORTS_PROGRESS_INTERVAL=1ms",
			"BAZAAR_IMPORTS_RESUME_CHECK=250ms",
			"BAZAAR_IMPORTS_RESUME_GRACE=250ms",
		)
	}

	first := server()
	deadline := time.Now().Add(90 * time.Second)
	for {
		j := job()
		if len(j.Languages) == 2 && j.Languages[0].Status == "done" && j.Languages[1].Status == "running" && j.RowsDone > rows+rows/10 {
			break
		}
		if j.Status != "queued" && j.Status != "running" {
			t.Fatalf("the import ended before it could be interrupted: %+v", j)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import did not reach its second file: %+v", j)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	interrupted := job()
	changes := func() map[string]int {
		out := map[string]int{}
		err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
			cl, err := tenantdb.Current(ctx)
			if err != nil {
				return err
			}
			for _, l := range []string{"fr", "de"} {
				n, err := cl.ImportChange.Query().Where(importchange.JobID(jobID), importchange.Language(l)).Count(ctx)
				if err != nil {
					return err
				}
				out[l] = n
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := changes(); got["fr"] != rows || got["de"] != 0 {
		t.Fatalf("after the kill: per-language reports %v, want fr %d and de 0 (its file rolled back)", got, rows)
	}

	restarted := time.Now()
	server()
	deadline = time.Now().Add(90 * time.Second)
	var done *tenant.ImportJob
	for {
		done = job()
		if done.Status != "queued" && done.Status != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import did not finish after the restart: %+v", done)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("interrupted at %d of %d rows; finished %s after the restart", interrupted.RowsDone, 2*rows, time.Since(restarted).Round(time.Millisecond))
	if done.Status != "succeeded" || done.Rows != 2*rows || done.Created != rows || done.Updated != 0 || done.Unchanged != 0 || done.Failed != 0 {
		t.Errorf("after the restart: %s rows %d created %d updated %d unchanged %d failed %d (interrupted at %d rows)",
			done.Status, done.Rows, done.Created, done.Updated, done.Unchanged, done.Failed, interrupted.RowsDone)
	}
	// fr created every product; de's rows merged into them.
	for i, l := range done.Languages {
		if l.Status != "done" || l.Rows != rows || l.Created+l.Merged != rows || (i == 0) != (l.Created == rows) || l.Unchanged != 0 {
			t.Errorf("language %+v", l)
		}
	}
	if done.Attempts < 2 {
		t.Errorf("attempts %d: the job was not resumed", done.Attempts)
	}
	if got := changes(); got["fr"] != rows || got["de"] != rows {
		t.Errorf("per-language reports %v, want %d each: something was reported twice or not at all", got, rows)
	}
	var staged int
	err = db.ReadTx(ctx, tn, func(ctx context.Context) error {
		cl, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		staged, err = cl.StagedProduct.Query().Count(ctx)
		return err
	})
	if err != nil || staged != rows {
		t.Errorf("staged products %d (%v), want %d", staged, err, rows)
	}
}

// serveChild runs this test binary as `bazaar serve` on d (a process of its
// own, to be killed outright), with env added to the test's settings; it is
// killed when the test ends if it is still running.
func serveChild(t *testing.T, d *tenanttest.Database, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(),
		"BAZAAR_TEST_CHILD=serve",
		"BAZAAR_ENV=development",
		"BAZAAR_DATABASE_URL="+d.URL,
		"BAZAAR_DATABASE_ROLE_PREFIX="+d.RolePrefix,
		"BAZAAR_HTTP_ADDR=127.0.0.1:0",
		"BAZAAR_LOG_LEVEL=warn",
		"BAZAAR_QUEUE_POLL_INTERVAL=100ms",
	), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}
