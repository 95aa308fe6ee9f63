package tenantdb_test

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// benchShop gives a tenant the benchmarks' shop: 10,000 products and 50,000
// staged marketplace rows (~60 MB of table data).
func benchShop(tb testing.TB, db *tenantdb.DB, tn *tenantdb.Tenant) {
	tb.Helper()
	if err := db.Tx(context.Background(), tn, func(ctx context.Context) error {
		tx, err := tenantdb.SQLTx(ctx)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO products (sku, title, description, price_cents, currency, status, stock, brand, created_at, updated_at)
			SELECT 'SKU-' || g, jsonb_build_object('fr', 'Produit ' || g, 'en', 'Product ' || g),
				jsonb_build_object('fr', repeat('Une description assez longue. ', 8)), 100 + g, 'EUR', 'active', g % 50, 'Brand', now(), now()
			FROM generate_series(1, 10000) g;
			INSERT INTO staged_products (feed_id, title, brand, availability, price_cents, currency, items, raw, seen, created_job, changed_job, updated_at)
			SELECT 'FEED-' || g, 'Staged ' || g, 'Brand', 'in stock', 100 + g, 'EUR', '[]',
				jsonb_build_object('title', 'Staged ' || g, 'description', repeat('Raw feed text. ', 40)), '{}', 1, 1, now()
			FROM generate_series(1, 50000) g`)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkBackup backs up and restores one shop (10,000 products, 50,000
// staged rows) with 0, 1,000 and 5,000 other tenants in the database, and in
// the same run does the same with pg_dump -n / pg_restore of that schema —
// the baseline, whose catalogue queries walk every schema. Restore is
// restore --as (a new schema from the spare pool, checked, registered);
// pg_restore restores into the same database (the source schema renamed
// aside meanwhile). The 5,000-tenant fleet takes a few minutes to build.
//
// Run: scripts/with-db go test ./tenantdb -run '^$' -bench '^BenchmarkBackup$' -benchtime 3x
func BenchmarkBackup(b *testing.B) {
	pgDump, pgRestore := pgTools(b)
	for _, n := range []int{0, 1000, 5000} {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			ctx := context.Background()
			d, _ := tenanttest.Fleet(b, fmt.Sprintf("bk%d", n), n, 0)
			db := tenanttest.OpenDatabase(b, d)
			tn, err := db.Provision(ctx, tenantdb.NewVendor{Slug: "backed-up", Name: "Backed up"})
			if err != nil {
				b.Fatal(err)
			}
			benchShop(b, db, tn)
			sqlDB := tenanttest.SQL(b, d)
			if _, err := sqlDB.ExecContext(ctx, `VACUUM ANALYZE `+tn.Schema+`.products, `+tn.Schema+`.staged_products`); err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			file := filepath.Join(dir, "shop.bazaar")
			dump := filepath.Join(dir, "shop.dump")
			var backup, restore, dumped, restored []time.Duration
			var size, dumpSize int64
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				f, err := os.Create(file)
				if err != nil {
					b.Fatal(err)
				}
				w := bufio.NewWriterSize(f, 1<<20)
				if _, _, err := db.Backup(ctx, tn.Slug, w); err != nil {
					b.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				backup = append(backup, time.Since(start))

				b.StopTimer()
				if _, err := db.FillSpares(ctx, 1); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start = time.Now()
				f, err = os.Open(file)
				if err != nil {
					b.Fatal(err)
				}
				res, err := db.Restore(ctx, bufio.NewReaderSize(f, 1<<20), tenantdb.RestoreOptions{As: fmt.Sprintf("copy-%d", i)})
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				restore = append(restore, time.Since(start))
				b.StopTimer()
				if st, err := os.Stat(file); err == nil {
					size = st.Size()
				}
				if err := db.Delete(ctx, res.Tenant.Slug); err != nil {
					b.Fatal(err)
				}
				if pgDump == "" {
					b.StartTimer()
					continue
				}

				// The baseline, in the same run on the same database.
				start = time.Now()
				run(b, pgDump, "-Fc", "-Z", "3", "-n", tn.Schema, "-f", dump, "-d", d.URL)
				dumped = append(dumped, time.Since(start))
				if st, err := os.Stat(dump); err == nil {
					dumpSize = st.Size()
				}
				if _, err := sqlDB.ExecContext(ctx, `ALTER SCHEMA `+tn.Schema+` RENAME TO aside`); err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				run(b, pgRestore, "-d", d.URL, dump)
				restored = append(restored, time.Since(start))
				if _, err := sqlDB.ExecContext(ctx, `DROP SCHEMA `+tn.Schema+` CASCADE; ALTER SCHEMA aside RENAME TO `+tn.Schema); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			report := func(name string, ds []time.Duration) float64 {
				if len(ds) == 0 {
					return 0
				}
				slices.Sort(ds)
				ms := float64(ds[len(ds)/2].Microseconds()) / 1000
				b.ReportMetric(ms, name+"-ms")
				return ms
			}
			bk, rs := report("backup", backup), report("restore", restore)
			pd, pr := report("pg_dump", dumped), report("pg_restore", restored)
			if pd > 0 {
				b.ReportMetric(pd/bk, "x-faster-backup")
				b.ReportMetric(pr/rs, "x-faster-restore")
			}
			b.ReportMetric(float64(size)/(1<<10), "file-KiB")
			if dumpSize > 0 {
				b.ReportMetric(float64(dumpSize)/(1<<10), "dump-KiB")
			}
		})
	}
}

// pgTools finds the pg_dump and pg_restore of the test server's major
// version (an older pg_dump refuses a newer server), or skips the baseline.
func pgTools(b *testing.B) (dump, restore string) {
	d := tenanttest.PackageDatabase(b)
	var major int
	if err := tenanttest.SQL(b, d).QueryRow(`SELECT current_setting('server_version_num')::int / 10000`).Scan(&major); err != nil {
		b.Fatal(err)
	}
	bin := fmt.Sprintf("/usr/lib/postgresql/%d/bin", major)
	dump, restore = filepath.Join(bin, "pg_dump"), filepath.Join(bin, "pg_restore")
	for _, p := range []string{dump, restore} {
		if _, err := os.Stat(p); err != nil {
			b.Logf("no %s: the pg_dump baseline is not measured", p)
			return "", ""
		}
	}
	return dump, restore
}

// run runs a PostgreSQL client tool, failing the benchmark with its output.
func run(b *testing.B, tool string, args ...string) {
	cmd := exec.Command(tool, args...)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c statement_timeout=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %s: %v\n%s", filepath.Base(tool), redact(strings.Join(args, " ")), err, out)
	}
}

// redact hides a URL's password in a failure message.
func redact(s string) string {
	for _, f := range strings.Fields(s) {
		if u, err := url.Parse(f); err == nil && u.User != nil {
			s = strings.ReplaceAll(s, f, u.Redacted())
		}
	}
	return s
}
