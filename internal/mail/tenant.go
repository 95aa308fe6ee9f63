package mail

import (
	"context"
	"fmt"
	"strings"

	"github.com/bazaar/bazaar/tenantdb"
)

// EnqueueTenant writes ms from inside a shop's bound transaction: the
// tenant role may not touch the platform's outbox, so the mails go to the
// shop's hand-off table (tenant_reports.mails, in the tenant role's name;
// row level security admits no other) and the senders move them into the
// outbox once they have committed. NOTIFY, delivered at commit, wakes them.
// Like Enqueue, a mail exists exactly when the shop's change commits. The
// mails are written in one statement.
func EnqueueTenant(ctx context.Context, ms ...Message) error {
	if len(ms) == 0 {
		return nil
	}
	args := make([]any, 0, 4*len(ms))
	var values strings.Builder
	for i, m := range ms {
		if err := m.validate(); err != nil {
			return err
		}
		if i > 0 {
			values.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&values, "(current_user, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4)
		args = append(args, m.Kind, m.To, m.Subject, m.Body)
	}
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO "`+tenantdb.ReportsSchema+`"."mails" ("db_role", "kind", "to", "subject", "body") VALUES `+values.String(), args...); err != nil {
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
