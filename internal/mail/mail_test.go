package mail

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/outboxmail"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

// openDB gives the test a database of its own: a Flush claims every due mail
// in the outbox, so tests sharing one would deliver each other's mail.
func openDB(t *testing.T) *tenantdb.DB {
	t.Helper()
	return tenanttest.OpenDatabase(t, tenanttest.NewDatabase(t))
}

// enqueue commits msgs in one platform transaction.
func enqueue(t *testing.T, db *tenantdb.DB, msgs ...Message) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Platform().Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := Enqueue(ctx, tx, m); err != nil {
			_ = tx.Rollback()
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func outbox(t *testing.T, db *tenantdb.DB) []*platform.OutboxMail {
	t.Helper()
	all, err := db.Platform().OutboxMail.Query().Order(outboxmail.ByID()).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func invitation(to string) Message {
	return Message{Kind: "invitation", To: to, Subject: "You are invited", Body: "Join us: https://bazaar.test/invite/SECRET-TOKEN\n"}
}

func TestEnqueue(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()

	t.Run("RollbackLeavesNoMail", func(t *testing.T) {
		ts := startServer(t, serverOptions{})
		s := newSMTPSender(t, db, ts.port, nil)
		tx, err := db.Platform().Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := Enqueue(ctx, tx, invitation("ann@example.com")); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n := len(outbox(t, db)); n != 0 {
			t.Fatalf("outbox holds %d mails after rollback", n)
		}
		if sent, err := s.Flush(ctx); err != nil || sent != 0 {
			t.Fatalf("Flush = %d, %v; want 0, nil", sent, err)
		}
		if n := ts.count(); n != 0 {
			t.Fatalf("server received %d messages", n)
		}
	})

	t.Run("BadMessagesNameEveryField", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			m      Message
			fields []string
		}{
			{"HeaderInjectionInTo", Message{Kind: "invitation", To: "a@b.c\r\nBcc: x@y.z", Subject: "s", Body: "b"}, []string{"to"}},
			{"HeaderInjectionInSubject", Message{Kind: "invitation", To: "a@b.c", Subject: "Hi\r\nBcc: x@y.z", Body: "b"}, []string{"subject"}},
			{"BareLineFeedInSubject", Message{Kind: "invitation", To: "a@b.c", Subject: "Hi\nthere", Body: "b"}, []string{"subject"}},
			{"TwoRecipients", Message{Kind: "invitation", To: "a@b.c, d@e.f", Subject: "s", Body: "b"}, []string{"to"}},
			{"NotAnAddress", Message{Kind: "invitation", To: "nobody", Subject: "s", Body: "b"}, []string{"to"}},
			{"Empty", Message{}, []string{"body", "kind", "subject", "to"}},
			{"KindNotAMachineName", Message{Kind: "Password Reset", To: "a@b.c", Subject: "s", Body: "b"}, []string{"kind"}},
			{"SubjectTooLong", Message{Kind: "invitation", To: "a@b.c", Subject: strings.Repeat("x", 301), Body: "b"}, []string{"subject"}},
			{"BodyWithNUL", Message{Kind: "invitation", To: "a@b.c", Subject: "s", Body: "a\x00b"}, []string{"body"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				tx, err := db.Platform().Tx(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				err = Enqueue(ctx, tx, c.m)
				fe, ok := fault.As(err)
				if !ok || !errors.Is(err, fault.ErrInvalid) {
					t.Fatalf("Enqueue = %v; want a fault of kind invalid", err)
				}
				var got []string
				for f := range fe.Fields {
					got = append(got, f)
				}
				if len(got) != len(c.fields) {
					t.Fatalf("fields = %v; want %v", fe.Fields, c.fields)
				}
				for _, f := range c.fields {
					if _, ok := fe.Fields[f]; !ok {
						t.Fatalf("fields = %v; want %v", fe.Fields, c.fields)
					}
				}
			})
		}
		if n := len(outbox(t, db)); n != 0 {
			t.Fatalf("refused mails reached the outbox: %d", n)
		}
	})

	t.Run("RecentListsNewestFirst", func(t *testing.T) {
		enqueue(t, db, invitation("r1@example.com"), invitation("r2@example.com"), invitation("r3@example.com"))
		outbox := NewOutbox(db)
		got, err := outbox.Recent(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].To != "r3@example.com" || got[1].To != "r2@example.com" {
			t.Fatalf("Recent(2) = %v", got)
		}
		if got, err := outbox.Recent(ctx, 0); err != nil || len(got) != 0 {
			t.Fatalf("Recent(0) = %v, %v", got, err)
		}
	})
}

// TestBacklog: the outbox's figures — waiting (and since when), retrying,
// given up (recently or long ago), sent in the last hour, the newest
// failure's reason.
func TestBacklog(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	ctx := context.Background()
	now := time.Now()
	if b, err := NewOutbox(db).Backlog(ctx, 3, now); err != nil || b != (Backlog{}) {
		t.Fatalf("empty outbox: %+v, %v", b, err)
	}
	enqueue(t, db, invitation("a@shop.test"), invitation("b@shop.test"), invitation("c@shop.test"),
		invitation("d@shop.test"), invitation("e@shop.test"), invitation("f@shop.test"), invitation("g@shop.test"))
	ms := outbox(t, db)
	set := func(i int, u func(*platform.OutboxMailUpdateOne)) {
		up := db.Platform().OutboxMail.UpdateOneID(ms[i].ID)
		u(up)
		if err := up.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// 0 waits, never tried; 1 waits after a failure; 2 was given up, 3 too
	// but long ago; 4 and 5 went out in the last hour, 6 before.
	set(1, func(u *platform.OutboxMailUpdateOne) {
		u.SetAttempts(1).SetLastError("older failure").SetNextAttemptAt(now.Add(time.Minute))
	})
	set(2, func(u *platform.OutboxMailUpdateOne) {
		u.SetAttempts(3).SetLastError("the mail server refused the connection").SetNextAttemptAt(now.Add(2 * time.Minute))
	})
	set(3, func(u *platform.OutboxMailUpdateOne) {
		u.SetAttempts(3).SetLastError("long ago").SetNextAttemptAt(now.Add(-8 * 24 * time.Hour))
	})
	set(4, func(u *platform.OutboxMailUpdateOne) { u.SetSentAt(now.Add(-10 * time.Minute)) })
	set(5, func(u *platform.OutboxMailUpdateOne) { u.SetSentAt(now.Add(-time.Minute)) })
	set(6, func(u *platform.OutboxMailUpdateOne) { u.SetSentAt(now.Add(-2 * time.Hour)) })
	// created_at is immutable to ent: the waiting mail's and the old
	// given-up one's are set behind its back.
	oldest := now.Add(-2 * time.Hour).Truncate(time.Microsecond)
	raw := tenanttest.SQL(t, d)
	if _, err := raw.ExecContext(ctx, `UPDATE platform.outbox_mails SET created_at = $2 WHERE id = $1`, ms[0].ID, oldest); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `UPDATE platform.outbox_mails SET created_at = $2 WHERE id = $1`, ms[3].ID, now.Add(-9*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	b, err := NewOutbox(db).Backlog(ctx, 3, now)
	if err != nil {
		t.Fatal(err)
	}
	if b.Waiting != 2 || b.Retrying != 1 || b.GivenUp != 2 || b.GivenUpRecent != 1 || b.SentLastHour != 2 ||
		b.LastError != "the mail server refused the connection" || b.OldestWaiting == nil || !b.OldestWaiting.Equal(oldest) {
		t.Errorf("backlog: %+v (oldest waiting %v, want %v)", b, b.OldestWaiting, oldest)
	}
}
