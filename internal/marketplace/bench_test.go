package marketplace_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fetch"
	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

// benchHeader is the feed's header: the columns a typical Letzshop export
// fills, in the order of the samples.
const benchHeader = "id\titem_group_id\ttitle\tdescription\tlink\timage_link\tavailability\tprice\tbrand\tgtin\tgoogle_product_category\n"

var (
	benchWords = []string{"coton", "bio", "Lëtzebuerg", "artisanal", "laine", "chêne", "céramique", "miel", "savon", "lin",
		"Mullerthal", "Esch", "Moselle", "recyclé", "fait main", "émaillé", "tressé", "naturel", "local", "édition limitée"}
	benchBrands     = []string{"Atelier Demo", "Kaffisbud", "Mëllerdall Miel", "Schmëdd & Co", "Op der Gare", "Lëtz Design", "Bëschhaus"}
	benchCategories = []string{"Apparel & Accessories > Clothing > Shirts & Tops", "Food, Beverages & Tobacco > Food Items",
		"Home & Garden > Decor", "Health & Beauty > Personal Care > Cosmetics", "Home & Garden > Kitchen & Dining > Tableware"}
	benchAvail = []string{"in stock", "in stock", "in stock", "out of stock", "preorder"}
)

// benchGTIN is a valid GTIN-13 for row i (5412345 is a Luxembourg-style
// company prefix), or "" for every fifth row.
func benchGTIN(i int) string {
	if i%5 == 4 {
		return ""
	}
	v := fmt.Sprintf("54%010d", i)
	sum := 0
	for k := len(v) - 1; k >= 0; k-- {
		d := int(v[k] - '0')
		if (len(v)-1-k)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return v + strconv.Itoa((10-sum%10)%10)
}

// benchRow appends row i of the generated feed (tab-separated, LF).
func benchRow(b []byte, i int) []byte {
	w := func(k int) string { return benchWords[(i*7+k*13)%len(benchWords)] }
	id := fmt.Sprintf("LS-%07d", i)
	b = append(b, id...)
	b = append(b, '\t')
	if i%3 != 0 { // two rows in three are variants, three to a group
		b = fmt.Appendf(b, "LS-G%06d", i/3)
	}
	b = fmt.Appendf(b, "\tProduit %s %s %s n° %d", w(0), w(1), w(2), i)
	// A description of about 100 characters.
	b = fmt.Appendf(b, "\tArticle %s et %s, %s à la main au Luxembourg ; pièce %d, %s, %s et %s.",
		w(3), w(4), w(5), i, w(6), w(7), w(8))
	b = fmt.Appendf(b, "\thttps://letzshop.lu/fr/vendors/bench/products/%s", strings.ToLower(id))
	b = fmt.Appendf(b, "\thttps://img.example.lu/bench/%s.jpg", strings.ToLower(id))
	b = append(b, '\t')
	b = append(b, benchAvail[i%len(benchAvail)]...)
	cents := 99 + (i*37)%20000
	b = fmt.Appendf(b, "\t%d.%02d EUR\t", cents/100, cents%100)
	b = append(b, benchBrands[i%len(benchBrands)]...)
	b = append(b, '\t')
	b = append(b, benchGTIN(i)...)
	b = append(b, '\t')
	b = append(b, benchCategories[i%len(benchCategories)]...)
	return append(b, '\n')
}

// benchWriteFeed writes an n-row feed to path, streaming, and returns its
// size.
func benchWriteFeed(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.WriteString(benchHeader); err != nil {
		f.Close()
		return 0, err
	}
	var row []byte
	for i := range n {
		row = benchRow(row[:0], i)
		if _, err := w.Write(row); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

// benchFeed writes an n-row feed into a directory removed when the
// benchmark (or test) ends, and returns its path.
func benchFeed(tb testing.TB, n int) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), fmt.Sprintf("feed-%d.tsv", n))
	start := time.Now()
	size, err := benchWriteFeed(p, n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("feed of %d rows: %.1f MB, written in %s", n, float64(size)/1e6, time.Since(start).Round(time.Millisecond))
	return p
}

// benchServe serves the file at path from a loopback server and returns
// its URL.
func benchServe(tb testing.TB, path string) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/tab-separated-values; charset=utf-8")
		http.ServeFile(w, r, path)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/feed-fr.tsv"
}

// benchService is the import service as production builds it, with the
// download guard letting the loopback server through; maxBytes 0 keeps the
// default download limit.
func benchService(db *tenantdb.DB, maxBytes int64) *marketplace.Service {
	return marketplace.New(db, marketplace.Options{Fetch: fetch.Options{
		Allow:    []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		MaxBytes: maxBytes,
	}}, nil, nil)
}

// benchImport configures tn's import with url as its only (fr) feed, runs
// it to its end and returns how long RunJob took; it fails unless every row
// was staged.
func benchImport(tb testing.TB, db *tenantdb.DB, svc *marketplace.Service, tn *tenantdb.Tenant, url string, rows int) time.Duration {
	tb.Helper()
	ctx := context.Background()
	var job marketplace.Job
	err := db.Tx(ctx, tn, func(ctx context.Context) error {
		_, err := svc.SetConfig(ctx, 0, marketplace.Config{Feeds: []schema.FeedURL{{Language: "fr", URL: url}}, Schedule: marketplace.ScheduleOff, Active: true})
		if err != nil {
			return err
		}
		job, err = svc.Trigger(ctx, nil, false, marketplace.TriggerManual)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if err := svc.RunJob(ctx, tn, job.ID); err != nil {
		tb.Fatal(err)
	}
	took := time.Since(start)
	var staged int
	err = db.ReadTx(ctx, tn, func(ctx context.Context) error {
		if job, err = svc.Job(ctx, job.ID); err != nil {
			return err
		}
		tx, err := tenantdb.SQLTx(ctx)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM staged_products`).Scan(&staged)
	})
	if err != nil {
		tb.Fatal(err)
	}
	if job.Status != marketplace.StatusSucceeded || job.Counts.Rows != rows || job.Counts.Created != rows || job.Counts.Failed != 0 || staged != rows {
		tb.Fatalf("import: status %s, counts %+v, %d staged; want %d rows created (%s)", job.Status, job.Counts, staged, rows, job.Error)
	}
	return took
}

// benchCopyRow is one staged_products row as the importer writes it for a
// new product, precomputed for the baseline.
type benchCopyRow struct {
	feedID, group, title, brand, availability, category, currency, items, raw string
	price                                                                     sql.NullInt64
}

// benchCopyRows reads the feed with the importer's reader and builds the
// values the importer COPYs into staged_products: the same display
// columns, and items and raw as {"fr": ...}.
func benchCopyRows(tb testing.TB, path string) []benchCopyRow {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := letzshop.NewReader(f, letzshop.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	var out []benchCopyRow
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		it := &rec.Item
		item, err := json.Marshal(it)
		if err != nil {
			tb.Fatal(err)
		}
		cells := make([][2]string, len(rec.Fields))
		for i, c := range rec.Fields {
			cells[i] = [2]string{c.Name, c.Value}
		}
		raw, err := json.Marshal(cells)
		if err != nil {
			tb.Fatal(err)
		}
		row := benchCopyRow{feedID: it.ID, group: it.ItemGroupID, title: it.Title, brand: it.Brand,
			availability: string(it.Availability), category: it.GoogleCategory,
			items: `{"fr":` + string(item) + `}`, raw: `{"fr":` + string(raw) + `}`}
		if it.Price != nil {
			row.price = sql.NullInt64{Int64: it.Price.Cents, Valid: true}
			row.currency = it.Price.Currency
		}
		out = append(out, row)
	}
	return out
}

// benchBaseline COPYs rows into a fresh copy of staged_products (same
// columns, defaults, identity and indexes: LIKE ... INCLUDING ALL) in a
// scratch schema, in one transaction, and returns how long the transaction
// took. The table is created in a transaction of its own first, so the COPY
// is not eligible for skipping WAL; it is dropped afterwards.
func benchBaseline(tb testing.TB, pool *sql.DB, like string, rows []benchCopyRow) time.Duration {
	tb.Helper()
	ctx := context.Background()
	const scratch = "bench_scratch"
	if _, err := pool.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+scratch); err != nil {
		tb.Fatal(err)
	}
	table := scratch + ".staged_products"
	if _, err := pool.ExecContext(ctx, `DROP TABLE IF EXISTS `+table); err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.ExecContext(ctx, `CREATE TABLE `+table+` (LIKE `+like+` INCLUDING ALL)`); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		if _, err := pool.ExecContext(ctx, `DROP SCHEMA `+scratch+` CASCADE`); err != nil {
			tb.Error(err)
		}
	}()
	const job = 1
	seen := `{"fr":` + strconv.Itoa(job) + `}`
	start := time.Now()
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	stmt, err := tx.PrepareContext(ctx, `COPY `+pq.QuoteIdentifier(scratch)+`.staged_products (feed_id, item_group_id, title, brand,
		availability, category, price_cents, currency, items, raw, seen, created_job, changed_job, updated_at) FROM STDIN`)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r.feedID, r.group, r.title, r.brand, r.availability, r.category,
			r.price, r.currency, r.items, r.raw, seen, job, job, now); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := stmt.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	took := time.Since(start)
	var n int
	if err := pool.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != len(rows) {
		tb.Fatalf("baseline copied %d rows of %d (%v)", n, len(rows), err)
	}
	return took
}

// benchTenant provisions a tenant for one op; drop deletes it (and its
// staged rows) so the next op starts on a database of the same size.
func benchTenant(tb testing.TB, db *tenantdb.DB, prefix string) (tn *tenantdb.Tenant, drop func()) {
	tb.Helper()
	ctx := context.Background()
	slug := tenanttest.Slug(prefix)
	tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Bench shop " + slug})
	if err != nil {
		tb.Fatalf("provision %s: %v", slug, err)
	}
	return tn, func() {
		if err := db.Delete(ctx, slug); err != nil {
			tb.Errorf("delete tenant %s: %v", slug, err)
		}
	}
}

func benchMedian(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkStaging measures a whole import of a 100,000-row single-language
// feed (download from a loopback server, spool, parse, merge into an empty
// staging area, reports, finish) into a fresh tenant per op, against a
// baseline measured in the same run: one COPY, in one transaction, of the
// same rows (the values the importer writes, precomputed) into an empty
// table like staged_products. Import and baseline alternate, one of each per
// op. It reports rows/s of each, their ratio over the whole run, and the
// median of the per-op ratios.
func BenchmarkStaging(b *testing.B) {
	const rows = 100_000
	path := benchFeed(b, rows)
	url := benchServe(b, path)
	db := tenanttest.Open(b)
	raw := tenanttest.SQL(b, tenanttest.PackageDatabase(b))
	svc := benchService(db, 0)
	copyRows := benchCopyRows(b, path)
	if len(copyRows) != rows {
		b.Fatalf("the feed reads as %d rows, want %d", len(copyRows), rows)
	}
	var imp, base time.Duration
	var ratios []float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		tn, drop := benchTenant(b, db, "bench-stage")
		runtime.GC()
		b.StartTimer()
		ti := benchImport(b, db, svc, tn, url, rows)
		b.StopTimer()
		tb := benchBaseline(b, raw, pq.QuoteIdentifier(tn.Schema)+".staged_products", copyRows)
		drop()
		imp += ti
		base += tb
		ratios = append(ratios, tb.Seconds()/ti.Seconds())
		b.Logf("import %s (%.0f rows/s), baseline COPY %s (%.0f rows/s)", ti.Round(time.Millisecond), rows/ti.Seconds(),
			tb.Round(time.Millisecond), rows/tb.Seconds())
	}
	ir := float64(b.N*rows) / imp.Seconds()
	br := float64(b.N*rows) / base.Seconds()
	b.ReportMetric(ir, "rows/s")
	b.ReportMetric(br, "baseline-rows/s")
	b.ReportMetric(ir/br, "ratio")
	b.ReportMetric(benchMedian(ratios), "median-ratio")
}

// BenchmarkPublish10k measures publishing 10,000 selected staged products
// (catalog.PublishSelected, in one tenant transaction, commit included).
// Each op imports a 10,000-row feed into a fresh tenant and selects every
// staged product first (not timed).
func BenchmarkPublish10k(b *testing.B) {
	const rows = 10_000
	url := benchServe(b, benchFeed(b, rows))
	db := tenanttest.Open(b)
	svc := benchService(db, 0)
	cat := catalog.New()
	ctx := context.Background()
	var total time.Duration
	var per []float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		tn, drop := benchTenant(b, db, "bench-pub")
		benchImport(b, db, svc, tn, url, rows)
		err := db.Tx(ctx, tn, func(ctx context.Context) error {
			n, err := svc.Select(ctx, nil, &marketplace.StagedParams{}, true)
			if err == nil && n != rows {
				err = fmt.Errorf("selected %d, want %d", n, rows)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		var res catalog.PublishResult
		err = db.Tx(ctx, tn, func(ctx context.Context) error {
			var err error
			res, err = cat.PublishSelected(ctx)
			return err
		})
		took := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Published != rows || len(res.Skipped) != 0 {
			b.Fatalf("published %d, skipped %d (first: %+v); want %d", res.Published, len(res.Skipped), res.Skipped, rows)
		}
		drop()
		total += took
		per = append(per, took.Seconds())
		b.Logf("published %d in %s", res.Published, took.Round(time.Millisecond))
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/publish")
	b.ReportMetric(benchMedian(per), "median-s/publish")
	b.ReportMetric(float64(b.N*rows)/total.Seconds(), "products/s")
}

// TestMillionRowImportRSS imports a 1,000,000-row feed, for bench/import-rss
// to measure the process's peak resident set (with /usr/bin/time -v). It is
// skipped unless BAZAAR_BENCH_RSS=1. The feed is written to disk (streamed)
// before anything else happens, and served from loopback by this process
// (sendfile: no user-space copy of the file).
func TestMillionRowImportRSS(t *testing.T) {
	if os.Getenv("BAZAAR_BENCH_RSS") != "1" {
		t.Skip("set BAZAAR_BENCH_RSS=1 (bench/import-rss does) to run")
	}
	rows := 1_000_000
	if v := os.Getenv("BAZAAR_BENCH_RSS_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("BAZAAR_BENCH_RSS_ROWS=%q", v)
		}
		rows = n
	}
	path := filepath.Join(t.TempDir(), "feed-fr.tsv")
	start := time.Now()
	size, err := benchWriteFeed(path, rows)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("feed of %d rows: %.1f MB, written in %s; peak RSS so far %s", rows, float64(size)/1e6,
		time.Since(start).Round(time.Millisecond), benchHWM())
	url := benchServe(t, path)
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "bench-rss")
	// The default download limit (200 MB) is below this file's size.
	svc := benchService(db, 4<<30)
	t.Logf("before the import: peak RSS %s", benchHWM())
	stop := benchHeapProfiles(t, os.Getenv("BAZAAR_BENCH_RSS_HEAPPROFILE"))
	took := benchImport(t, db, svc, tn, url, rows)
	stop()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("import-rss: rows %d bytes %d seconds %.1f rows/s %.0f vmhwm %s go-sys-MB %.1f heap-inuse-MB %.1f gc %d\n",
		rows, size, took.Seconds(), float64(rows)/took.Seconds(), benchHWM(), float64(ms.Sys)/(1<<20),
		float64(ms.HeapInuse)/(1<<20), ms.NumGC)
}

// benchHeapProfiles writes a heap profile to path every 5 s while the
// import runs (each replacing the last, so what is left shows the heap near
// its end) until stop is called; path "" does nothing. The allocations a
// profile lists are those live at the last GC.
func benchHeapProfiles(t *testing.T, path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			f, err := os.Create(path)
			if err != nil {
				t.Error(err)
				return
			}
			if err := pprof.WriteHeapProfile(f); err != nil {
				t.Error(err)
			}
			f.Close()
		}
	})
	return func() { close(done); wg.Wait() }
}

// benchHWM is the process's peak resident set so far (VmHWM), as Linux
// reports it.
func benchHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "?"
}
