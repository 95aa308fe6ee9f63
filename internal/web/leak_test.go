package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// leakRoutes are handlers that end badly, each after writing to its tenant.
func leakRoutes(s *server, vendor fiber.Router) {
	write := func(c *fiber.Ctx) error {
		cl, err := tenantdb.Current(c.UserContext())
		if err != nil {
			return err
		}
		return cl.Product.Create().SetSku(fmt.Sprintf("MUST-NOT-PERSIST-%d", rand.Int64())).SetTitle(map[string]string{"en": "x"}).SetPriceCents(1).SetStatus("active").Exec(c.UserContext())
	}
	vendor.Get("/test/error", s.tenantTx(false), func(c *fiber.Ctx) error {
		if err := write(c); err != nil {
			return err
		}
		return fault.New(fault.Conflict, "handler refused")
	})
	vendor.Get("/test/panic", s.tenantTx(false), func(c *fiber.Ctx) error {
		if err := write(c); err != nil {
			return err
		}
		panic("handler panicked")
	})
	vendor.Get("/test/slow", s.tenantTx(false), func(c *fiber.Ctx) error {
		if err := write(c); err != nil {
			return err
		}
		cl, _ := tenantdb.Current(c.UserContext())
		if _, err := cl.ExecContext(c.UserContext(), `SELECT pg_sleep(0.3)`); err != nil {
			return err
		}
		return c.Status(fiber.StatusTeapot).SendString("too late: the client left")
	})
	vendor.Get("/test/status500", s.tenantTx(false), func(c *fiber.Ctx) error {
		if err := write(c); err != nil {
			return err
		}
		return c.Status(fiber.StatusInternalServerError).SendString("a handler that sets 500 itself")
	})
}

// TestNoLeakThroughThePool sends thousands of requests for many tenants at
// once, mixed with handlers that fail, panic, or whose client gives up, and
// checks that every answer is the right tenant's, that no failed handler's
// write survives, and that every pooled connection is back to its defaults —
// directly, and through PgBouncer, where every server connection it holds
// has served many clients' requests.
func TestNoLeakThroughThePool(t *testing.T) { tenanttest.EachRoute(t, testNoLeakThroughThePool) }

func testNoLeakThroughThePool(t *testing.T, route tenanttest.Route) {
	const (
		tenants     = 50
		requests    = 5000
		concurrency = 32
	)
	if testing.Short() {
		t.Skip("provisions 50 tenants and sends 5,000 requests")
	}
	d := route(tenanttest.NewDatabase(t))
	db := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) { o.MaxOpenConns, o.MaxIdleConns = 24, 24 })
	ctx := context.Background()
	ts := make([]*tenantdb.Tenant, tenants)
	var wg sync.WaitGroup
	for i := range ts {
		wg.Go(func() {
			tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: fmt.Sprintf("leak-%02d", i), Name: fmt.Sprintf("Leak %02d", i)})
			if err != nil {
				t.Error(err)
				return
			}
			ts[i] = tn
			// Every tenant holds the same SKU, named after itself.
			addProduct(t, db, tn, "SHARED-SKU", "owned by "+tn.Slug)
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	srv := startServer(t, db, defaultOptions(), leakRoutes)

	transport := &http.Transport{
		MaxIdleConnsPerHost: concurrency,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", srv.addr)
		},
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	impatient := &http.Client{Transport: transport, Timeout: 100 * time.Millisecond}

	type outcome struct{ ok, wrongTenant, unexpected, gaveUp atomic.Int64 }
	var out outcome
	var firstProblem atomic.Value
	problem := func(format string, args ...any) {
		out.unexpected.Add(1)
		firstProblem.CompareAndSwap(nil, fmt.Sprintf(format, args...))
	}
	jobs := make(chan int)
	for range concurrency {
		wg.Go(func() {
			for i := range jobs {
				tn := ts[rand.IntN(tenants)]
				kind := []string{"list", "list", "list", "list", "list", "list", "error", "panic", "status500", "slow"}[i%10]
				path := map[string]string{"list": "/api/v1/shop/products", "error": "/test/error", "panic": "/test/panic",
					"status500": "/test/status500", "slow": "/test/slow"}[kind]
				c := client
				if kind == "slow" {
					c = impatient
				}
				req, _ := http.NewRequest(http.MethodGet, "http://bazaar"+path, nil)
				req.Host = tn.Slug + "." + base
				resp, err := c.Do(req)
				if err != nil {
					if kind == "slow" && errors.Is(err, context.DeadlineExceeded) || strings.Contains(fmt.Sprint(err), "Timeout") {
						out.gaveUp.Add(1)
						continue
					}
					problem("%s %s: %v", kind, req.Host, err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch kind {
				case "list":
					var pg page.Page[catalog.ShopProduct]
					if resp.StatusCode != 200 || json.Unmarshal(body, &pg) != nil {
						problem("list %s: %d %s", req.Host, resp.StatusCode, body)
					} else if len(pg.Items) != 1 || pg.Items[0].Name() != "owned by "+tn.Slug {
						out.wrongTenant.Add(1)
						problem("list %s answered with %s", req.Host, body)
					} else {
						out.ok.Add(1)
					}
				case "error":
					if resp.StatusCode != 409 {
						problem("error %s: %d %s", req.Host, resp.StatusCode, body)
					}
				case "panic", "status500":
					if resp.StatusCode != 500 {
						problem("%s %s: %d %s", kind, req.Host, resp.StatusCode, body)
					}
				case "slow":
					problem("slow %s: the impatient client got an answer: %d", req.Host, resp.StatusCode)
				}
			}
		})
	}
	for i := range requests {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	t.Logf("ok=%d wrong-tenant=%d unexpected=%d client-gave-up=%d", out.ok.Load(), out.wrongTenant.Load(), out.unexpected.Load(), out.gaveUp.Load())
	if p := firstProblem.Load(); p != nil {
		t.Errorf("first problem: %s", p)
	}
	if out.wrongTenant.Load() > 0 || out.unexpected.Load() > 0 || out.ok.Load() < requests/2 || out.gaveUp.Load() == 0 {
		t.FailNow()
	}

	// Let the abandoned slow handlers finish, then look at every connection.
	raw := tenanttest.SQL(t, d)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var busy int
		if err := raw.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> pg_backend_pid() AND state <> 'idle'`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if busy == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends still busy or idle in transaction", busy)
		}
		time.Sleep(20 * time.Millisecond)
	}

	var leaked int
	for _, tn := range ts {
		if err := raw.QueryRow(`SELECT count(*) FROM ` + tn.Schema + `.products WHERE sku LIKE 'MUST-NOT-PERSIST-%'`).Scan(&leaked); err != nil {
			t.Fatal(err)
		}
		if leaked > 0 {
			t.Errorf("%s kept %d writes of failed requests", tn.Slug, leaked)
		}
	}

	// Every idle connection of the server's pool (through PgBouncer, every
	// server connection it holds): default search_path, the application
	// role, no transaction.
	var wantPath, wantUser string
	if err := raw.QueryRow(`SELECT current_setting('search_path'), current_user`).Scan(&wantPath, &wantUser); err != nil {
		t.Fatal(err)
	}
	sessions := tenanttest.PooledSessions(t, db, d)
	if len(sessions) == 0 {
		t.Fatal("no idle connections to inspect")
	}
	for _, s := range sessions {
		if s.SearchPath != wantPath || s.User != wantUser || s.Role != "none" || s.InTransaction {
			t.Errorf("pooled connection %+v; want search_path %q, user %q, no role, no transaction", s, wantPath, wantUser)
		}
	}
	t.Logf("inspected %d idle pooled connections", len(sessions))
}
