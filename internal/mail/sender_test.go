package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb"
)

const testFrom = "Bazaar <no-reply@bazaar.test>"

func newSMTPSender(t *testing.T, db *tenantdb.DB, port int, adjust func(*Options)) *Sender {
	t.Helper()
	o := Options{Driver: "smtp", Host: "127.0.0.1", Port: port, TLS: "none", From: testFrom, Timeout: 10 * time.Second}
	if adjust != nil {
		adjust(&o)
	}
	s, err := NewSender(db, o, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func flush(t *testing.T, s *Sender, want int) {
	t.Helper()
	sent, err := s.Flush(context.Background())
	if err != nil || sent != want {
		t.Fatalf("Flush = %d, %v; want %d, nil", sent, err, want)
	}
}

// makeDue moves every unsent mail's next attempt into the past, standing in
// for the backoff running out.
func makeDue(t *testing.T, db *tenantdb.DB) {
	t.Helper()
	err := db.Platform().OutboxMail.Update().SetNextAttemptAt(time.Now().Add(-time.Second)).Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
}

func TestFlush(t *testing.T) {
	t.Run("DeliversAProperMessageOnce", func(t *testing.T) {
		db := openDB(t)
		ts := startServer(t, serverOptions{})
		s := newSMTPSender(t, db, ts.port, nil)
		subject := "Passwort zurücksetzen für Zoë"
		body := "Hallo Zoë,\n\nhttps://bazaar.test/reset?token=a=b&c=d\n" + strings.Repeat("long line ", 150) + "\n.\n.leading dot\ntrailing space \n"
		enqueue(t, db, Message{Kind: "password_reset", To: "Zoë Muster <zoe@example.com>", Subject: subject, Body: body})

		flush(t, s, 1)
		got := ts.received()
		if len(got) != 1 {
			t.Fatalf("server received %d messages", len(got))
		}
		r := got[0]
		if r.from != "no-reply@bazaar.test" || len(r.to) != 1 || r.to[0] != "zoe@example.com" {
			t.Fatalf("envelope from %q to %q", r.from, r.to)
		}
		if n, crlf := bytes.Count(r.raw, []byte("\n")), bytes.Count(r.raw, []byte("\r\n")); n != crlf {
			t.Fatalf("%d line feeds, %d of them after CR", n, crlf)
		}
		for line := range strings.SplitSeq(string(r.raw), "\r\n") {
			if len(line) > 998 {
				t.Fatalf("line of %d bytes: %q", len(line), line)
			}
		}
		p := parse(t, r.raw)
		if p.subject != subject {
			t.Fatalf("subject %q", p.subject)
		}
		if b := strings.ReplaceAll(p.body, "\r\n", "\n"); b != body {
			t.Fatalf("body arrived as\n%q\nwant\n%q", b, body)
		}
		to, err := p.header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Name != "Zoë Muster" || to[0].Address != "zoe@example.com" {
			t.Fatalf("To %v, %v", to, err)
		}
		from, err := p.header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Name != "Bazaar" || from[0].Address != "no-reply@bazaar.test" {
			t.Fatalf("From %v, %v", from, err)
		}
		if _, err := p.header.Date(); err != nil {
			t.Fatalf("Date: %v", err)
		}
		for name, want := range map[string]string{"MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8"} {
			if v := p.header.Get(name); v != want {
				t.Fatalf("%s = %q; want %q", name, v, want)
			}
		}
		if id := p.header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@bazaar.test>") {
			t.Fatalf("Message-ID %q", id)
		}

		rows := outbox(t, db)
		if len(rows) != 1 || rows[0].SentAt == nil || rows[0].Attempts != 0 {
			t.Fatalf("outbox after delivery: %v", rows)
		}
		flush(t, s, 0)
		if n := ts.count(); n != 1 {
			t.Fatalf("server received %d messages after a second Flush", n)
		}
	})

	t.Run("OutageThenDeliversOnce", func(t *testing.T) {
		db := openDB(t)
		addr := reservePort(t)
		port := mustPort(t, addr)
		s := newSMTPSender(t, db, port, func(o *Options) { o.BackoffBase = time.Minute })
		enqueue(t, db, invitation("first@example.com"), invitation("second@example.com"))

		before := time.Now()
		flush(t, s, 0)
		rows := outbox(t, db)
		first, second := rows[0], rows[1]
		if first.Attempts != 1 || first.SentAt != nil || !strings.HasPrefix(first.LastError, "connect: ") {
			t.Fatalf("after a failed attempt: attempts=%d sent_at=%v last_error=%q", first.Attempts, first.SentAt, first.LastError)
		}
		if !first.NextAttemptAt.After(before) || first.NextAttemptAt.After(time.Now().Add(time.Minute)) {
			t.Fatalf("next attempt at %v; want within a minute from %v", first.NextAttemptAt, before)
		}
		// The server is down for every mail: the pass stopped instead of
		// charging the second mail an attempt too.
		if second.Attempts != 0 || second.LastError != "" {
			t.Fatalf("second mail: attempts=%d last_error=%q", second.Attempts, second.LastError)
		}
		// The first mail is not due again yet; the second one's turn has come.
		flush(t, s, 0)
		if rows := outbox(t, db); rows[0].Attempts != 1 || rows[1].Attempts != 1 {
			t.Fatalf("attempts %d, %d; want 1, 1", rows[0].Attempts, rows[1].Attempts)
		}

		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the reserved port was taken meanwhile: %v", err)
		}
		ts := startServer(t, serverOptions{listener: ln})
		makeDue(t, db)
		flush(t, s, 2)
		flush(t, s, 0)
		makeDue(t, db)
		flush(t, s, 0)
		if n := ts.count(); n != 2 {
			t.Fatalf("server received %d messages; want 2", n)
		}
		for _, m := range outbox(t, db) {
			if m.SentAt == nil {
				t.Fatalf("mail %d unsent", m.ID)
			}
		}
	})

	t.Run("GivesUpAfterMaxAttempts", func(t *testing.T) {
		db := openDB(t)
		addr := reservePort(t)
		s := newSMTPSender(t, db, mustPort(t, addr), func(o *Options) { o.MaxAttempts = 2 })
		enqueue(t, db, invitation("gone@example.com"))
		for range 3 {
			flush(t, s, 0)
			makeDue(t, db)
		}
		if m := outbox(t, db)[0]; m.Attempts != 2 || m.LastError == "" {
			t.Fatalf("attempts=%d last_error=%q; want 2 and the last failure", m.Attempts, m.LastError)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the reserved port was taken meanwhile: %v", err)
		}
		ts := startServer(t, serverOptions{listener: ln})
		flush(t, s, 0)
		if n := ts.count(); n != 0 {
			t.Fatalf("a given-up mail was sent")
		}
	})

	t.Run("ConcurrentSendersDeliverEachOnce", func(t *testing.T) {
		db := openDB(t)
		ts := startServer(t, serverOptions{holdFirst: true})
		var msgs []Message
		for i := range 20 {
			m := invitation(fmt.Sprintf("user%02d@example.com", i))
			m.Subject = fmt.Sprintf("mail %02d", i)
			msgs = append(msgs, m)
		}
		enqueue(t, db, msgs...)
		senders := []*Sender{newSMTPSender(t, db, ts.port, nil), newSMTPSender(t, db, ts.port, nil)}
		sent := make([]int, len(senders))
		errs := make([]error, len(senders))
		var wg sync.WaitGroup
		for i, s := range senders {
			wg.Go(func() { sent[i], errs[i] = s.Flush(context.Background()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("sender %d: %v", i, err)
			}
		}
		if sent[0]+sent[1] != 20 || sent[0] == 0 || sent[1] == 0 {
			t.Fatalf("senders sent %v; want 20 between them, both working", sent)
		}
		seen := map[string]int{}
		for _, r := range ts.received() {
			seen[parse(t, r.raw).subject]++
		}
		for _, m := range msgs {
			if seen[m.Subject] != 1 {
				t.Fatalf("%q received %d times", m.Subject, seen[m.Subject])
			}
		}
		if n := ts.count(); n != 20 {
			t.Fatalf("server received %d messages", n)
		}
	})
}

func mustPort(t *testing.T, addr string) int {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a.Port
}

func TestRun(t *testing.T) {
	db := openDB(t)
	ts := startServer(t, serverOptions{})
	s := newSMTPSender(t, db, ts.port, func(o *Options) { o.PollInterval = time.Minute })
	idle := make(chan struct{}, 1)
	s.onIdle = func() {
		select {
		case idle <- struct{}{}:
		default:
		}
	}
	enqueue(t, db, invitation("early@example.com"))
	l := db.NewListener()
	s.Follow(l)
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v; want nil after cancel", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)

	select {
	case <-idle:
	case <-time.After(10 * time.Second):
		t.Fatal("Run never finished its first pass")
	}
	// The first pass delivered what was queued before Run started.
	if n := ts.count(); n != 1 {
		t.Fatalf("server received %d messages after the first pass", n)
	}
	// The poll is a minute away: only the notification can bring this one.
	enqueue(t, db, invitation("late@example.com"))
	waitFor(t, "the notified mail", func() bool { return ts.count() == 2 })
	stop()
	if got := ts.received()[1].to; len(got) != 1 || got[0] != "late@example.com" {
		t.Fatalf("second message went to %v", got)
	}
}

func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	const user, password = "mailer", "correct horse battery staple"
	withAuth := func(mode, pw string, roots bool) func(*Options) {
		return func(o *Options) {
			o.TLS, o.Username, o.Password = mode, user, pw
			if roots {
				o.TLSConfig = &tls.Config{RootCAs: pool}
			}
		}
	}

	t.Run("StartTLSWithPlainAuthDelivers", func(t *testing.T) {
		db := openDB(t)
		ts := startServer(t, serverOptions{tls: serverTLS, user: user, password: password})
		s := newSMTPSender(t, db, ts.port, withAuth("starttls", password, true))
		enqueue(t, db, invitation("ann@example.com"))
		flush(t, s, 1)
		if n := ts.count(); n != 1 {
			t.Fatalf("server received %d messages", n)
		}
	})

	t.Run("ImplicitTLSDelivers", func(t *testing.T) {
		db := openDB(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ts := startServer(t, serverOptions{listener: tls.NewListener(ln, serverTLS), user: user, password: password})
		s := newSMTPSender(t, db, ts.port, withAuth("tls", password, true))
		enqueue(t, db, invitation("ann@example.com"))
		flush(t, s, 1)
		if n := ts.count(); n != 1 {
			t.Fatalf("server received %d messages", n)
		}
	})

	t.Run("WrongPasswordStaysUnsentAndUnquoted", func(t *testing.T) {
		db := openDB(t)
		ts := startServer(t, serverOptions{tls: serverTLS, user: user, password: password})
		const wrong = "Tr0ub4dor&3-not-it"
		s := newSMTPSender(t, db, ts.port, withAuth("starttls", wrong, true))
		enqueue(t, db, invitation("ann@example.com"))
		flush(t, s, 0)
		m := outbox(t, db)[0]
		if m.SentAt != nil || m.Attempts != 1 || !strings.HasPrefix(m.LastError, "auth: ") || !strings.Contains(m.LastError, "535") {
			t.Fatalf("sent_at=%v attempts=%d last_error=%q", m.SentAt, m.Attempts, m.LastError)
		}
		if strings.Contains(m.LastError, wrong) {
			t.Fatalf("last_error holds the password: %q", m.LastError)
		}
		if n := ts.count(); n != 0 {
			t.Fatalf("server received %d messages", n)
		}
	})

	t.Run("UntrustedCertificateIsRefused", func(t *testing.T) {
		db := openDB(t)
		ts := startServer(t, serverOptions{tls: serverTLS, user: user, password: password})
		s := newSMTPSender(t, db, ts.port, withAuth("starttls", password, false))
		enqueue(t, db, invitation("ann@example.com"))
		flush(t, s, 0)
		if m := outbox(t, db)[0]; !strings.Contains(m.LastError, "certificate") {
			t.Fatalf("last_error=%q; want a certificate failure", m.LastError)
		}
		if n := ts.count(); n != 0 {
			t.Fatalf("server received %d messages", n)
		}
	})

	t.Run("MissingSTARTTLSIsRefused", func(t *testing.T) {
		db := openDB(t)
		ts := startServer(t, serverOptions{})
		s := newSMTPSender(t, db, ts.port, func(o *Options) { o.TLS = "starttls" })
		enqueue(t, db, invitation("ann@example.com"))
		flush(t, s, 0)
		if m := outbox(t, db)[0]; !strings.HasPrefix(m.LastError, "starttls: ") {
			t.Fatalf("last_error=%q; want a STARTTLS failure", m.LastError)
		}
		if n := ts.count(); n != 0 {
			t.Fatalf("server received %d messages over a plain connection", n)
		}
	})
}

func TestLogDriver(t *testing.T) {
	db := openDB(t)
	var logs bytes.Buffer
	s, err := NewSender(db, Options{Driver: "log"}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := invitation("ann@example.com")
	enqueue(t, db, m)
	flush(t, s, 1)
	if row := outbox(t, db)[0]; row.SentAt == nil {
		t.Fatal("the log driver left the mail unsent")
	}
	out := logs.String()
	for _, want := range []string{m.Subject, m.To, m.Kind} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "SECRET-TOKEN") {
		t.Fatalf("log holds the body:\n%s", out)
	}
	flush(t, s, 0)
}

func TestNewSenderRejectsBadOptions(t *testing.T) {
	db := openDB(t)
	good := Options{Driver: "smtp", Host: "mail.example.com", Port: 587, TLS: "starttls", From: testFrom, Username: "u", Password: "hunter2-secret"}
	for _, c := range []struct {
		name   string
		adjust func(*Options)
		want   []string // in the error; nil: accepted
	}{
		{"Good", func(*Options) {}, nil},
		{"LogDriverNeedsNoServer", func(o *Options) { *o = Options{Driver: "log"} }, nil},
		{"PlainAuthOnLoopback", func(o *Options) { o.Host, o.TLS = "127.0.0.1", "none" }, nil},
		{"UnknownDriver", func(o *Options) { o.Driver = "pigeon" }, []string{`unknown driver "pigeon"`}},
		{"NoDriver", func(o *Options) { o.Driver = "" }, []string{"unknown driver"}},
		{"UnknownTLSMode", func(o *Options) { o.TLS = "ssl" }, []string{`unknown tls mode "ssl"`}},
		{"MissingServer", func(o *Options) { o.Host, o.Port, o.From = "", 0, "" }, []string{"host is required", "port", "from is required"}},
		{"BadFrom", func(o *Options) { o.From = "no-reply@a.b\r\nBcc: x@y.z" }, []string{"from must be one line"}},
		{"PlainAuthInClear", func(o *Options) { o.TLS = "none" }, []string{"password in clear"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := good
			c.adjust(&o)
			_, err := NewSender(db, o, nil)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), good.Password) {
				t.Fatalf("error holds the password: %q", err)
			}
		})
	}
}

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	s := &Sender{o: Options{BackoffBase: time.Second, BackoffMax: 10 * time.Second}}
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		for range 50 {
			if d := s.backoff(attempts); d > want || d < want*4/5 {
				t.Fatalf("backoff(%d) = %v; want %v less at most a fifth", attempts, d, want)
			}
		}
	}
}
