package mail

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/outboxmail"
	"github.com/bazaar/bazaar/tenantdb"
)

// The drivers of Options.Driver.
const (
	driverSMTP = "smtp"
	driverLog  = "log"
)

// maxLastError keeps last_error well inside its column (500) and readable.
const maxLastError = 300

// Options configure delivery. Zero durations and counts take the defaults
// noted on each field.
type Options struct {
	Driver       string        // "smtp" delivers; "log" logs to, subject and kind (never the body) and marks the mail sent: development
	Host         string        // smtp: the mail server
	Port         int           // smtp: usually 587 (starttls) or 465 (tls)
	Username     string        // smtp: PLAIN authentication when set
	Password     string        // secret: never logged, never stored in last_error
	TLS          string        // "none", "starttls" (require STARTTLS; the default) or "tls" (implicit TLS)
	From         string        // "Bazaar <no-reply@example.com>"
	Timeout      time.Duration // bounds one SMTP conversation, dial to QUIT (default 30s)
	PollInterval time.Duration // how often Run looks for due mail without a notification (default 5s)
	BatchSize    int           // mails claimed per pass (default 20)
	MaxAttempts  int           // after this many failures a mail is given up: left unsent with its last_error (default 20)
	BackoffBase  time.Duration // first retry delay, doubled each attempt (default 5s) ...
	BackoffMax   time.Duration // ... capped here (default 30m)
	TLSConfig    *tls.Config   // optional, e.g. to trust a test certificate; nil: system roots. ServerName defaults to Host
}

// Sender delivers the outbox. Any number of senders, in any number of
// processes, may run against one database: each mail is claimed with
// SELECT … FOR UPDATE SKIP LOCKED and marked sent in the transaction that
// claimed it, so while a sender holds a mail no other sender sees it.
//
// Delivery is at least once, not exactly once: the mark is committed right
// after the server accepted the mail, and a crash (or a lost database
// connection) between the two leaves the mail unsent in the outbox, to be
// sent again. Such a duplicate carries the same Message-ID.
//
// Times are the application's clock, as ent stamps them on Enqueue: a sender
// whose clock runs behind the enqueuing instance's sees a new mail as due only
// that much later (at the next poll at worst), so instances should keep their
// clocks synchronised.
type Sender struct {
	db   *tenantdb.DB
	o    Options
	from *mail.Address // nil with the log driver when From is empty
	smtp *smtpTransport
	log  *slog.Logger

	wake chan struct{} // a mail was enqueued somewhere (see Follow)

	// onIdle, when set by tests, is called whenever Run has finished its
	// passes and waits.
	onIdle func()
}

// NewSender checks o and fills in its defaults. It does not contact the mail
// server: Run keeps trying while the server is away.
func NewSender(db *tenantdb.DB, o Options, log *slog.Logger) (*Sender, error) {
	if db == nil {
		return nil, errors.New("mail: NewSender needs a database")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.TLS == "" {
		o.TLS = tlsStart
	}
	defaults(&o.Timeout, 30*time.Second)
	defaults(&o.PollInterval, 5*time.Second)
	defaults(&o.BatchSize, 20)
	defaults(&o.MaxAttempts, 20)
	defaults(&o.BackoffBase, 5*time.Second)
	defaults(&o.BackoffMax, 30*time.Minute)

	s := &Sender{db: db, o: o, log: log, wake: make(chan struct{}, 1)}
	var bad []string
	if o.From != "" || o.Driver == driverSMTP {
		from, err := parseFrom(o.From)
		if err != nil {
			bad = append(bad, err.Error())
		}
		s.from = from
	}
	switch o.Driver {
	case driverLog:
	case driverSMTP:
		if o.Host == "" {
			bad = append(bad, "host is required")
		}
		if o.Port < 1 || o.Port > 65535 {
			bad = append(bad, "port must be 1-65535")
		}
		switch o.TLS {
		case tlsNone, tlsStart, tlsImplicit:
		default:
			bad = append(bad, fmt.Sprintf("unknown tls mode %q (want none, starttls or tls)", o.TLS))
		}
		if o.Username != "" && o.TLS == tlsNone && !isLoopback(o.Host) {
			bad = append(bad, "a username needs tls starttls or tls: PLAIN authentication would send the password in clear")
		}
		if o.Password != "" && o.Username == "" {
			bad = append(bad, "a password without a username is never used")
		}
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.TLSConfig != nil {
			tc = o.TLSConfig.Clone()
		}
		if tc.ServerName == "" {
			tc.ServerName = o.Host
		}
		s.smtp = &smtpTransport{
			addr:      net.JoinHostPort(o.Host, strconv.Itoa(o.Port)),
			host:      o.Host,
			mode:      o.TLS,
			tlsConfig: tc,
			username:  o.Username,
			password:  o.Password,
			timeout:   o.Timeout,
		}
	default:
		bad = append(bad, fmt.Sprintf("unknown driver %q (want smtp or log)", o.Driver))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("mail: invalid options: %s", strings.Join(bad, "; "))
	}
	return s, nil
}

func defaults[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func parseFrom(from string) (*mail.Address, error) {
	if from == "" {
		return nil, errors.New("from is required")
	}
	if hasControl(from) {
		return nil, errors.New("from must be one line")
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from %q is not one valid address", from)
	}
	return a, nil
}

// Flush makes one pass: it claims up to BatchSize due mails, oldest first, and
// tries each once. It returns how many were sent. A pass ends early when the
// mail server cannot be reached or refuses the sender's credentials, since
// every other mail would fail alike; they stay due for the next pass.
func (s *Sender) Flush(ctx context.Context) (sent int, err error) {
	sent, _, err = s.pass(ctx)
	return sent, err
}

// pass is Flush, also reporting whether it used its whole batch (so more mail
// may be due).
func (s *Sender) pass(ctx context.Context) (sent int, full bool, err error) {
	if _, err := collect(ctx, s.db); err != nil {
		return 0, false, err
	}
	after := 0 // claims go up in id order, so a pass never tries a mail twice
	for range s.o.BatchSize {
		r, err := s.next(ctx, after)
		if err != nil {
			return sent, false, err
		}
		if r.id == 0 {
			return sent, false, nil
		}
		after = r.id
		if r.sent {
			sent++
		}
		if r.serverDown {
			return sent, false, nil
		}
	}
	return sent, true, nil
}

type outcome struct {
	id         int  // 0: nothing was due
	sent       bool // else it failed and was rescheduled
	serverDown bool // the failure was the server's or the configuration's
}

// next claims the first due mail after id after, tries it, and records the
// result in the claiming transaction.
func (s *Sender) next(ctx context.Context, after int) (outcome, error) {
	// database/sql rolls a transaction back when its context ends; a mail the
	// server has accepted must still be marked sent when ctx is cancelled
	// mid-conversation (shutdown), so the transaction has a context of its
	// own, bounded by the conversation's timeout.
	txCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.Timeout+time.Minute)
	defer cancel()
	tx, err := s.db.Platform().Tx(txCtx)
	if err != nil {
		return outcome{}, err
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	now := time.Now()
	m, err := tx.OutboxMail.Query().
		Where(
			outboxmail.SentAtIsNil(),
			outboxmail.NextAttemptAtLTE(now),
			outboxmail.AttemptsLT(s.o.MaxAttempts),
			outboxmail.IDGT(after),
		).
		Order(outboxmail.ByID()).
		ForUpdate(sql.WithLockAction(sql.SkipLocked)).
		First(txCtx) // LIMIT 1
	if platform.IsNotFound(err) {
		return outcome{}, nil
	}
	if err != nil {
		return outcome{}, err
	}
	if err := ctx.Err(); err != nil {
		return outcome{}, err // stopping: leave the mail to the next pass
	}

	sendErr := s.deliver(ctx, m)
	if sendErr != nil && ctx.Err() != nil {
		// Cut short by shutdown: not the mail's failure, so it keeps its
		// attempts; the rollback releases it.
		return outcome{}, ctx.Err()
	}
	o := outcome{id: m.ID}
	upd := tx.OutboxMail.UpdateOne(m)
	if sendErr == nil {
		upd.SetSentAt(time.Now())
		o.sent = true
	} else {
		attempts := m.Attempts + 1
		upd.SetAttempts(attempts).
			SetLastError(s.describe(sendErr)).
			SetNextAttemptAt(time.Now().Add(s.backoff(attempts)))
		var se *sendError
		o.serverDown = errors.As(sendErr, &se) && se.session
	}
	if err := upd.Exec(txCtx); err != nil {
		return s.unrecorded(m, o, err)
	}
	if err := tx.Commit(); err != nil {
		return s.unrecorded(m, o, err)
	}
	committed = true
	if !o.sent {
		attempts := m.Attempts + 1
		level, msg := slog.LevelWarn, "mail: delivery failed; will retry"
		if attempts >= s.o.MaxAttempts {
			level, msg = slog.LevelError, "mail: delivery failed; giving up"
		}
		s.log.Log(ctx, level, msg, "mail", m.ID, "kind", m.Kind, "attempts", attempts, "err", s.describe(sendErr))
	}
	return o, nil
}

// unrecorded reports a result the database did not take. A mail the server
// accepted stays unsent in the outbox and will go out again.
func (s *Sender) unrecorded(m *platform.OutboxMail, o outcome, err error) (outcome, error) {
	if o.sent {
		s.log.Error("mail: sent but not marked sent; it will be sent again", "mail", m.ID, "kind", m.Kind, "err", err)
	}
	return outcome{}, fmt.Errorf("mail: record outcome of mail %d: %w", m.ID, err)
}

// deliver hands one mail to the driver.
func (s *Sender) deliver(ctx context.Context, m *platform.OutboxMail) error {
	if s.smtp == nil {
		s.log.InfoContext(ctx, "mail (log driver, not sent)", "mail", m.ID, "kind", m.Kind, "to", m.To, "subject", m.Subject)
		return nil
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		// Enqueue validated it; a row written around Enqueue can still be bad.
		return &sendError{step: "rcpt to", err: errors.New("recipient is not a valid address")}
	}
	return s.smtp.send(ctx, s.from.Address, to.Address, compose(s.from, to, m, time.Now()))
}

// describe makes last_error: short, and free of secrets. The server's answers
// are quoted as they came, but the password, or its PLAIN encoding, are
// blanked in case a server echoes them.
func (s *Sender) describe(err error) string {
	msg := err.Error()
	if p := s.o.Password; p != "" {
		blob := base64.StdEncoding.EncodeToString([]byte("\x00" + s.o.Username + "\x00" + p))
		msg = strings.NewReplacer(blob, "[redacted]", p, "[redacted]").Replace(msg)
	}
	msg = strings.ToValidUTF8(msg, "?")
	if len(msg) > maxLastError {
		cut := maxLastError
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// backoff is the delay before attempt attempts+1: BackoffBase doubled per
// failure, capped at BackoffMax, less up to a fifth at random so that the
// mails of one outage do not all return at the same moment.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.o.BackoffBase
	for i := 1; i < attempts && d < s.o.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, s.o.BackoffMax)
	if j := int64(d) / 5; j > 0 {
		d -= time.Duration(rand.Int64N(j + 1))
	}
	return d
}
