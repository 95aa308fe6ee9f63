package tenantdb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	entTenant "github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/archive"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// fillShop gives a tenant rows in tables that reference each other, values
// COPY must escape (tabs, newlines, backslashes, NULLs, non-ASCII, JSON),
// import jobs its triggers report, a custom role and a team member.
func fillShop(t *testing.T, db *tenantdb.DB, tn *tenantdb.Tenant, products int) {
	t.Helper()
	ctx := context.Background()
	must(t, db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO products (sku, title, description, price_cents, currency, status, stock, created_at, updated_at)
				SELECT 'SKU-' || g, jsonb_build_object('en', 'Product ' || g, 'fr', 'Produit é ' || g),
					CASE WHEN g % 3 = 0 THEN NULL ELSE jsonb_build_object('en', E'line one\nline\ttwo \\ back') END,
					g * 100, 'EUR', 'active', CASE WHEN g % 2 = 0 THEN g END, now(), now()
				FROM generate_series(1, $1::int) g`,
			`INSERT INTO customers (email, first_name, created_at, updated_at) VALUES ('marie@example.lu', 'Marie', now(), now())`,
			`INSERT INTO orders (number, email, language, billing_address, shipping_method, shipping_cents, shipping_vat_bp,
				subtotal_cents, vat_cents, total_cents, vat_breakdown, currency, units, payment_method, created_at, updated_at, customer_id)
				SELECT 1, 'marie@example.lu', 'fr', '{"city":"Esch"}', 'standard', 490, 1700, 1000, 170, 1490, '[]', 'EUR', 1,
					'bank_transfer', now(), now(), id FROM customers`,
			`INSERT INTO order_lines (product_id, sku, title, quantity, unit_price_cents, vat_rate_bp, total_cents, vat_cents, order_id)
				SELECT p.id, p.sku, 'Product 1', 1, 1000, 1700, 1000, 170, o.id FROM products p, orders o WHERE p.sku = 'SKU-1'`,
			`INSERT INTO import_jobs (languages, status, rows, created_at) VALUES ('["fr"]', 'succeeded', $1, now())`,
			`INSERT INTO roles (name, description, permissions, created_at, updated_at) VALUES ('Photographer', 'takes pictures', '["products.view"]', now(), now())`,
			`INSERT INTO payment_accounts (provider, publishable_key, secret_key_sealed, secret_key_hint, updated_at) VALUES ('stripe', 'pk_test_x', '\x01aa', '…1234', now())`,
		} {
			args := []any{}
			if strings.Contains(q, "$1") {
				args = append(args, products)
			}
			if _, err := c.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("%.60s: %w", q, err)
			}
		}
		return nil
	}))
}

// backup takes a backup of slug into memory.
func backup(t *testing.T, db *tenantdb.DB, slug string) ([]byte, *archive.Manifest) {
	t.Helper()
	var buf bytes.Buffer
	_, m, err := db.Backup(context.Background(), slug, &buf)
	if err != nil {
		t.Fatalf("backup %s: %v", slug, err)
	}
	return buf.Bytes(), m
}

// sameData compares two manifests table by table, but for the tables
// named in except.
func sameData(t *testing.T, a, b *archive.Manifest, except ...string) {
	t.Helper()
	if len(a.Tables) != len(b.Tables) {
		t.Fatalf("%d tables vs %d", len(a.Tables), len(b.Tables))
	}
	for _, ta := range a.Tables {
		if slices.Contains(except, ta.Name) {
			continue
		}
		tb, ok := b.Table(ta.Name)
		if !ok || tb.Rows != ta.Rows || tb.SHA256 != ta.SHA256 {
			t.Errorf("table %s: %+v, then %+v", ta.Name, ta.Sum, tb.Sum)
		}
	}
}

func count(t *testing.T, db *tenantdb.DB, tn *tenantdb.Tenant, query string) int {
	t.Helper()
	var n int
	must(t, db.ReadTx(context.Background(), tn, func(ctx context.Context) error {
		tx, err := tenantdb.SQLTx(ctx)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, query).Scan(&n)
	}))
	return n
}

func TestBackupRestore(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	db := tenanttest.Open(t)
	ctx := context.Background()
	sqlDB := tenanttest.SQL(t, d)
	a := tenanttest.Tenant(t, db, "bk")
	fillShop(t, db, a, 500)
	var userID int
	must(t, sqlDB.QueryRowContext(ctx, `INSERT INTO platform.users (email, password_hash, tokens_valid_after, created_at, updated_at)
		VALUES ($1, 'x', now(), now(), now()) RETURNING id`, a.Slug+"@example.lu").Scan(&userID))
	_, err := sqlDB.ExecContext(ctx, `INSERT INTO platform.memberships (user_id, vendor_id, role_id, active, created_at, updated_at)
		VALUES ($1, $2, 1, true, now(), now())`, userID, a.ID)
	must(t, err)
	// The shop's settings on its registry row travel with it.
	_, err = sqlDB.ExecContext(ctx, `UPDATE platform.vendors SET business_city = 'Esch', bank_account_holder = 'Bk SARL',
		bank_iban = 'LU280019400644750000', bank_bic = 'BCEELULL' WHERE id = $1`, a.ID)
	must(t, err)
	settings := func(id int) string {
		var s string
		must(t, sqlDB.QueryRowContext(ctx, `SELECT concat_ws('|', business_city, bank_account_holder, bank_iban, bank_bic) FROM platform.vendors WHERE id = $1`, id).Scan(&s))
		return s
	}

	file, m := backup(t, db, a.Slug)
	if p, _ := m.Table("products"); p.Rows != 500 {
		t.Fatalf("products in the manifest: %d, want 500", p.Rows)
	}
	h, vm, err := archive.Verify(bytes.NewReader(file))
	must(t, err)
	if h.Slug != a.Slug || h.Revision != db.TenantLatest() || vm.Rows() != m.Rows() {
		t.Fatalf("verify: header %+v, %d rows", h, vm.Rows())
	}

	t.Run("AsCopyServesTheSameDataIndependently", func(t *testing.T) {
		copySlug := tenanttest.Slug("bkcopy")
		res, err := db.Restore(ctx, bytes.NewReader(file), tenantdb.RestoreOptions{As: copySlug, WithMembers: true})
		must(t, err)
		t.Cleanup(func() { _ = db.Delete(ctx, copySlug) })
		b := res.Tenant
		if b.Schema == a.Schema || b.Role == a.Role || b.ID == a.ID || res.Members != 1 || res.Replaced || !res.PaymentsCleared {
			t.Fatalf("copy = %+v, result %+v", b, res)
		}
		if got := settings(b.ID); got != "Esch|Bk SARL|LU280019400644750000|BCEELULL" {
			t.Errorf("the copy's settings: %q", got)
		}
		// The copy cannot open the original's sealed keys (bound to its
		// vendor id): its card payments are off, the keys gone.
		if n := count(t, db, b, `SELECT count(*) FROM payment_accounts WHERE enabled OR secret_key_sealed IS NOT NULL`); n != 0 {
			t.Errorf("%d payment accounts of the copy still enabled or keyed", n)
		}
		// Put the row back as it was, to compare the rest.
		var was string
		must(t, sqlDB.QueryRowContext(ctx, `SELECT updated_at::text FROM `+a.Schema+`.payment_accounts`).Scan(&was))
		must(t, db.Tx(ctx, b, func(ctx context.Context) error {
			tx, err := tenantdb.SQLTx(ctx)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE payment_accounts SET enabled = true, secret_key_sealed = '\x01aa', secret_key_hint = '…1234', updated_at = $1`, was)
			return err
		}))
		_, mb := backup(t, db, copySlug)
		sameData(t, m, mb)
		// Independently editable: a new product takes an id past the
		// restored ones, and neither shop sees the other's change.
		must(t, db.Tx(ctx, b, func(ctx context.Context) error {
			tx, err := tenantdb.SQLTx(ctx)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE products SET price_cents = 1 WHERE sku = 'SKU-1'`); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO products (sku, title, price_cents, created_at, updated_at) VALUES ('NEW', '{}', 5, now(), now())`)
			return err
		}))
		if n := count(t, db, a, `SELECT count(*) FROM products WHERE price_cents = 1 OR sku = 'NEW'`); n != 0 {
			t.Errorf("the original sees %d of the copy's changes", n)
		}
		if n := count(t, db, b, `SELECT count(*) FROM products`); n != 501 {
			t.Errorf("the copy has %d products, want 501", n)
		}
		// Its triggers reported the restored rows under its own role.
		var reported int
		must(t, sqlDB.QueryRowContext(ctx, `SELECT products FROM tenant_reports.vendor_figures WHERE db_role = $1`, b.Role).Scan(&reported))
		if reported != 501 {
			t.Errorf("tenant_reports counts %d products for the copy, want 501", reported)
		}
	})

	t.Run("OverAnExistingSlugNeedsForce", func(t *testing.T) {
		_, err := db.Restore(ctx, bytes.NewReader(file), tenantdb.RestoreOptions{})
		if !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "--force") {
			t.Fatalf("err = %v, want a conflict naming --force", err)
		}
	})

	t.Run("ForceReplacesTheData", func(t *testing.T) {
		must(t, db.Tx(ctx, a, func(ctx context.Context) error {
			tx, err := tenantdb.SQLTx(ctx)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM order_lines; DELETE FROM products WHERE id > 100; UPDATE customers SET first_name = 'Changed'`)
			return err
		}))
		_, err := sqlDB.ExecContext(ctx, `UPDATE platform.vendors SET bank_iban = '', bank_account_holder = '' WHERE id = $1`, a.ID)
		must(t, err)
		res, err := db.Restore(ctx, bytes.NewReader(file), tenantdb.RestoreOptions{Force: true})
		must(t, err)
		if got := settings(a.ID); got != "Esch|Bk SARL|LU280019400644750000|BCEELULL" {
			t.Errorf("the settings after the restore: %q", got)
		}
		if !res.Replaced || res.Tenant.ID != a.ID || res.Tenant.Schema != a.Schema || res.Tenant.Role != a.Role {
			t.Fatalf("result %+v, tenant %+v", res, res.Tenant)
		}
		_, m2 := backup(t, db, a.Slug)
		sameData(t, m, m2)
		var trash int
		must(t, sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'trash\_%' OR nspname LIKE 'restore\_%'`).Scan(&trash))
		if trash != 0 {
			t.Errorf("%d work or replaced schemas left behind", trash)
		}
		var members int
		must(t, sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM platform.memberships WHERE vendor_id = $1`, a.ID).Scan(&members))
		if members != 1 {
			t.Errorf("%d memberships after the restore, want the backup's 1", members)
		}
		if res.PaymentsCleared {
			t.Error("payment keys cleared, but the vendor kept its id")
		}
	})

	t.Run("ADeletedVendorComesBackWithItsID", func(t *testing.T) {
		must(t, db.Delete(ctx, a.Slug))
		res, err := db.Restore(ctx, bytes.NewReader(file), tenantdb.RestoreOptions{})
		must(t, err)
		if res.Tenant.ID != a.ID || res.PaymentsCleared || res.Members != 1 {
			t.Fatalf("restored %+v (result %+v), want vendor id %d back with its keys and team", res.Tenant, res, a.ID)
		}
		_, m3 := backup(t, db, a.Slug)
		sameData(t, m, m3)
	})
}

// A damaged file, or one this binary cannot restore, is refused with its
// problem named, and nothing changes.
func TestRestoreRefusesBadFiles(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	db := tenanttest.Open(t)
	ctx := context.Background()
	a := tenanttest.Tenant(t, db, "bkbad")
	fillShop(t, db, a, 3000)
	file, _ := backup(t, db, a.Slug)

	newer := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) {
		o.TenantMigrations = withMigration(t, entTenant.Migrations, rolloutFile, rolloutSQL)
	})
	fut := tenanttest.Tenant(t, newer, "bkfut")
	futFile, _ := backup(t, newer, fut.Slug)

	flipped := bytes.Clone(file)
	flipped[len(flipped)/2] ^= 0x20

	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"Truncated", file[:len(file)*2/3], "truncated"},
		{"FlippedByte", flipped, "damaged"},
		{"AnotherFormat", []byte("PGDMP\x01\x0e\x00 a pg_dump custom-format file"), "not a Bazaar tenant backup"},
		{"NewerSchema", futFile, "newer Bazaar"},
	}
	// Roles are cluster-wide (other packages' tests make theirs meanwhile):
	// count this database's, by their prefix.
	state := func() string {
		var s string
		must(t, tenanttest.SQL(t, d).QueryRowContext(ctx, `SELECT (SELECT count(*) FROM platform.vendors)::text || '/' ||
			(SELECT count(*) FROM pg_namespace)::text || '/' || (SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1))::text`,
			d.RolePrefix).Scan(&s))
		return s
	}
	before := state()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := db.Restore(ctx, bytes.NewReader(c.file), tenantdb.RestoreOptions{As: tenanttest.Slug("bknew")})
			if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want an invalid-input error saying %q", err, c.want)
			}
			if after := state(); after != before {
				t.Errorf("vendors/schemas/roles %s before, %s after", before, after)
			}
		})
	}
	t.Run("FlippedByteInATableNamesIt", func(t *testing.T) {
		// Rewrite the file with one product's text changed under the
		// original manifest: the data decompresses, its checksum fails.
		bad := tamperTable(t, file, "Product 7")
		_, err := db.Restore(ctx, bytes.NewReader(bad), tenantdb.RestoreOptions{As: tenanttest.Slug("bknew")})
		if err == nil || !strings.Contains(err.Error(), "table products") {
			t.Fatalf("err = %v, want it to name table products", err)
		}
		if after := state(); after != before {
			t.Errorf("vendors/schemas/roles %s before, %s after", before, after)
		}
	})
}

// tamperTable changes one character of a product's title inside the
// decompressed stream and compresses it again: the framing and the
// manifest are intact, the table's data is not.
func tamperTable(t *testing.T, file []byte, marker string) []byte {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(file))
	must(t, err)
	raw, err := io.ReadAll(zr)
	zr.Close()
	must(t, err)
	i := bytes.Index(raw, []byte(marker))
	if i < 0 {
		t.Fatalf("%q not in the backup", marker)
	}
	raw[i+len(marker)-1] ^= 1
	var out bytes.Buffer
	zw, err := zstd.NewWriter(&out)
	must(t, err)
	_, err = zw.Write(raw)
	must(t, err)
	must(t, zw.Close())
	return out.Bytes()
}

// The restore of a backup older than the binary migrates it forward.
func TestRestoreOlderBackupMigratesForward(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	db := tenanttest.Open(t)
	ctx := context.Background()
	older := tenanttest.OpenDatabase(t, d, func(o *tenantdb.Options) {
		o.TenantMigrations = withoutMigration(t, entTenant.Migrations, "20261201024302_selling.sql")
	})
	old := tenanttest.Tenant(t, older, "bkold")
	must(t, older.Tx(ctx, old, func(ctx context.Context) error {
		tx, err := tenantdb.SQLTx(ctx)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO products (sku, title, price_cents, created_at, updated_at)
			SELECT 'OLD-' || g, '{"en":"old"}', g, now(), now() FROM generate_series(1, 40) g`)
		return err
	}))
	file, _ := backup(t, older, old.Slug)
	slug := tenanttest.Slug("bkfwd")
	res, err := db.Restore(ctx, bytes.NewReader(file), tenantdb.RestoreOptions{As: slug})
	must(t, err)
	t.Cleanup(func() { _ = db.Delete(ctx, slug) })
	if res.Migrated == 0 || res.Tenant.SchemaVersion != db.TenantLatest() {
		t.Fatalf("migrated %d, version %s, want forward to %s", res.Migrated, res.Tenant.SchemaVersion, db.TenantLatest())
	}
	if n := count(t, db, res.Tenant, `SELECT count(*) FROM products`); n != 40 {
		t.Errorf("%d products, want 40", n)
	}
	// The newer migration's seed is there: the shop can take orders.
	if n := count(t, db, res.Tenant, `SELECT count(*) FROM shipping_methods`); n == 0 {
		t.Error("no shipping methods: the selling migration did not run after the data")
	}
}

// A backup taken while an import writes is one point in time: every writer
// transaction adds products and an import job counting them together, so
// the newest job's count equals the products in any consistent snapshot.
func TestBackupIsOneSnapshot(t *testing.T) {
	db := tenanttest.Open(t)
	ctx := context.Background()
	a := tenanttest.Tenant(t, db, "bksnap")
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			err := db.Tx(ctx, a, func(ctx context.Context) error {
				tx, err := tenantdb.SQLTx(ctx)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO products (sku, title, price_cents, created_at, updated_at)
					SELECT 'W' || $1::int || '-' || g, '{}', 1, now(), now() FROM generate_series(1, 200) g`, i); err != nil {
					return err
				}
				_, err = tx.ExecContext(ctx, `INSERT INTO import_jobs (languages, status, rows, created_at)
					SELECT '["fr"]', 'succeeded', count(*), now() FROM products`)
				return err
			})
			if err != nil {
				t.Error(err)
				return
			}
			writes.Add(1)
		}
	})
	defer func() { stop.Store(true); wg.Wait() }()
	for writes.Load() < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	for range 5 {
		file, m := backup(t, db, a.Slug)
		slug := tenanttest.Slug("bksnapc")
		res, err := db.Restore(ctx, bytes.NewReader(file), tenantdb.RestoreOptions{As: slug})
		must(t, err)
		products := count(t, db, res.Tenant, `SELECT count(*) FROM products`)
		newest := count(t, db, res.Tenant, `SELECT coalesce(max(rows), 0) FROM import_jobs`)
		must(t, db.Delete(ctx, slug))
		if p, _ := m.Table("products"); int(p.Rows) != products || products != newest {
			t.Fatalf("backup holds %d products and a newest job counting %d: not one snapshot", products, newest)
		}
	}
	stop.Store(true)
	wg.Wait()
	if writes.Load() < 5 {
		t.Fatalf("only %d writes during the backups", writes.Load())
	}
}

// A restore killed midway leaves nothing; run again, it completes.
func TestRestoreKilledMidwayLeavesNothing(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	db := tenanttest.Open(t)
	ctx := context.Background()
	sqlDB := tenanttest.SQL(t, d)
	a := tenanttest.Tenant(t, db, "bkkill")
	fillShop(t, db, a, 2000)
	file, m := backup(t, db, a.Slug)
	slug := tenanttest.Slug("bkkilled")
	for _, step := range []string{"data", "verify", "migrate", "registry"} {
		tenantdb.SetFaultHook(db, func(s string) error {
			if s != "restore:"+step {
				return nil
			}
			// The server ends the restore's backend, as a crash or an
			// operator's pg_terminate_backend would, and it is gone before
			// the restore goes on.
			var pid int
			if err := sqlDB.QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity
				WHERE application_name = 'bazaar test restore' AND datname = current_database()`).Scan(&pid); err != nil {
				return fmt.Errorf("the restore's backend: %w", err)
			}
			if _, err := sqlDB.ExecContext(ctx, `SELECT pg_terminate_backend($1, 10000)`, pid); err != nil {
				return err
			}
			return nil
		})
		_, err := db.Restore(ctx, bytes.NewReader(file), tenantdb.RestoreOptions{As: slug})
		tenantdb.SetFaultHook(db, nil)
		if err == nil || strings.Contains(err.Error(), "the restore's backend") {
			t.Fatalf("killed after %s: err = %v, want the restore to fail", step, err)
		}
		var left int
		must(t, sqlDB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM platform.vendors WHERE slug = $1) +
			(SELECT count(*) FROM pg_namespace WHERE nspname = $2)`, slug, tenantdb.SchemaName(slug)).Scan(&left))
		if left != 0 {
			t.Fatalf("killed after %s: %d objects of the restore left", step, left)
		}
	}
	res, err := db.Restore(ctx, bytes.NewReader(file), tenantdb.RestoreOptions{As: slug})
	must(t, err)
	t.Cleanup(func() { _ = db.Delete(ctx, slug) })
	_, m2 := backup(t, db, res.Tenant.Slug)
	// A copy's sealed payment keys are cleared (TestBackupRestore).
	sameData(t, m, m2, "payment_accounts")
}

// A backup of a current schema lists its tables from the ent schema, by
// name: it must be every table the migrations made, with every column.
func TestBackupSeesEveryTable(t *testing.T) {
	d := tenanttest.PackageDatabase(t)
	db := tenanttest.Open(t)
	a := tenanttest.Tenant(t, db, "bkall")
	file, _ := backup(t, db, a.Slug)
	h, _, err := archive.Verify(bytes.NewReader(file))
	must(t, err)
	got := map[string]string{}
	for _, tab := range h.Tables {
		got[tab.Name] = strings.Join(tab.Columns, ",")
	}
	rows, err := tenanttest.SQL(t, d).QueryContext(context.Background(), `SELECT c.relname, string_agg(a.attname, ',' ORDER BY a.attnum)
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND c.relname <> 'bazaar_schema_revisions'
		GROUP BY c.relname`, a.Schema)
	must(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, cols string
		must(t, rows.Scan(&name, &cols))
		n++
		if got[name] != cols {
			t.Errorf("table %s: the backup has columns %q, the schema %q", name, got[name], cols)
		}
	}
	if n != len(h.Tables) || n < 20 {
		t.Errorf("the schema has %d tables, the backup %d", n, len(h.Tables))
	}
}
