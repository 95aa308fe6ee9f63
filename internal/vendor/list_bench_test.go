package vendor_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/compose"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/internal/team"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// BenchmarkVendorList measures the super admins' vendor list (with each
// vendor's members, products and last import) at 10 and at 1,000 vendors,
// each with three members and one import job, to hold the claim that it
// reads platform-side figures whatever the number of vendors: a first page
// of 10 (newest first; both fleets fill it), a page of 10 sorted by name,
// and a search by slug (one vendor).
// <query>-p50-ms/<n> for each, and <query>-ratio, the 1,000 vendors' p50
// over the 10's; the fleets take turns query by query.
func BenchmarkVendorList(b *testing.B) {
	ctx := context.Background()
	fleets := []*listFleet{newListFleet(b, 10), newListFleet(b, 1000)}
	queries := []struct {
		name string
		p    vendor.ListParams
	}{
		{"first", vendor.ListParams{Request: page.Request{Limit: 10}}},
		{"by-name", vendor.ListParams{Sort: "name", Request: page.Request{Limit: 10}}},
		{"search", vendor.ListParams{Query: "-0007"}},
	}
	times := make([][][]time.Duration, len(fleets))
	for f := range fleets {
		times[f] = make([][]time.Duration, len(queries))
	}
	for b.Loop() {
		for q, query := range queries {
			for f, fl := range fleets {
				s := time.Now()
				pg, err := fl.svc.List(ctx, query.p)
				times[f][q] = append(times[f][q], time.Since(s))
				if err != nil || len(pg.Items) == 0 || pg.Items[0].Figures.Members != 3 || pg.Items[0].Figures.LastImport == nil {
					b.Fatalf("%d vendors, %s: %v %+v", fl.n, query.name, err, pg.Items)
				}
			}
		}
	}
	p50 := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1e3
	}
	for q, query := range queries {
		small, large := p50(times[0][q]), p50(times[1][q])
		b.ReportMetric(small, query.name+"-p50-ms/10")
		b.ReportMetric(large, query.name+"-p50-ms/1000")
		b.ReportMetric(large/small, query.name+"-ratio")
	}
}

type listFleet struct {
	n   int
	svc *vendor.Service
}

func newListFleet(b *testing.B, n int) *listFleet {
	ctx := context.Background()
	d, tenants := tenanttest.Fleet(b, fmt.Sprintf("vlist-%d", n), n, 0)
	db := tenanttest.OpenDatabase(b, d)
	raw := tenanttest.SQL(b, d)
	// Three members and one finished import each, written directly.
	for i, tn := range tenants {
		if _, err := raw.ExecContext(ctx, `
			WITH u AS (INSERT INTO platform.users (email, password_hash, created_at, updated_at, tokens_valid_after)
				SELECT format('m%s-%s@list.test', $1::int, k), 'x', now(), now(), now() FROM generate_series(1, 3) k RETURNING id)
			INSERT INTO platform.memberships (user_id, vendor_id, role_id, active, created_at, updated_at)
				SELECT id, $2, 1, true, now(), now() FROM u`, i, tn.ID); err != nil {
			b.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, `INSERT INTO tenant_reports.import_jobs (db_role, job_id, status, created_at, finished_at)
			VALUES ($1, 1, 'succeeded', now() - interval '1 hour', now())`, tn.Role); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := raw.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	hasher, err := identity.NewHasher(identity.KDF{Time: 1, MemoryKiB: 1024, Threads: 1, Concurrency: 1})
	if err != nil {
		b.Fatal(err)
	}
	market := marketplace.New(db, marketplace.Options{}, nil, log)
	svc := compose.Vendors(db, vendor.Options{}, team.New(db, hasher, nil, team.Options{}, log), market, hasher, log)
	if pg, err := svc.List(ctx, vendor.ListParams{Request: page.Request{Limit: 200}}); err != nil || len(pg.Items) != min(n, 200) {
		b.Fatalf("fleet of %d: %v, %d listed", n, err, len(pg.Items))
	}
	return &listFleet{n: n, svc: svc}
}
