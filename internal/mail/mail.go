// Package mail is Bazaar's transactional mail: an outbox table written in the
// same transaction as the change that causes a mail, and a Sender that
// delivers it over SMTP and retries while the mail server is away.
//
// Why an outbox and not a direct SMTP call from the request: the mail then
// exists exactly when its change committed (no invitation mail for an
// invitation that rolled back, no lost reset link because the mail server was
// briefly down), and requests never wait on a mail server.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"
	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/outboxmail"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// notifyChannel is the NOTIFY channel that wakes senders. NOTIFY is
// transactional, so a sender hears of a mail only once it is committed and
// visible to its claim query.
const notifyChannel = "bazaar_outbox"

// Column limits of the outbox schema (ent/platform/schema/outboxmail.go),
// checked here so an oversized value is a validation error naming its field
// rather than an ent validator error.
const (
	maxKind    = 50
	maxTo      = 254
	maxSubject = 300
)

// Message is one mail to send. Kind is a short machine name ("invitation",
// "password_reset"); Body is plain text and may hold a one-time link, so it is
// never logged.
type Message struct{ Kind, To, Subject, Body string }

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Enqueue writes m into the outbox inside the caller's platform transaction,
// so the mail exists exactly when the caller's change commits, and wakes the
// senders with a NOTIFY that PostgreSQL delivers at commit (and drops on
// rollback). Invalid messages are a *fault.Error of kind invalid naming every
// bad field.
func Enqueue(ctx context.Context, tx *platform.Tx, m Message) error {
	if tx == nil {
		return errors.New("mail: Enqueue needs the caller's transaction")
	}
	if err := m.validate(); err != nil {
		return err
	}
	if err := tx.OutboxMail.Create().
		SetKind(m.Kind).
		SetTo(m.To).
		SetSubject(m.Subject).
		SetBody(m.Body).
		Exec(ctx); err != nil {
		return err
	}
	// Identical notifications of one transaction are folded into one, so
	// enqueueing many mails still wakes each sender once.
	_, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, notifyChannel)
	return err
}

// validate lists every bad field. CR and LF (and every other control
// character) are refused in To and Subject because they end up in header
// lines: allowing them would let a caller inject headers such as Bcc.
func (m Message) validate() error {
	bad := map[string]string{}
	switch {
	case m.Kind == "":
		bad["kind"] = "is required"
	case len(m.Kind) > maxKind || !kindPattern.MatchString(m.Kind):
		bad["kind"] = "must be a short machine name (a-z, 0-9, _)"
	}
	switch {
	case strings.TrimSpace(m.To) == "":
		bad["to"] = "is required"
	case hasControl(m.To) || !utf8.ValidString(m.To):
		bad["to"] = "must be one address on one line"
	case len(m.To) > maxTo:
		bad["to"] = "is too long"
	default:
		if _, err := mail.ParseAddress(m.To); err != nil {
			bad["to"] = "must be one valid address"
		}
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		bad["subject"] = "is required"
	case hasControl(m.Subject) || !utf8.ValidString(m.Subject):
		bad["subject"] = "must be one line of text"
	case len(m.Subject) > maxSubject:
		bad["subject"] = "is too long"
	}
	switch {
	case strings.TrimSpace(m.Body) == "":
		bad["body"] = "is required"
	case strings.ContainsRune(m.Body, 0) || !utf8.ValidString(m.Body):
		bad["body"] = "must be UTF-8 text"
	}
	return fault.Fields("invalid mail", bad)
}

// hasControl reports whether s holds a control character; tab is allowed.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && unicode.IsControl(r) })
}

// Outbox reads the outbox back, for the development mail page.
type Outbox struct {
	db *tenantdb.DB
}

// NewOutbox builds an Outbox.
func NewOutbox(db *tenantdb.DB) *Outbox { return &Outbox{db: db} }

// Outgoing is a mail of the outbox and how its delivery goes.
type Outgoing struct {
	Message
	CreatedAt time.Time
	SentAt    *time.Time // nil: not sent yet
	Attempts  int
	LastError string
}

// Recent lists the newest n mails, sent or not, newest first. The mails
// carry their bodies: the page exists to show them, so it must only be
// served in development.
func (o *Outbox) Recent(ctx context.Context, n int) ([]Outgoing, error) {
	if n <= 0 {
		return []Outgoing{}, nil
	}
	if _, err := o.Collect(ctx); err != nil {
		return nil, fmt.Errorf("mail: collect the shops' mails: %w", err)
	}
	rows, err := o.db.Platform().OutboxMail.Query().Order(outboxmail.ByID(sql.OrderDesc())).Limit(n).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("mail: recent: %w", err)
	}
	out := make([]Outgoing, len(rows))
	for i, m := range rows {
		out[i] = Outgoing{
			Message:   Message{Kind: m.Kind, To: m.To, Subject: m.Subject, Body: m.Body},
			CreatedAt: m.CreatedAt, SentAt: m.SentAt, Attempts: m.Attempts, LastError: m.LastError,
		}
	}
	return out, nil
}

// outboxTable is the outbox, qualified, for the queries ent does not build.
var outboxTable = pq.QuoteIdentifier(tenantdb.PlatformSchema) + ".outbox_mails"

// Backlog is how the outbox's delivery goes, for the super admins' health
// report.
type Backlog struct {
	Waiting       int        // not sent, still to be tried
	OldestWaiting *time.Time // when the oldest of them was enqueued; nil: none waits
	Retrying      int        // waiting after at least one failed attempt
	GivenUp       int        // left unsent after the last attempt allowed
	GivenUpRecent int        // of those, enqueued in the last 7 days
	SentLastHour  int
	// LastError is a failure's reason as the sender recorded it (user-safe:
	// the SMTP password is never in it): that of the failed unsent mail due
	// last, which is most often the newest failure (the outbox keeps no
	// failure time); empty when no unsent mail has failed.
	LastError string
}

// Backlog reads the outbox's figures at now; maxAttempts is the senders'
// (mail.max_attempts): a mail that failed that many times is given up. One
// query over the unsent mails and those sent in the last hour (the outbox's
// index on sent_at finds both).
func (o *Outbox) Backlog(ctx context.Context, maxAttempts int, now time.Time) (Backlog, error) {
	var b Backlog
	var oldest sql.NullTime
	rows, err := o.db.Platform().QueryContext(ctx, `SELECT
			count(*) FILTER (WHERE sent_at IS NULL AND attempts < $1),
			min(created_at) FILTER (WHERE sent_at IS NULL AND attempts < $1),
			count(*) FILTER (WHERE sent_at IS NULL AND attempts < $1 AND attempts > 0),
			count(*) FILTER (WHERE sent_at IS NULL AND attempts >= $1),
			count(*) FILTER (WHERE sent_at IS NULL AND attempts >= $1 AND created_at >= $2),
			count(*) FILTER (WHERE sent_at >= $3),
			coalesce((SELECT last_error FROM `+outboxTable+` WHERE sent_at IS NULL AND attempts > 0
				ORDER BY next_attempt_at DESC, id DESC LIMIT 1), '')
		FROM `+outboxTable+` WHERE sent_at IS NULL OR sent_at >= $3`,
		maxAttempts, now.Add(-7*24*time.Hour), now.Add(-time.Hour))
	if err != nil {
		return b, fmt.Errorf("mail: backlog: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&b.Waiting, &oldest, &b.Retrying, &b.GivenUp, &b.GivenUpRecent, &b.SentLastHour, &b.LastError); err != nil {
			return b, fmt.Errorf("mail: backlog: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("mail: backlog: %w", err)
	}
	if oldest.Valid {
		b.OldestWaiting = &oldest.Time
	}
	return b, nil
}
