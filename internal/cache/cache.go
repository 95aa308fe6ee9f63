// Package cache is the in-memory cache behind Bazaar's per-request lookups
// (vendor policies, signed-in users): bounded, with an optional time to
// live, and invalidated by change notifications. Its one subtlety is the
// race between a load and an invalidation: a value loaded while an
// invalidation happened is returned to its caller but never stored, so a
// stale value cannot outlive the notification that condemned it.
package cache

import (
	"sync"
	"time"
)

// Map caches values by key.
type Map[K comparable, V any] struct {
	ttl time.Duration // 0: no expiry, notifications alone invalidate
	max int

	mu      sync.RWMutex // hits take the read lock only
	gen     uint64
	entries map[K]entry[V]
}

type entry[V any] struct {
	v       V
	expires int64 // unix nanoseconds; 8 bytes where time.Time takes 24, for small entries
}

// New returns a Map holding at most max entries (a random one is evicted
// beyond it), each for at most ttl (0: until invalidated).
func New[K comparable, V any](max int, ttl time.Duration) *Map[K, V] {
	if max <= 0 {
		max = 10000
	}
	return &Map[K, V]{ttl: ttl, max: max, entries: map[K]entry[V]{}}
}

// Get returns the cached value of k, or loads, stores and returns it. Errors
// are not cached. Concurrent misses of one key may load it more than once.
func (m *Map[K, V]) Get(k K, load func() (V, error)) (V, error) {
	m.mu.RLock()
	e, ok := m.entries[k]
	gen := m.gen
	m.mu.RUnlock()
	if ok && (m.ttl == 0 || time.Now().UnixNano() < e.expires) {
		return e.v, nil
	}
	now := time.Now()
	v, err := load()
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	if m.gen == gen {
		if _, present := m.entries[k]; !present && len(m.entries) >= m.max {
			for old := range m.entries { // map order is random: a random eviction
				delete(m.entries, old)
				break
			}
		}
		m.entries[k] = entry[V]{v: v, expires: now.Add(m.ttl).UnixNano()}
	}
	m.mu.Unlock()
	return v, nil
}

// Invalidate forgets k.
func (m *Map[K, V]) Invalidate(k K) {
	m.mu.Lock()
	m.gen++
	delete(m.entries, k)
	m.mu.Unlock()
}

// InvalidateAll forgets everything.
func (m *Map[K, V]) InvalidateAll() {
	m.mu.Lock()
	m.gen++
	m.entries = map[K]entry[V]{}
	m.mu.Unlock()
}

// Len is the number of entries held.
func (m *Map[K, V]) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.entries)
}
