package marketplace_test

import (
	"context"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// addJob writes an import job in the shop's bound transaction (its trigger
// reports it), created at the given time.
func addJob(t *testing.T, db *tenantdb.DB, tn *tenantdb.Tenant, status importjob.Status, dryRun bool, at time.Time) int {
	t.Helper()
	var id int
	err := db.Tx(context.Background(), tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		j, err := c.ImportJob.Create().SetLanguages([]schema.LanguageRun{}).SetStatus(status).SetDryRun(dryRun).SetCreatedAt(at).Save(ctx)
		if err == nil {
			id = j.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Figures reads each vendor's product count and latest import (dry runs
// aside) from what the shops report, in one query; a shop that reported
// nothing has zero products and no import, an unknown id is left out.
func TestFigures(t *testing.T) {
	db := tenanttest.Open(t)
	ctx := context.Background()
	s := marketplace.New(db, marketplace.Options{}, nil, nil)
	a := tenanttest.Tenant(t, db, "fig-a")
	b := tenanttest.Tenant(t, db, "fig-b")
	c := tenanttest.Tenant(t, db, "fig-c")
	err := db.Tx(ctx, a, func(ctx context.Context) error {
		cl, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		_, err = cl.ExecContext(ctx, `INSERT INTO products (sku, title, price_cents, currency, status, created_at, updated_at)
			SELECT 'F-' || g, '{}', 100, 'EUR', 'draft', now(), now() FROM generate_series(1, 3) g`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Microsecond)
	addJob(t, db, a, importjob.StatusFailed, false, now.Add(-2*time.Hour))
	last := addJob(t, db, a, importjob.StatusSucceeded, false, now.Add(-time.Hour))
	addJob(t, db, a, importjob.StatusSucceeded, true, now) // a dry run is no import
	bLast := addJob(t, db, b, importjob.StatusRunning, false, now)

	got, err := s.Figures(ctx, []int{a.ID, b.ID, c.ID, 999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("figures of %d vendors, want 3 (the unknown id left out): %+v", len(got), got)
	}
	if f := got[a.ID]; f.Products != 3 || f.LastImport == nil || f.LastImport.JobID != last || f.LastImport.Status != "succeeded" ||
		!f.LastImport.CreatedAt.Equal(now.Add(-time.Hour)) {
		t.Errorf("A: %+v %+v, want 3 products and import %d", f, f.LastImport, last)
	}
	if f := got[b.ID]; f.Products != 0 || f.LastImport == nil || f.LastImport.JobID != bLast || f.LastImport.Status != "running" {
		t.Errorf("B: %+v %+v", f, f.LastImport)
	}
	if f, ok := got[c.ID]; !ok || f.Products != 0 || f.LastImport != nil {
		t.Errorf("C: %+v (listed %v), want 0 products and no import", f, ok)
	}
	if none, err := s.Figures(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("no vendors: %v, %v", none, err)
	}
}

// The cross-vendor listing names every bad parameter, and a cursor of
// another list is not one of its own.
func TestAllJobsRefusals(t *testing.T) {
	db := tenanttest.Open(t)
	s := marketplace.New(db, marketplace.Options{}, nil, nil)
	for _, c := range []struct {
		name   string
		f      marketplace.JobFilter
		r      page.Request
		fields []string
	}{
		{"UnknownStatus", marketplace.JobFilter{Status: "done"}, page.Request{}, []string{"status"}},
		{"NegativeVendor", marketplace.JobFilter{VendorID: -1}, page.Request{}, []string{"vendor"}},
		{"LimitTooLarge", marketplace.JobFilter{}, page.Request{Limit: 201}, []string{"limit"}},
		{"AnotherListsCursor", marketplace.JobFilter{}, page.Request{Cursor: page.ByID{List: "imports"}.Cursor(5)}, []string{"cursor"}},
		{"Everything", marketplace.JobFilter{Status: "x", VendorID: -2}, page.Request{Cursor: "!"}, []string{"status", "vendor", "cursor"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.AllJobs(context.Background(), c.f, c.r)
			fe, ok := fault.As(err)
			if !ok || fe.Kind != fault.Invalid || len(fe.Fields) != len(c.fields) {
				t.Fatalf("err = %v, want invalid naming %v", err, c.fields)
			}
			for _, f := range c.fields {
				if fe.Fields[f] == "" {
					t.Errorf("%s not named: %v", f, fe.Fields)
				}
			}
		})
	}
}
