package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// feedServer serves feed files on loopback; tests change them between
// imports and may hold a file back (gate) to catch an import mid-flight.
type feedServer struct {
	mu    sync.Mutex
	files map[string]string
	gates map[string]chan struct{}
	srv   *httptest.Server
}

func newFeedServer(t testing.TB) *feedServer {
	f := &feedServer{files: map[string]string{}, gates: map[string]chan struct{}{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		body, ok := f.files[r.URL.Path]
		gate := f.gates[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/tab-separated-values; charset=utf-8")
		if gate != nil {
			half := len(body) / 2
			w.Write([]byte(body[:half]))
			w.(http.Flusher).Flush()
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
			body = body[half:]
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *feedServer) set(path, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = body
}

// hold makes the next downloads of path stop halfway until the returned
// function is called.
func (f *feedServer) hold(path string) (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	gate := make(chan struct{})
	f.gates[path] = gate
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.gates, path)
			f.mu.Unlock()
			close(gate)
		})
	}
}

func (f *feedServer) url(path string) string { return f.srv.URL + path }

// gtin completes a 12-digit prefix with its EAN-13 check digit.
func gtin(prefix string) string {
	sum := 0
	for i := len(prefix) - 1; i >= 0; i-- {
		d := int(prefix[i] - '0')
		if (len(prefix)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return prefix + fmt.Sprint((10-sum%10)%10)
}

const feedHeader = "id\ttitle\tdescription\tprice\tavailability\tbrand\tgtin\tatalanda:quantity\n"

// feedRow is one product line of a test feed.
type feedRow struct{ id, title, desc, price, avail, brand, gtin, qty string }

func feedFile(rows ...feedRow) string {
	var b strings.Builder
	b.WriteString(feedHeader)
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.id, r.title, r.desc, r.price, r.avail, r.brand, r.gtin, r.qty)
	}
	return b.String()
}

// importJob is the part of an import job the tests read.
type importJob struct {
	ID        int    `json:"id"`
	Status    string `json:"status"`
	DryRun    bool   `json:"dry_run"`
	Error     string `json:"error"`
	Languages []struct {
		Language                                                   string
		Status                                                     string
		Error                                                      string
		Rows, Created, Merged, Updated, Unchanged, Missing, Failed int
	} `json:"languages"`
	Counts struct {
		Rows, Created, Updated, Unchanged, Missing, Failed, Drifted, Disagreements int
	} `json:"counts"`
	Progress struct {
		RowsDone int64 `json:"rows_done"`
	} `json:"progress"`
	CancelRequested bool       `json:"cancel_requested"`
	Attempts        int        `json:"attempts"`
	MaxAttempts     int        `json:"max_attempts"`
	LastError       string     `json:"last_error"`
	NextAttemptAt   *time.Time `json:"next_attempt_at"`
}

// waitImport polls an import until it has finished.
func (ts *testServer) waitImport(t testing.TB, host, token string, id int) importJob {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	sc := ts.scenarios(host, map[string]string{"caller": token})
	for {
		r := sc.send(t, scenario{as: "caller", method: "GET", path: fmt.Sprintf("/api/v1/marketplace/imports/%d", id), wantStatus: http.StatusOK})
		var j importJob
		r.decode(t, &j)
		if j.Status != "queued" && j.Status != "running" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d still %s: %s", id, j.Status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runImport triggers an import over HTTP and waits for its end.
func (ts *testServer) runImport(t testing.TB, host, token, query string) importJob {
	t.Helper()
	r := ts.scenarios(host, map[string]string{"caller": token}).send(t, scenario{name: "trigger import", as: "caller",
		method: "POST", path: "/api/v1/marketplace/import" + query, wantStatus: http.StatusAccepted})
	var j importJob
	r.decode(t, &j)
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/marketplace/imports/%d", j.ID) {
		t.Errorf("Location %q", loc)
	}
	return ts.waitImport(t, host, token, j.ID)
}

func (ts *testServer) configure(t testing.TB, host, token string, feeds map[string]string, order ...string) {
	t.Helper()
	var fs []map[string]string
	for _, l := range order {
		fs = append(fs, map[string]string{"language": l, "url": feeds[l]})
	}
	ts.scenarios(host, map[string]string{"caller": token}).send(t, scenario{name: "configure", as: "caller",
		method: "PUT", path: "/api/v1/marketplace/config",
		body: map[string]any{"feeds": fs, "schedule": "off", "active": true}, wantStatus: http.StatusOK})
}

type stagedRow struct {
	ID        int    `json:"id"`
	FeedID    string `json:"feed_id"`
	Title     string `json:"title"`
	Selected  bool   `json:"selected"`
	ProductID *int   `json:"product_id"`
	Missing   bool   `json:"missing"`
}

func (ts *testServer) staged(t testing.TB, host, token, query string) []stagedRow {
	t.Helper()
	r := ts.scenarios(host, map[string]string{"caller": token}).send(t, scenario{name: "staged products", as: "caller",
		method: "GET", path: "/api/v1/marketplace/products" + query, wantStatus: http.StatusOK})
	var out struct {
		Items []stagedRow `json:"items"`
	}
	r.decode(t, &out)
	return out.Items
}

type productOut struct {
	ID          int               `json:"id"`
	SKU         string            `json:"sku"`
	Title       map[string]string `json:"title"`
	Description map[string]string `json:"description"`
	PriceCents  int64             `json:"price_cents"`
	Stock       *int              `json:"stock"`
	Status      string            `json:"status"`
	Overridden  []string          `json:"overridden"`
}

func (ts *testServer) product(t testing.TB, host, token string, id int) productOut {
	t.Helper()
	r := ts.scenarios(host, map[string]string{"caller": token}).send(t, scenario{as: "caller",
		method: "GET", path: fmt.Sprintf("/api/v1/products/%d", id), wantStatus: http.StatusOK})
	var p productOut
	r.decode(t, &p)
	return p
}

func findStaged(t testing.TB, rows []stagedRow, feedID string) stagedRow {
	t.Helper()
	for _, r := range rows {
		if r.FeedID == feedID {
			return r
		}
	}
	t.Fatalf("no staged product %s in %+v", feedID, rows)
	return stagedRow{}
}

// TestImportEndToEnd follows a vendor through the whole marketplace flow
// over HTTP, with the import running on the real queue: configure, import
// from a loopback server, browse, publish with an override, change the feed,
// re-import; the override is kept, the other fields follow the feed and the
// drift is listed — and another vendor's staging and catalogue never move.
func TestImportEndToEnd(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "imp")
	other := tenanttest.Tenant(t, db, "imp-other")
	ts := start(t, db, setup{opts: defaultOptions(), queue: true})
	host, otherHost := hostOf(shop), hostOf(other)
	owner := ts.user(t, "owner@imp.test")
	ts.join(t, shop, owner.ID, "owner")
	tok := ts.login(t, host, "owner@imp.test").access
	otherOwner := ts.user(t, "owner@imp-other.test")
	ts.join(t, other, otherOwner.ID, "owner")
	otherTok := ts.login(t, otherHost, "owner@imp-other.test").access
	sc := ts.scenarios(host, map[string]string{"owner": tok})
	oc := ts.scenarios(otherHost, map[string]string{"owner": otherTok})

	feeds := newFeedServer(t)
	honey, tee, mug := gtin("541234500101"), gtin("541234500102"), gtin("541234500103")
	fr := []feedRow{
		{"TEE-M", "T-shirt rouge M", "Coton bio", "24.90 EUR", "in stock", "Atelier", tee, "12"},
		{"HONEY", "Miel de fleurs", "Miel du Luxembourg", "9.50 EUR", "in stock", "Rucher", honey, "40"},
		{"MUG", "Tasse", "Grès", "12.00 EUR", "out of stock", "Atelier", mug, "0"},
		{"BAD", "Mauvais GTIN", "", "1.00 EUR", "in stock", "", "5412345001011", ""},
	}
	en := []feedRow{
		{"TEE-M", "Red T-shirt M", "Organic cotton", "24.90 EUR", "in stock", "Atelier", tee, "12"},
		{"HONEY", "Flower honey", "Honey from Luxembourg", "9.90 EUR", "in stock", "Rucher", honey, "40"}, // disagrees on price
		{"MUG", "Mug", "Stoneware", "12.00 EUR", "out of stock", "Atelier", mug, "0"},
	}
	feeds.set("/shop/fr.tsv", feedFile(fr...))
	feeds.set("/shop/en.tsv", feedFile(en...))
	feeds.set("/other/fr.tsv", feedFile(fr[0], fr[1]))
	urls := map[string]string{"fr": feeds.url("/shop/fr.tsv"), "en": feeds.url("/shop/en.tsv")}

	// The other vendor has its own staging and catalogue, untouched below.
	ts.configure(t, otherHost, otherTok, map[string]string{"fr": feeds.url("/other/fr.tsv")}, "fr")
	if j := ts.runImport(t, otherHost, otherTok, ""); j.Status != "succeeded" || j.Counts.Created != 2 {
		t.Fatalf("other vendor's import: %+v", j)
	}
	otherStaged := ts.staged(t, otherHost, otherTok, "")
	oc.send(t, scenario{name: "other vendor publishes", as: "owner", method: "POST",
		path: fmt.Sprintf("/api/v1/products/from-import/%d", otherStaged[0].ID), wantStatus: http.StatusCreated})
	otherBefore := oc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/products", wantStatus: http.StatusOK}).body

	ts.configure(t, host, tok, urls, "fr", "en")
	first := ts.runImport(t, host, tok, "")
	t.Run("FirstImportCounts", func(t *testing.T) {
		c := first.Counts
		if first.Status != "partially_failed" || c.Rows != 7 || c.Created != 3 || c.Updated != 0 || c.Failed != 1 || c.Missing != 0 {
			t.Errorf("job %+v", first)
		}
		if c.Disagreements != 1 {
			t.Errorf("disagreements = %d, want 1 (HONEY price)", c.Disagreements)
		}
		if len(first.Languages) != 2 || first.Languages[0].Rows != 4 || first.Languages[0].Created != 3 || first.Languages[0].Failed != 1 ||
			first.Languages[1].Rows != 3 || first.Languages[1].Created != 0 || first.Languages[1].Merged != 3 {
			t.Errorf("per language: %+v", first.Languages)
		}
	})
	t.Run("RowErrorsNameLineAndColumn", func(t *testing.T) {
		r := sc.send(t, scenario{as: "owner", method: "GET", path: fmt.Sprintf("/api/v1/marketplace/imports/%d/errors", first.ID), wantStatus: http.StatusOK})
		var out struct {
			Items []struct {
				Language, Field, Reason, Raw string
				Line, Column                 int
			} `json:"items"`
		}
		r.decode(t, &out)
		if len(out.Items) != 1 {
			t.Fatalf("errors: %s", r.body)
		}
		e := out.Items[0]
		if e.Language != "fr" || e.Line != 5 || e.Column != 7 || e.Field != "gtin" || !strings.Contains(e.Reason, "check digit") || !strings.HasPrefix(e.Raw, "BAD\t") {
			t.Errorf("error %+v", e)
		}
		sc.send(t, scenario{as: "owner", method: "GET", path: fmt.Sprintf("/api/v1/marketplace/imports/%d/errors.csv", first.ID), wantStatus: http.StatusOK,
			check: func(t testing.TB, csv *resp) {
				if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
					!strings.HasPrefix(string(csv.body), "language,line,column,field,reason,raw,raw_note\nfr,5,7,gtin,") {
					t.Errorf("csv: %s %s", csv.header.Get("Content-Type"), csv.body)
				}
			}})
	})
	t.Run("DisagreementNamesIDFieldAndLanguages", func(t *testing.T) {
		sc.send(t, scenario{as: "owner", method: "GET", path: fmt.Sprintf("/api/v1/marketplace/imports/%d/disagreements", first.ID), wantStatus: http.StatusOK,
			want: []string{`"feed_id":"HONEY","field":"price","values":{"en":"990 EUR","fr":"950 EUR"}`, `{"id":`}})
	})

	staged := ts.staged(t, host, tok, "")
	t.Run("BrowseAndFilter", func(t *testing.T) {
		if len(staged) != 3 {
			t.Fatalf("staged: %+v", staged)
		}
		if got := ts.staged(t, host, tok, "?availability=out_of_stock"); len(got) != 1 || got[0].FeedID != "MUG" {
			t.Errorf("out of stock: %+v", got)
		}
		if got := ts.staged(t, host, tok, "?q=miel"); len(got) != 1 || got[0].FeedID != "HONEY" {
			t.Errorf("search by the primary language's title: %+v", got)
		}
		if got := ts.staged(t, host, tok, "?q="+honey); len(got) != 1 || got[0].FeedID != "HONEY" {
			t.Errorf("search by GTIN: %+v", got)
		}
		if got := ts.staged(t, host, tok, "?brand=atelier&limit=1"); len(got) != 1 {
			t.Errorf("brand, one per page: %+v", got)
		}
		sc.send(t, scenario{name: "bad filter", as: "owner", method: "GET", path: "/api/v1/marketplace/products?selected=maybe",
			wantStatus: http.StatusBadRequest, check: wantField("selected", "must be true or false")})
	})

	teeID, honeyID := findStaged(t, staged, "TEE-M").ID, findStaged(t, staged, "HONEY").ID
	t.Run("SelectOneAndMany", func(t *testing.T) {
		sc.send(t, scenario{name: "select", as: "owner", method: "POST", path: "/api/v1/marketplace/products/select",
			body: map[string]any{"ids": []int{teeID, honeyID}, "selected": true}, wantStatus: http.StatusOK, want: []string{`"changed":2`}})
		if got := ts.staged(t, host, tok, "?selected=true"); len(got) != 2 {
			t.Errorf("selected: %+v", got)
		}
		sc.send(t, scenario{name: "unselect", as: "owner", method: "POST", path: "/api/v1/marketplace/products/select",
			body: map[string]any{"ids": []int{honeyID}, "selected": false}, wantStatus: http.StatusOK, want: []string{`"changed":1`}})
		if got := ts.staged(t, host, tok, "?selected=true"); len(got) != 1 {
			t.Errorf("selected after unselecting one: %+v", got)
		}
	})

	// Publish the T-shirt with an overridden price and French title; the
	// honey without overrides through the bulk publish of the selection.
	r := sc.send(t, scenario{name: "publish with overrides", as: "owner", method: "POST", path: fmt.Sprintf("/api/v1/products/from-import/%d", teeID),
		body: map[string]any{"price_cents": 1999, "title": map[string]any{"fr": "Notre T-shirt"}}, wantStatus: http.StatusCreated})
	var tee1 productOut
	r.decode(t, &tee1)
	t.Run("PublishWithOverride", func(t *testing.T) {
		if tee1.SKU != "TEE-M" || tee1.PriceCents != 1999 || tee1.Title["fr"] != "Notre T-shirt" || tee1.Title["en"] != "Red T-shirt M" ||
			tee1.Description["fr"] != "Coton bio" || tee1.Status != "active" || tee1.Stock == nil || *tee1.Stock != 12 {
			t.Errorf("product %+v", tee1)
		}
		if strings.Join(tee1.Overridden, ",") != "price,title.fr" {
			t.Errorf("overridden %v, want price,title.fr", tee1.Overridden)
		}
		sc.send(t, scenario{name: "publishing twice", as: "owner", method: "POST", path: fmt.Sprintf("/api/v1/products/from-import/%d", teeID),
			wantStatus: http.StatusConflict})
	})
	sc.run(t, true, []scenario{
		{name: "SelectHoneyAndMug", as: "owner", method: "POST", path: "/api/v1/marketplace/products/select",
			body: map[string]any{"ids": []int{honeyID, findStaged(t, staged, "MUG").ID}, "selected": true}, wantStatus: http.StatusOK},
		{name: "BulkPublish", as: "owner", method: "POST", path: "/api/v1/products/from-import", wantStatus: http.StatusOK, want: []string{`"published":2`}},
	})
	var honeyProductID int
	for _, s := range ts.staged(t, host, tok, "?published=true") {
		if s.FeedID == "HONEY" && s.ProductID != nil {
			honeyProductID = *s.ProductID
		}
	}
	if honeyProductID == 0 {
		t.Fatal("honey not published")
	}

	// The feed changes: the T-shirt's price and titles and description, the
	// honey's stock; the mug leaves both files.
	fr[0] = feedRow{"TEE-M", "T-shirt rouge bio M", "Coton bio certifié", "26.00 EUR", "in stock", "Atelier", tee, "10"}
	en[0] = feedRow{"TEE-M", "Organic red T-shirt M", "Certified organic cotton", "26.00 EUR", "in stock", "Atelier", tee, "10"}
	fr[1].qty, en[1].qty, en[1].price = "35", "35", "9.50 EUR"
	feeds.set("/shop/fr.tsv", feedFile(fr[0], fr[1], fr[3]))
	feeds.set("/shop/en.tsv", feedFile(en[0], en[1]))
	second := ts.runImport(t, host, tok, "")
	t.Run("ReimportCounts", func(t *testing.T) {
		c := second.Counts
		if c.Rows != 5 || c.Created != 0 || c.Updated != 2 || c.Unchanged != 0 || c.Missing != 1 || c.Failed != 1 || c.Drifted != 1 || c.Disagreements != 0 {
			t.Errorf("job %+v", second)
		}
	})
	t.Run("OverrideSurvivesReimport", func(t *testing.T) {
		p := ts.product(t, host, tok, tee1.ID)
		if p.PriceCents != 1999 || p.Title["fr"] != "Notre T-shirt" {
			t.Errorf("overrides lost: %+v", p)
		}
		if p.Title["en"] != "Organic red T-shirt M" || p.Description["fr"] != "Coton bio certifié" || p.Description["en"] != "Certified organic cotton" || *p.Stock != 10 {
			t.Errorf("fields that are not overridden did not follow the feed: %+v", p)
		}
		h := ts.product(t, host, tok, honeyProductID)
		if *h.Stock != 35 || h.PriceCents != 950 || len(h.Overridden) != 0 {
			t.Errorf("honey: %+v", h)
		}
	})
	t.Run("DriftIsListed", func(t *testing.T) {
		r := sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/products/drift", wantStatus: http.StatusOK})
		var out struct {
			Items []struct {
				ProductID    int    `json:"product_id"`
				Field        string `json:"field"`
				SourceBefore any    `json:"source_before"`
				SourceNow    any    `json:"source_now"`
				Override     any    `json:"override"`
			} `json:"items"`
		}
		r.decode(t, &out)
		got := map[string]string{}
		for _, d := range out.Items {
			got[d.Field] = fmt.Sprint(d.SourceBefore, " → ", d.SourceNow, " / ", d.Override)
			if d.ProductID != tee1.ID {
				t.Errorf("drift on product %d", d.ProductID)
			}
		}
		want := map[string]string{
			"price":    "map[cents:2490 currency:EUR] → map[cents:2600 currency:EUR] / map[cents:1999 currency:EUR]",
			"title.fr": "T-shirt rouge M → T-shirt rouge bio M / Notre T-shirt",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("drift %v\nwant %v", got, want)
		}
	})
	t.Run("MissingIsMarkedNotDeleted", func(t *testing.T) {
		got := ts.staged(t, host, tok, "?missing=true")
		if len(got) != 1 || got[0].FeedID != "MUG" || !got[0].Missing {
			t.Errorf("missing: %+v", got)
		}
		// The published mug stays in the catalogue, flagged.
		r := sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/products?source_missing=true", wantStatus: http.StatusOK})
		var pg struct {
			Items []struct {
				SKU           string `json:"sku"`
				Status        string `json:"status"`
				SourceMissing bool   `json:"source_missing"`
			} `json:"items"`
		}
		r.decode(t, &pg)
		if len(pg.Items) != 1 || pg.Items[0].SKU != "MUG" || !pg.Items[0].SourceMissing || pg.Items[0].Status != "active" {
			t.Errorf("products whose source is missing: %s", r.body)
		}
	})
	t.Run("ResolveDrift", func(t *testing.T) {
		product := func(check func(p productOut) bool) func(t testing.TB, r *resp) {
			return func(t testing.TB, r *resp) {
				var p productOut
				r.decode(t, &p)
				if !check(p) {
					t.Errorf("product after resolving: %s", r.body)
				}
			}
		}
		drift := fmt.Sprintf("/api/v1/products/%d/drift", tee1.ID)
		sc.run(t, true, []scenario{
			{name: "Accept", as: "owner", method: "POST", path: drift, body: map[string]any{"field": "title.fr", "action": "accept"},
				wantStatus: http.StatusOK, check: product(func(p productOut) bool {
					return p.Title["fr"] == "T-shirt rouge bio M" && strings.Join(p.Overridden, ",") == "price"
				})},
			{name: "Keep", as: "owner", method: "POST", path: drift, body: map[string]any{"field": "price", "action": "keep"},
				wantStatus: http.StatusOK, check: product(func(p productOut) bool {
					return p.PriceCents == 1999 && strings.Join(p.Overridden, ",") == "price"
				})},
			{name: "NothingLeft", as: "owner", method: "GET", path: "/api/v1/products/drift", wantStatus: http.StatusOK, want: []string{`"items":[]`}},
		})
	})
	t.Run("DryRunWritesNothing", func(t *testing.T) {
		fr[1].price, en[1].price = "11.00 EUR", "11.00 EUR"
		feeds.set("/shop/fr.tsv", feedFile(fr[0], fr[1], fr[3]))
		feeds.set("/shop/en.tsv", feedFile(en[0], en[1]))
		j := ts.runImport(t, host, tok, "?dry_run=true")
		if !j.DryRun || j.Counts.Updated != 1 || j.Counts.Unchanged != 1 || j.Counts.Failed != 1 {
			t.Errorf("dry run: %+v", j)
		}
		sc.send(t, scenario{name: "per-row report", as: "owner", method: "GET", path: fmt.Sprintf("/api/v1/marketplace/imports/%d/changes?action=update", j.ID),
			wantStatus: http.StatusOK, want: []string{`"feed_id":"HONEY","language":"fr","line":3,"action":"update","fields":["price"]`}})
		if h := ts.product(t, host, tok, honeyProductID); h.PriceCents != 950 {
			t.Errorf("a dry run changed the catalogue: %+v", h)
		}
		// The next real import still sees the change: the preview staged nothing.
		k := ts.runImport(t, host, tok, "")
		if k.Counts.Updated != 1 {
			t.Errorf("import after the dry run: %+v", k)
		}
		if h := ts.product(t, host, tok, honeyProductID); h.PriceCents != 1100 {
			t.Errorf("honey after the import: %+v", h)
		}
	})
	t.Run("OneImportAtATimeAndCancel", func(t *testing.T) {
		fr[1].qty = "30"
		feeds.set("/shop/fr.tsv", feedFile(fr[0], fr[1], fr[3]))
		release := feeds.hold("/shop/fr.tsv")
		defer release()
		r := sc.send(t, scenario{name: "trigger", as: "owner", method: "POST", path: "/api/v1/marketplace/import", wantStatus: http.StatusAccepted})
		var j importJob
		r.decode(t, &j)
		sc.send(t, scenario{name: "second import while one runs", as: "owner", method: "POST", path: "/api/v1/marketplace/import",
			wantStatus: http.StatusConflict, want: []string{fmt.Sprintf("import %d is already", j.ID)}})
		sc.send(t, scenario{name: "cancel", as: "owner", method: "POST", path: fmt.Sprintf("/api/v1/marketplace/imports/%d/cancel", j.ID),
			wantStatus: http.StatusOK})
		release()
		if done := ts.waitImport(t, host, tok, j.ID); done.Status != "cancelled" {
			t.Errorf("cancelled import ended %s", done.Status)
		}
		if h := ts.product(t, host, tok, honeyProductID); *h.Stock != 35 {
			t.Errorf("a cancelled import changed the catalogue: %+v", h)
		}
	})
	t.Run("ActionsAreAudited", func(t *testing.T) {
		r := sc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/audit?limit=100", wantStatus: http.StatusOK,
			want: []string{`"actor_email":"owner@imp.test"`}})
		for _, action := range []string{"imports.configure", "imports.trigger", "imports.select", "imports.cancel",
			"products.publish", "products.publish_selected", "products.drift_accept", "products.drift_keep"} {
			if !strings.Contains(string(r.body), `"action":"`+action+`"`) {
				t.Errorf("no %s in the audit trail: %s", action, r.body)
			}
		}
	})
	t.Run("AnotherVendorIsUntouched", func(t *testing.T) {
		if after := oc.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/products", wantStatus: http.StatusOK}).body; string(after) != string(otherBefore) {
			t.Errorf("the other vendor's catalogue changed:\n%s\n%s", otherBefore, after)
		}
		if got := ts.staged(t, otherHost, otherTok, ""); len(got) != 2 {
			t.Errorf("the other vendor's staging: %+v", got)
		}
		// Ids do not cross the wall: the other host does not know this shop's import.
		// (An import of the other shop may share the id; then it answers its own.)
		if second.ID != 1 {
			oc.send(t, scenario{name: "other vendor reading this shop's import", as: "owner", method: "GET",
				path: fmt.Sprintf("/api/v1/marketplace/imports/%d/changes", second.ID), wantStatus: http.StatusNotFound})
		}
	})
}

// TestImportRefusesInternalAddresses: the SSRF guard at configuration time
// (literal addresses) and at download time (names, after DNS).
func TestImportRefusesInternalAddresses(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "ssrf")
	ts := start(t, db, setup{opts: defaultOptions(), queue: true, market: func(o *marketplace.Options) { o.Fetch.Allow = nil }})
	host := hostOf(shop)
	u := ts.user(t, "owner@ssrf.test")
	ts.join(t, shop, u.ID, "owner")
	tok := ts.login(t, host, "owner@ssrf.test").access
	var refused []scenario
	for _, tt := range []struct{ url, want string }{
		{"http://127.0.0.1/feed.tsv", "127.0.0.1 is a loopback address"},
		{"http://[::1]/feed.tsv", "::1 is a loopback address"},
		{"http://10.0.0.1/feed.tsv", "10.0.0.1 is a private address"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"},
		// The same addresses written as resolvers still read them.
		{"http://2852039166/latest/meta-data/", "169.254.169.254 is a link-local address"},
		{"http://0xA9FEA9FE/", "169.254.169.254 is a link-local address"},
		{"http://0251.0376.0251.0376/", "169.254.169.254 is a link-local address"},
		{"http://127.1/feed.tsv", "127.0.0.1 is a loopback address"},
		{"http://[::ffff:a9fe:a9fe]/", "169.254.169.254 is a link-local address"},
		{"http://[64:ff9b::a9fe:a9fe]/", "169.254.169.254 is a link-local address"},
		{"file:///etc/passwd", "only http and https"},
	} {
		refused = append(refused, scenario{name: tt.url, as: "owner", method: "PUT", path: "/api/v1/marketplace/config",
			body:       map[string]any{"feeds": []map[string]string{{"language": "fr", "url": tt.url}}, "active": true},
			wantStatus: http.StatusBadRequest, check: wantField("feeds[0].url", tt.want)})
	}
	ts.scenarios(host, map[string]string{"owner": tok}).run(t, false, refused)
	// A name is checked where it resolves: localhost is loopback.
	feeds := newFeedServer(t)
	feeds.set("/fr.tsv", feedFile(feedRow{"A", "a", "", "1 EUR", "in stock", "", "", ""}))
	port := feeds.srv.URL[strings.LastIndex(feeds.srv.URL, ":"):]
	ts.configure(t, host, tok, map[string]string{"fr": "http://localhost" + port + "/fr.tsv"}, "fr")
	j := ts.runImport(t, host, tok, "")
	if j.Status != "failed" || len(j.Languages) != 1 || !strings.Contains(j.Languages[0].Error, "loopback") {
		t.Errorf("import from localhost: %+v", j)
	}
	if got := ts.staged(t, host, tok, ""); len(got) != 0 {
		t.Errorf("staged from a refused URL: %+v", got)
	}
}
