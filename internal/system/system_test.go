package system

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

// TestShortError: a job's error is shown by its first line, cut short,
// credentials taken out of URLs; one holding the database's words (SQL, a
// driver's prefix, a connection string) only says where the whole is.
func TestShortError(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	for _, tt := range []struct{ in, want string }{
		{"the feed server answered 503", "the feed server answered 503"},
		{"  first line\nsecond line\n\tat worker.go:12", "first line"},
		{`pq: relation "vendor_acme.products" does not exist`, "a database error (job 7's record in the queue holds the whole text)"},
		{"sql: no rows in result set", "a database error (job 7's record in the queue holds the whole text)"},
		{"dial postgres://bazaar:secret@db:5432/bazaar failed", "a database error (job 7's record in the queue holds the whole text)"},
		{"host=db user=bazaar password=secret: refused", "a database error (job 7's record in the queue holds the whole text)"},
		{"could not run UPDATE products SET price = 1 WHERE id = 2", "a database error (job 7's record in the queue holds the whole text)"},
		{"ERROR: deadlock detected (SQLSTATE 40P01)", "a database error (job 7's record in the queue holds the whole text)"},
		{"fetch https://user:pass@feeds.test/fr.csv: 404", "fetch https://…@feeds.test/fr.csv: 404"},
		{"select a language first", "select a language first"}, // SQL words alone are not SQL
		{long, strings.Repeat("é", 98) + "…"},
	} {
		if got := shortError(tt.in, 7); got != tt.want {
			t.Errorf("shortError(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45 s", 10 * time.Minute: "10 min", 10*time.Minute + 29*time.Second: "10 min",
		time.Hour: "1 h", 2*time.Hour + 5*time.Minute: "2 h 5 min", 50 * time.Hour: "50 h",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestRange: the analytics' dates — their defaults, and each bad one named.
func TestRange(t *testing.T) {
	s := &Service{now: func() time.Time { return time.Date(2026, 12, 1, 23, 30, 0, 0, time.FixedZone("CET", 3600)) }}
	day := func(v string) time.Time { d, _ := time.Parse(time.DateOnly, v); return d }
	for _, tt := range []struct {
		from, to    string
		first, last string
		bad         map[string]string // field → a word of its complaint
	}{
		{first: "2026-11-02", last: "2026-12-01"}, // 23:30 CET is 22:30 UTC: still the 1st
		{to: "2026-03-31", first: "2026-03-02", last: "2026-03-31"},
		{from: "2026-01-01", first: "2026-01-01", last: "2026-12-01"},
		{from: "2025-12-01", to: "2026-11-30", first: "2025-12-01", last: "2026-11-30"}, // 365 days
		{from: "2025-12-01", to: "2026-12-01", first: "2025-12-01", last: "2026-12-01"}, // 366
		{from: "2024-01-01", to: "2024-12-31", first: "2024-01-01", last: "2024-12-31"}, // 366: a leap year
		{from: "2025-11-30", to: "2026-12-01", bad: map[string]string{"from": "366"}},
		{from: "2026-12-02", to: "2026-12-01", bad: map[string]string{"from": "after"}},
		{from: "2026-12-02", bad: map[string]string{"from": "after"}},
		{from: "12/01/2026", to: "2026-02-29", bad: map[string]string{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}},
		{from: "0000-01-01", to: "0000-01-02", bad: map[string]string{"from": "era", "to": "era"}},
	} {
		first, last, err := s.Range(tt.from, tt.to)
		if tt.bad == nil {
			if err != nil || !first.Equal(day(tt.first)) || !last.Equal(day(tt.last)) {
				t.Errorf("Range(%q, %q) = %s, %s, %v; want %s, %s", tt.from, tt.to, first.Format(time.DateOnly), last.Format(time.DateOnly), err, tt.first, tt.last)
			}
			continue
		}
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Invalid || len(fe.Fields) != len(tt.bad) {
			t.Errorf("Range(%q, %q): %v, want fields %v", tt.from, tt.to, err, tt.bad)
			continue
		}
		for field, word := range tt.bad {
			if !strings.Contains(fe.Fields[field], word) {
				t.Errorf("Range(%q, %q): %s = %q, want it to say %q", tt.from, tt.to, field, fe.Fields[field], word)
			}
		}
	}
}

// TestSizeCache: the database's size is measured by the first report, then
// answered from the last measure, measured again in the background once it
// is older than sizeEvery — one measure at a time, a failed one keeping the
// last.
func TestSizeCache(t *testing.T) {
	var c sizeCache
	ctx := context.Background()
	measures := make(chan int64, 10)
	measure := func(context.Context) (int64, error) {
		n := <-measures
		if n < 0 {
			return 0, errors.New("no answer")
		}
		return n, nil
	}
	measures <- 100
	if n, at, err := c.get(ctx, measure); err != nil || n != 100 || time.Since(at) > time.Second {
		t.Fatalf("first: %d at %v, %v", n, at, err)
	}
	if n, _, _ := c.get(ctx, measure); n != 100 {
		t.Fatalf("cached: %d", n)
	}
	c.mu.Lock()
	c.at = c.at.Add(-sizeEvery - time.Second)
	old := c.at
	c.mu.Unlock()
	// Stale: answered at once from the last measure, one measure started.
	for range 3 {
		if n, at, _ := c.get(ctx, measure); n != 100 || !at.Equal(old) {
			t.Fatalf("stale: %d at %v", n, at)
		}
	}
	measures <- -1 // that measure fails: the last one stays, and a next call tries again
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return !c.refreshing })
	c.get(ctx, measure)
	measures <- 200
	waitFor(t, func() bool {
		n, _, _ := c.get(ctx, func(context.Context) (int64, error) { return 0, nil })
		return n == 200
	})
	if len(measures) != 0 {
		t.Errorf("%d measures left unread: one too few taken", len(measures))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
	}
}
