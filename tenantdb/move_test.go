package tenantdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// twoClusters opens a DB on the package database and its twin on the
// second cluster, both migrated.
func twoClusters(t *testing.T) *tenantdb.DB {
	t.Helper()
	d := tenanttest.PackageDatabase(t)
	o := tenanttest.SecondCluster(t, d)
	db, err := tenantdb.Open(context.Background(), o)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.MigratePlatform(context.Background())
	must(t, err)
	return db
}

// schemaOn reports whether cluster name holds schema.
func schemaOn(t *testing.T, db *tenantdb.DB, cluster, schema string) bool {
	t.Helper()
	ok, err := tenantdb.SchemaExists(context.Background(), db, cluster, schema)
	must(t, err)
	return ok
}

func TestProvisionOnAnotherCluster(t *testing.T) {
	db := twoClusters(t)
	ctx := context.Background()
	slug := tenanttest.Slug("far")
	tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Far", Cluster: tenanttest.SecondClusterName})
	must(t, err)
	t.Cleanup(func() { _ = db.Delete(ctx, slug) })
	if tn.Cluster != tenanttest.SecondClusterName || !schemaOn(t, db, tenanttest.SecondClusterName, tn.Schema) || schemaOn(t, db, "main", tn.Schema) {
		t.Fatalf("tenant %+v: want its schema on the second cluster only", tn)
	}
	fillShop(t, db, tn, 20)
	if n := count(t, db, tn, `SELECT count(*) FROM products`); n != 20 {
		t.Fatalf("%d products", n)
	}
	// Its reports reach the main cluster's tenant_reports.
	_, err = db.ForwardReports(ctx)
	must(t, err)
	var reported int
	must(t, tenantdb.Pool(db).QueryRowContext(ctx, `SELECT products FROM tenant_reports.vendor_figures WHERE db_role = $1`, tn.Role).Scan(&reported))
	if reported != 20 {
		t.Errorf("the main cluster's tenant_reports count %d products, want 20", reported)
	}
	_, err = db.Provision(ctx, tenantdb.NewVendor{Slug: tenanttest.Slug("nowhere"), Name: "x", Cluster: "nowhere"})
	if !errors.Is(err, fault.ErrNotFound) || !strings.Contains(err.Error(), "second") {
		t.Fatalf("err = %v, want a not-found naming the known clusters", err)
	}
	must(t, db.Delete(ctx, slug))
	if schemaOn(t, db, tenanttest.SecondClusterName, tn.Schema) {
		t.Error("the schema outlived its vendor on the second cluster")
	}
}

// A move while writers write: no write that succeeded is lost, writes
// during the freeze are refused and succeed when retried, and the data on
// the target is the source's.
func TestMoveWhileWriting(t *testing.T) {
	db := twoClusters(t)
	ctx := context.Background()
	tn := tenanttest.Tenant(t, db, "mv")
	fillShop(t, db, tn, 3000)

	var (
		stop             atomic.Bool
		wg               sync.WaitGroup
		mu               sync.Mutex
		written          []string
		refused, retried atomic.Int64
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				sku := fmt.Sprintf("W%d-%d", w, i)
				for attempt := 0; ; attempt++ {
					cur, err := db.TenantBySlug(ctx, tn.Slug) // every request resolves its tenant
					if err == nil {
						err = db.Tx(ctx, cur, func(ctx context.Context) error {
							tx, err := tenantdb.SQLTx(ctx)
							if err != nil {
								return err
							}
							_, err = tx.ExecContext(ctx, `INSERT INTO products (sku, title, price_cents, created_at, updated_at) VALUES ($1, '{}', 1, now(), now())`, sku)
							return err
						})
					}
					if err == nil {
						if attempt > 0 {
							retried.Add(1)
						}
						break
					}
					if !tenantdb.ReadOnly(err) {
						t.Errorf("write %s: %v", sku, err)
						return
					}
					refused.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
				mu.Lock()
				written = append(written, sku)
				mu.Unlock()
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	res, err := db.Move(ctx, tn.Slug, tenantdb.MoveOptions{To: tenanttest.SecondClusterName})
	must(t, err)
	time.Sleep(200 * time.Millisecond) // writes go on, on the target
	stop.Store(true)
	wg.Wait()
	if res.Tenant.Cluster != tenanttest.SecondClusterName || res.Tenant.Frozen() {
		t.Fatalf("after the move: %+v", res.Tenant)
	}
	if schemaOn(t, db, "main", tn.Schema) {
		t.Error("the source schema was not dropped")
	}
	t.Logf("moved %d rows in %d tables: copy %s, writes refused for %s, total %s; recopied %v; %d writes refused, %d retried",
		res.Rows, res.Tables, res.Copied, res.Frozen, res.Total, res.Recopied, refused.Load(), retried.Load())
	// Every write that succeeded is there, once.
	moved := res.Tenant
	if n := count(t, db, moved, `SELECT count(*) FROM products WHERE sku LIKE 'W%'`); n != len(written) {
		t.Errorf("%d written products on the target, %d writes succeeded", n, len(written))
	}
	if n := count(t, db, moved, `SELECT count(*) FROM products WHERE sku NOT LIKE 'W%'`); n != 3000 {
		t.Errorf("%d original products on the target, want 3000", n)
	}
	// The target takes new rows (sequences past the copied ids).
	must(t, db.Tx(ctx, moved, func(ctx context.Context) error {
		tx, err := tenantdb.SQLTx(ctx)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO products (sku, title, price_cents, created_at, updated_at) VALUES ('AFTER', '{}', 1, now(), now())`)
		return err
	}))
	_, err = db.Move(ctx, tn.Slug, tenantdb.MoveOptions{To: "elsewhere"})
	if !errors.Is(err, fault.ErrNotFound) || !strings.Contains(err.Error(), "elsewhere") {
		t.Fatalf("move to an unknown cluster: err = %v", err)
	}
	_, err = db.Move(ctx, tn.Slug, tenantdb.MoveOptions{To: tenanttest.SecondClusterName})
	if !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("move to where it is: err = %v", err)
	}
	// And back, keeping the source.
	_, before := backup(t, db, tn.Slug)
	back, err := db.Move(ctx, tn.Slug, tenantdb.MoveOptions{To: "main", KeepSource: true})
	must(t, err)
	_, after := backup(t, db, tn.Slug)
	sameData(t, before, after)
	if back.KeptSource == "" || schemaOn(t, db, tenanttest.SecondClusterName, tn.Schema) {
		t.Errorf("kept source %q; the tenant's schema name is still on the second cluster: %v", back.KeptSource,
			schemaOn(t, db, tenanttest.SecondClusterName, tn.Schema))
	}
}

// A move killed at any step and run again finishes; the tenant is served
// whole throughout and its data arrives intact.
func TestMoveKilledAndRunAgain(t *testing.T) {
	db := twoClusters(t)
	ctx := context.Background()
	for _, step := range []string{"move:copied", "move:frozen", "move:target", "move:switched"} {
		t.Run(step, func(t *testing.T) {
			tn := tenanttest.Tenant(t, db, "mvk")
			fillShop(t, db, tn, 500)
			_, before := backup(t, db, tn.Slug)
			tenantdb.SetFaultHook(db, func(s string) error {
				if s == step {
					return errors.New("killed")
				}
				return nil
			})
			func() {
				defer func() { _ = recover() }()
				_, _ = db.Move(ctx, tn.Slug, tenantdb.MoveOptions{To: tenanttest.SecondClusterName})
				t.Fatal("the move was not stopped")
			}()
			tenantdb.SetFaultHook(db, nil)
			// Served whole in between: reads answer, from wherever the
			// registry says.
			cur, err := db.TenantBySlug(ctx, tn.Slug)
			must(t, err)
			if n := count(t, db, cur, `SELECT count(*) FROM products`); n != 500 {
				t.Fatalf("after the crash the shop reads %d products, want 500", n)
			}
			res, err := db.Move(ctx, tn.Slug, tenantdb.MoveOptions{To: tenanttest.SecondClusterName})
			must(t, err)
			if res.Tenant.Cluster != tenanttest.SecondClusterName || res.Tenant.Frozen() {
				t.Fatalf("after the second run: %+v", res.Tenant)
			}
			_, after := backup(t, db, tn.Slug)
			sameData(t, before, after)
			if schemaOn(t, db, "main", tn.Schema) {
				t.Error("the source is left on main")
			}
			left, err := tenantdb.SchemasLike(ctx, db, tenanttest.SecondClusterName, `move\_%`)
			must(t, err)
			if left != 0 {
				t.Errorf("%d work schemas left on the target", left)
			}
		})
	}
}
