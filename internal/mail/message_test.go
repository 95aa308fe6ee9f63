package mail

import (
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
)

func TestCompose(t *testing.T) {
	from := &mail.Address{Name: "Bazaar", Address: "no-reply@bazaar.test"}
	to := &mail.Address{Address: "ann@example.com"}
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	// 300 bytes of non-ASCII: unfolded, its encoded-words would make one
	// line longer than the 998 bytes RFC 5322 allows.
	m := &platform.OutboxMail{ID: 7, CreatedAt: created, Subject: strings.Repeat("ü", 150), Body: "=3D is not an escape\r\nline two"}

	raw := compose(from, to, m, time.Now())
	for line := range strings.SplitSeq(string(raw), "\r\n") {
		if len(line) > 998 || strings.ContainsAny(line, "\r\n") {
			t.Fatalf("bad line of %d bytes: %q", len(line), line)
		}
	}
	p := parse(t, raw)
	if p.subject != m.Subject {
		t.Fatalf("subject decodes to %q", p.subject)
	}
	if p.body != m.Body+"\r\n" {
		t.Fatalf("body decodes to %q", p.body)
	}

	t.Run("MessageIDFollowsTheRow", func(t *testing.T) {
		again := compose(from, to, m, time.Now().Add(time.Hour))
		other := compose(from, to, &platform.OutboxMail{ID: 8, CreatedAt: created, Subject: "s", Body: "b"}, time.Now())
		id := func(raw []byte) string { return parse(t, raw).header.Get("Message-ID") }
		if id(raw) != id(again) || id(raw) == id(other) {
			t.Fatalf("Message-IDs %s, %s (same row), %s (other row)", id(raw), id(again), id(other))
		}
	})
}
