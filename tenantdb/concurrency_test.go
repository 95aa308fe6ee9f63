package tenantdb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestProvisioningFromManyInstances runs what several instances of Bazaar do
// at once against one database: each provisions vendors (claiming spare
// schemas, or by DDL when none is left) and binds every new tenant at once,
// while its spare top-up loop refills the spares and requests keep binding the
// tenants that already exist. Nothing may fail: not a provisioning, not a
// top-up, not one binding — a tenant that cannot be bound is a shop that
// cannot be served. Two faults were seen this way: PostgreSQL refusing SET
// ROLE to a just-created tenant role on a backend whose membership cache had
// gone stale (see bindingFor), and a top-up dropping as "stale" a spare that
// a concurrent provisioning had just claimed. Directly and through PgBouncer,
// where the bindings land on server connections shared by every instance.
func TestProvisioningFromManyInstances(t *testing.T) {
	tenanttest.EachRoute(t, testProvisioningFromManyInstances)
}

func testProvisioningFromManyInstances(t *testing.T, route tenanttest.Route) {
	const (
		instances      = 3
		provisioners   = 2  // per instance
		perProvisioner = 30 // vendors each
		binders        = 8
		spares         = 2
	)
	d := route(tenanttest.NewDatabase(t))
	dbs := make([]*tenantdb.DB, instances)
	for i := range dbs {
		dbs[i] = tenanttest.OpenDatabase(t, d)
	}
	ctx := context.Background()

	var (
		mu      sync.Mutex
		made    []*tenantdb.Tenant
		errs    []error
		stopped = make(chan struct{})
	)
	failures := map[string]int{} // by kind, so one kind cannot hide another
	fail := func(kind, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if failures[kind]++; failures[kind] <= 3 {
			errs = append(errs, fmt.Errorf(kind+": "+format, args...))
		}
	}
	var background sync.WaitGroup
	for i, db := range dbs {
		background.Go(func() { // the instance's spare top-up loop
			for {
				select {
				case <-stopped:
					return
				default:
				}
				if _, err := db.FillSpares(ctx, spares); err != nil {
					fail("fill spares", "instance %d: %v", i, err)
				}
			}
		})
	}
	for i := range binders { // requests for the shops that exist
		db := dbs[i%instances]
		background.Go(func() {
			for {
				select {
				case <-stopped:
					return
				default:
				}
				mu.Lock()
				var tn *tenantdb.Tenant
				if len(made) > 0 { // mostly the newest: a new shop's first visitors
					tn = made[max(0, len(made)-1-rand.IntN(4))]
				}
				mu.Unlock()
				if tn == nil {
					continue
				}
				if err := db.ReadTx(ctx, tn, countProducts(nil)); err != nil {
					fail("bind", "%s: %v", tn.Slug, err)
				}
			}
		})
	}

	var provisioning sync.WaitGroup
	for i, db := range dbs {
		for p := range provisioners {
			provisioning.Go(func() {
				for n := range perProvisioner {
					slug := fmt.Sprintf("inst%d-p%d-%03d", i, p, n)
					tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Concurrent shop"})
					if err != nil {
						fail("provision", "%s: %v", slug, err)
						continue
					}
					// At once, as the first request of a new shop would.
					if err := insertProduct(ctx, db, tn, "SKU-1", "first"); err != nil {
						fail("first transaction", "%s: %v", slug, err)
						continue
					}
					mu.Lock()
					made = append(made, tn)
					mu.Unlock()
				}
			})
		}
	}
	provisioning.Wait()
	close(stopped)
	background.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(failures) > 0 {
		t.Errorf("failures by kind: %v", failures)
	}
	if t.Failed() {
		return
	}

	want := instances * provisioners * perProvisioner
	if len(made) != want {
		t.Fatalf("%d tenants made, want %d", len(made), want)
	}
	// Every tenant is whole: bound from every instance, its product there.
	for _, tn := range made {
		for _, db := range dbs {
			var n int
			if err := db.ReadTx(ctx, tn, countProducts(&n)); err != nil || n != 1 {
				t.Fatalf("%s: %d products, %v", tn.Slug, n, err)
			}
		}
	}
	// The spares left are whole and exactly as many as asked for once the
	// instances have settled: no orphan spare roles, no half-dropped spares.
	if _, err := dbs[0].FillSpares(ctx, spares); err != nil {
		t.Fatal(err)
	}
	raw := tenanttest.SQL(t, d)
	var schemas, roles int
	must(t, raw.QueryRowContext(ctx, `SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, 'spare_')`).Scan(&schemas))
	must(t, raw.QueryRowContext(ctx, `SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)`, d.RolePrefix+"_spare_").Scan(&roles))
	if schemas != spares || roles != spares {
		t.Errorf("%d spare schemas and %d spare roles left, want %d of each", schemas, roles, spares)
	}
}

func countProducts(n *int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		got, err := c.Product.Query().Count(ctx)
		if n != nil {
			*n = got
		}
		return err
	}
}
