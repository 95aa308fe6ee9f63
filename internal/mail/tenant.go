package mail

import (
	"context"

	"github.com/bazaar/bazaar/tenantdb"
)

// EnqueueTenant writes m from inside a shop's bound transaction: the tenant
// role may not touch the platform's outbox, so the mail goes to the shop's
// hand-off table (tenant_reports.mails, in the tenant role's name; row level
// security admits no other) and the senders move it into the outbox once it
// has committed. NOTIFY, delivered at commit, wakes them. Like Enqueue, the
// mail exists exactly when the shop's change commits.
func EnqueueTenant(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO "`+tenantdb.ReportsSchema+`"."mails" ("db_role", "kind", "to", "subject", "body") VALUES (current_user, $1, $2, $3, $4)`,
		m.Kind, m.To, m.Subject, m.Body); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, notifyChannel)
	return err
}

// collectSQL moves the shops' committed mails into the outbox in one
// statement, oldest first, so a mail is in exactly one of the two tables.
// SKIP LOCKED lets two senders collect at once without waiting on each
// other's rows.
const collectSQL = `WITH handed AS (
	DELETE FROM "` + tenantdb.ReportsSchema + `"."mails" WHERE "id" IN (
		SELECT "id" FROM "` + tenantdb.ReportsSchema + `"."mails" ORDER BY "id" LIMIT 1000 FOR UPDATE SKIP LOCKED)
	RETURNING "id", "kind", "to", "subject", "body", "created_at")
INSERT INTO "` + tenantdb.PlatformSchema + `"."outbox_mails" ("kind", "to", "subject", "body", "attempts", "next_attempt_at", "last_error", "created_at")
SELECT "kind", "to", "subject", "body", 0, now(), '', "created_at" FROM handed ORDER BY "id"`

// Collect moves the shops' committed mails (EnqueueTenant) into the outbox
// and reports how many it moved. Senders call it before each pass; the
// development mail page calls it before listing.
func (o *Outbox) Collect(ctx context.Context) (int, error) {
	return collect(ctx, o.db)
}

func collect(ctx context.Context, db *tenantdb.DB) (int, error) {
	total := 0
	for {
		res, err := db.Platform().ExecContext(ctx, collectSQL)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if n < 1000 {
			return total, nil
		}
	}
}
