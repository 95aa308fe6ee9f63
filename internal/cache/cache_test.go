package cache

import (
	"errors"
	"testing"
	"time"
)

func TestGetLoadsOnceThenServesFromMemory(t *testing.T) {
	m := New[int, string](10, 0)
	loads := 0
	load := func() (string, error) { loads++; return "v", nil }
	for range 3 {
		if v, err := m.Get(1, load); err != nil || v != "v" {
			t.Fatalf("Get = %q, %v", v, err)
		}
	}
	if loads != 1 {
		t.Fatalf("loaded %d times, want 1", loads)
	}
	m.Invalidate(1)
	_, _ = m.Get(1, load)
	if loads != 2 {
		t.Fatalf("after Invalidate loaded %d times, want 2", loads)
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	m := New[int, int](10, 0)
	boom := errors.New("boom")
	if _, err := m.Get(1, func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if v, _ := m.Get(1, func() (int, error) { return 7, nil }); v != 7 {
		t.Fatalf("error was cached: got %d", v)
	}
}

// A value loaded across an invalidation is handed out but not kept: the next
// Get loads again.
func TestLoadRacingInvalidationIsNotStored(t *testing.T) {
	m := New[int, int](10, 0)
	v, _ := m.Get(1, func() (int, error) {
		m.Invalidate(1) // the notification arrives while we read the old state
		return 1, nil
	})
	if v != 1 {
		t.Fatalf("v = %d", v)
	}
	if v, _ := m.Get(1, func() (int, error) { return 2, nil }); v != 2 {
		t.Fatalf("stale value stored: got %d", v)
	}
}

func TestBoundAndExpiry(t *testing.T) {
	m := New[int, int](3, 0)
	for i := range 10 {
		_, _ = m.Get(i, func() (int, error) { return i, nil })
	}
	if n := m.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	e := New[int, int](3, time.Nanosecond)
	_, _ = e.Get(1, func() (int, error) { return 1, nil })
	time.Sleep(time.Millisecond)
	if v, _ := e.Get(1, func() (int, error) { return 2, nil }); v != 2 {
		t.Fatalf("expired entry served: %d", v)
	}
	m.InvalidateAll()
	if m.Len() != 0 {
		t.Fatal("InvalidateAll kept entries")
	}
}
