package ratelimit

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	l := NewWindow(2, time.Minute)
	t0 := time.Now()
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.Allow("192.0.2.1", t0); ok != want {
			t.Fatalf("attempt %d: %v", i, ok)
		}
	}
	if ok, _ := l.Allow("192.0.2.2", t0); !ok {
		t.Error("another address was held to the first one's count")
	}
	if ok, wait := l.Allow("192.0.2.1", t0.Add(30*time.Second)); ok || wait != 30*time.Second {
		t.Errorf("mid-window: %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allow("192.0.2.1", t0.Add(time.Minute)); !ok {
		t.Error("a new window still refused the address")
	}
	if ok, _ := l.Allow("192.0.2.1", t0.Add(-time.Hour)); !ok {
		t.Error("a clock that went back kept the old window's count")
	}
}
