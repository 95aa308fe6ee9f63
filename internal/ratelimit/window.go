// Package ratelimit counts attempts per key (a client's address) in fixed
// windows, in memory: the per-address limits of the team's and the shops'
// sign-ins. A window's map is dropped when the window turns, so it holds at
// most one window's keys.
package ratelimit

import (
	"sync"
	"time"
)

// Window allows limit attempts per key in each window of time.
type Window struct {
	limit  int
	window time.Duration

	mu     sync.Mutex
	start  time.Time
	counts map[string]int
}

// NewWindow returns a Window of limit attempts per key each window.
func NewWindow(limit int, window time.Duration) *Window {
	return &Window{limit: limit, window: window, counts: map[string]int{}} // the first attempt opens the first window
}

// Allow counts one attempt of key at now and reports whether it may go
// ahead, and if not, how long until the window turns. A clock that went
// back starts a new window.
func (l *Window) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window || now.Before(l.start) {
		l.start, l.counts = now, map[string]int{}
	}
	if l.counts[key] >= l.limit {
		return false, l.start.Add(l.window).Sub(now)
	}
	l.counts[key]++
	return true, 0
}
