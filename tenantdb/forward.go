package tenantdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ForwardReports brings what the tenants of other clusters reported — in
// their cluster's tenant_reports, by their triggers and their mail
// hand-off — to the main cluster's, where the platform reads them: mails are
// moved (at least once: a crash between the two commits sends one twice,
// never none), import job summaries and product counts are copied over
// what the main cluster holds. It returns how many rows it brought. With
// one cluster it does nothing. The server runs it every few seconds.
func (db *DB) ForwardReports(ctx context.Context) (int, error) {
	total := 0
	for _, name := range db.Clusters()[1:] {
		n, err := db.forwardFrom(ctx, db.clusters[name])
		total += n
		if err != nil {
			return total, fmt.Errorf("tenantdb: forward reports from cluster %s: %w", name, err)
		}
	}
	return total, nil
}

// forwardBatch bounds the rows one pass moves per table.
const forwardBatch = 1000

func (db *DB) forwardFrom(ctx context.Context, c *cluster) (int, error) {
	rs := quoteIdent(ReportsSchema)
	n := 0
	// Mails: taken off the cluster and added on main; the cluster's delete
	// commits after main's insert.
	for {
		tx, err := c.pool.BeginTx(ctx, nil)
		if err != nil {
			return n, err
		}
		var rows []byte
		err = tx.QueryRowContext(ctx, `WITH m AS (DELETE FROM `+rs+`.mails WHERE id IN (
				SELECT id FROM `+rs+`.mails ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
				RETURNING db_role, kind, "to", subject, body, created_at)
			SELECT coalesce(json_agg(m), '[]')::text FROM m`, forwardBatch).Scan(&rows)
		if err == nil && string(rows) != "[]" {
			var moved int64
			var r sql.Result
			r, err = db.pool.ExecContext(ctx, `INSERT INTO `+rs+`.mails (db_role, kind, "to", subject, body, created_at)
				SELECT db_role, kind, "to", subject, body, created_at FROM json_populate_recordset(NULL::`+rs+`.mails, $1::json)`, string(rows))
			if err == nil {
				moved, _ = r.RowsAffected()
				n += int(moved)
			}
		}
		if err == nil {
			err = tx.Commit()
		} else {
			_ = tx.Rollback()
		}
		if err != nil {
			return n, err
		}
		if string(rows) == "[]" {
			break
		}
	}
	// Summaries: what changed since the last pass (a second's overlap;
	// copying a row twice changes nothing), of tenant roles only — not of
	// spares' or moves' placeholder roles (<prefix>_…), which no vendor has.
	since := db.forwarded(c.name)
	var next time.Time // the cluster's clock, which wrote updated_at
	if err := c.pool.QueryRowContext(ctx, `SELECT clock_timestamp()`).Scan(&next); err != nil {
		return n, err
	}
	for _, t := range []struct{ table, key, set string }{
		{"import_jobs", "db_role, job_id", `status = EXCLUDED.status, dry_run = EXCLUDED.dry_run, "trigger" = EXCLUDED."trigger",
			"rows" = EXCLUDED."rows", created = EXCLUDED.created, updated = EXCLUDED.updated, unchanged = EXCLUDED.unchanged,
			missing = EXCLUDED.missing, failed = EXCLUDED.failed, rows_done = EXCLUDED.rows_done, error = EXCLUDED.error,
			created_at = EXCLUDED.created_at, started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
			updated_at = EXCLUDED.updated_at`},
		{"vendor_figures", "db_role", `products = EXCLUDED.products, updated_at = EXCLUDED.updated_at`},
	} {
		var rows string
		if err := c.pool.QueryRowContext(ctx, `SELECT coalesce(json_agg(r), '[]')::text FROM `+rs+`.`+t.table+` r
			WHERE r.updated_at >= $1 AND NOT starts_with(r.db_role, $2)`, since.Add(-time.Second), db.opts.RolePrefix+"_").Scan(&rows); err != nil {
			return n, err
		}
		if rows == "[]" {
			continue
		}
		r, err := db.pool.ExecContext(ctx, `INSERT INTO `+rs+`.`+t.table+`
			SELECT * FROM json_populate_recordset(NULL::`+rs+`.`+t.table+`, $1::json)
			ON CONFLICT (`+t.key+`) DO UPDATE SET `+t.set, rows)
		if err != nil {
			return n, err
		}
		k, _ := r.RowsAffected()
		n += int(k)
	}
	db.setForwarded(c.name, next)
	return n, nil
}

func (db *DB) forwarded(cluster string) time.Time {
	db.fwdMu.Lock()
	defer db.fwdMu.Unlock()
	return db.fwdSince[cluster]
}

func (db *DB) setForwarded(cluster string, t time.Time) {
	db.fwdMu.Lock()
	defer db.fwdMu.Unlock()
	if db.fwdSince == nil {
		db.fwdSince = map[string]time.Time{}
	}
	db.fwdSince[cluster] = t
}
