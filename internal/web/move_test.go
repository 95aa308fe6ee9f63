package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// A shop moves to another cluster while 16 clients read and write it and a
// neighbour: no answer comes from the wrong shop or misses one, writes
// refused during the freeze say so (503, Retry-After) and succeed when
// retried, and the moved shop holds exactly what it held plus every write
// that succeeded.
func TestMoveUnderTraffic(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	o := tenanttest.SecondCluster(t, d)
	db, err := tenantdb.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if _, err := db.MigratePlatform(ctx); err != nil {
		t.Fatal(err)
	}
	ts := start(t, db, setup{opts: defaultOptions(), log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	moving := tenanttest.Tenant(t, db, "mover")
	staying := tenanttest.Tenant(t, db, "stayer")
	type shop struct {
		tn     *tenantdb.Tenant
		marker string
		token  string
	}
	shops := []*shop{{tn: moving, marker: "MOVER"}, {tn: staying, marker: "STAYER"}}
	for _, s := range shops {
		s.token, _ = ts.member(t, s.tn, "editor")
		for i := range 200 {
			sell(t, db, s.tn, sale{sku: fmt.Sprintf("%s-%d", s.marker, i), title: map[string]string{"fr": s.marker}, price: 100})
		}
	}
	originals := func() string {
		var sum string
		if err := db.ReadTx(ctx, mustTenant(t, db, moving.Slug), func(ctx context.Context) error {
			tx, err := tenantdb.SQLTx(ctx)
			if err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT md5(string_agg(p::text, '|' ORDER BY id)) FROM products p WHERE sku NOT LIKE '%-w%'`).Scan(&sum)
		}); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	before := originals()

	var (
		stop                         atomic.Bool
		wg                           sync.WaitGroup
		mu                           sync.Mutex
		written                      = map[string][]string{}
		reads, refused, wrong, other atomic.Int64
	)
	for _, s := range shops {
		host := hostOf(s.tn)
		for w := range 4 {
			wg.Go(func() { // a writer
				for i := 0; !stop.Load(); i++ {
					sku := fmt.Sprintf("%s-w%d-%d", s.marker, w, i)
					for {
						r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/products", token: s.token,
							body: map[string]any{"sku": sku, "title": map[string]string{"fr": s.marker}, "price_cents": 100}})
						if r.status == http.StatusCreated {
							break
						}
						if r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") != "" && strings.Contains(string(r.body), "moving") {
							refused.Add(1)
							time.Sleep(50 * time.Millisecond)
							continue
						}
						other.Add(1)
						t.Errorf("write %s: %d %s", sku, r.status, r.body)
						return
					}
					mu.Lock()
					written[s.marker] = append(written[s.marker], sku)
					mu.Unlock()
				}
			})
			wg.Go(func() { // a reader
				for !stop.Load() {
					r := ts.do(t, req{method: "GET", host: host, path: "/api/v1/products?limit=50", token: s.token})
					if r.status != http.StatusOK {
						other.Add(1)
						t.Errorf("read: %d %s", r.status, r.body)
						return
					}
					var page struct {
						Items []struct {
							SKU string `json:"sku"`
						} `json:"items"`
					}
					if err := json.Unmarshal(r.body, &page); err != nil || len(page.Items) == 0 {
						t.Errorf("read: %v, %s", err, r.body)
						return
					}
					for _, it := range page.Items {
						if !strings.HasPrefix(it.SKU, s.marker+"-") {
							wrong.Add(1)
						}
					}
					reads.Add(1)
				}
			})
		}
	}
	time.Sleep(500 * time.Millisecond)
	res, err := db.Move(ctx, moving.Slug, tenantdb.MoveOptions{To: tenanttest.SecondClusterName, Grace: 300 * time.Millisecond})
	if err == nil {
		time.Sleep(500 * time.Millisecond) // traffic goes on, on the new cluster
	}
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("moved in %s (copy %s, writes refused for %s, recopied %v); %d reads, %d writes (%d refused then retried)",
		res.Total.Round(time.Millisecond), res.Copied.Round(time.Millisecond), res.Frozen.Round(time.Millisecond), res.Recopied,
		reads.Load(), len(written["MOVER"])+len(written["STAYER"]), refused.Load())
	if wrong.Load() > 0 || other.Load() > 0 {
		t.Fatalf("%d products of another shop answered, %d unexpected answers", wrong.Load(), other.Load())
	}
	moved := mustTenant(t, db, moving.Slug)
	if moved.Cluster != tenanttest.SecondClusterName {
		t.Fatalf("the shop is on %q after the move", moved.Cluster)
	}
	if after := originals(); after != before {
		t.Error("the shop's original products changed in the move")
	}
	for _, s := range shops {
		var n int
		if err := db.ReadTx(ctx, mustTenant(t, db, s.tn.Slug), func(ctx context.Context) error {
			tx, err := tenantdb.SQLTx(ctx)
			if err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT count(*) FROM products WHERE sku LIKE $1`, s.marker+"-w%").Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		if n != len(written[s.marker]) {
			t.Errorf("%s: %d written products stored, %d writes succeeded", s.marker, n, len(written[s.marker]))
		}
	}
	if refused.Load() == 0 {
		t.Log("no write met the freeze this run (it lasted", res.Frozen, ")")
	}
}

func mustTenant(t *testing.T, db *tenantdb.DB, slug string) *tenantdb.Tenant {
	t.Helper()
	tn, err := db.TenantBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// testWriter sends a log to the test's output.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// A write PostgreSQL refuses for want of privilege is the freeze of a move
// this instance has not heard of yet (503 moving, Retry-After) when the
// registry says the shop is frozen — and a 500 that leaks nothing when it
// does not (a reach past the wall is a bug, not a move).
func TestRefusedWriteIsAMoveOnlyWhenFrozen(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, db, "refused")
	token, _ := ts.member(t, shop, "editor")
	admin := tenanttest.SQL(t, d)
	ctx := context.Background()
	// Behind the instance's back: no notification, so its cached tenant is
	// not frozen.
	if _, err := admin.ExecContext(ctx, `REVOKE INSERT ON `+shop.Schema+`.products FROM `+shop.Role); err != nil {
		t.Fatal(err)
	}
	post := func() *resp {
		return ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/products", token: token,
			body: map[string]any{"sku": "X-1", "title": map[string]string{"fr": "x"}, "price_cents": 100}})
	}
	if r := post(); r.status != http.StatusInternalServerError || strings.Contains(string(r.body), "permission") {
		t.Fatalf("refused, not frozen: %d %s, want a bare 500", r.status, r.body)
	}
	if _, err := admin.ExecContext(ctx, `UPDATE platform.vendors SET frozen_at = now() WHERE id = $1`, shop.ID); err != nil {
		t.Fatal(err)
	}
	r := post()
	if r.status != http.StatusServiceUnavailable || errorCode(string(r.body)) != "moving" || r.header.Get("Retry-After") != "2" {
		t.Fatalf("refused while frozen: %d %s (Retry-After %q), want 503 moving", r.status, r.body, r.header.Get("Retry-After"))
	}
	if _, err := admin.ExecContext(ctx, `UPDATE platform.vendors SET frozen_at = NULL WHERE id = $1`, shop.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, `GRANT INSERT ON `+shop.Schema+`.products TO `+shop.Role); err != nil {
		t.Fatal(err)
	}
	if r := post(); r.status != http.StatusCreated {
		t.Fatalf("thawed: %d %s", r.status, r.body)
	}
}
