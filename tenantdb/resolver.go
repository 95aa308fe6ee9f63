package tenantdb

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/internal/fault"
)

// Resolver finds tenants by slug or custom domain with an in-memory cache in
// front of the platform schema. Every change to a vendor or domain is
// announced with NOTIFY in the changing transaction; every instance LISTENs and
// drops its cache, so a suspension takes effect on the next request
// everywhere. The TTL only bounds staleness if notifications are lost while
// the listener reconnects (and the cache is dropped on reconnect as well).
type Resolver struct {
	db         *DB
	ttl        time.Duration
	maxEntries int
	log        *slog.Logger

	mu      sync.RWMutex
	gen     uint64 // bumped on every invalidation; a lookup racing one is not cached
	entries map[string]cacheEntry

	listener *pq.Listener
	done     chan struct{}
}

type cacheEntry struct {
	t       *Tenant
	err     error // a *fault.Error of kind NotFound: negative entries are cached too
	expires time.Time
}

// ResolverOptions configure a Resolver.
type ResolverOptions struct {
	TTL        time.Duration // how long an entry may be served without a notification (default 1m)
	MaxEntries int           // the cache is dropped when it reaches this size (default 10000)
}

// NewResolver builds a resolver. Call Listen to follow changes made by other
// instances; without it, entries live for the TTL.
func (db *DB) NewResolver(o ResolverOptions) *Resolver {
	if o.TTL <= 0 {
		o.TTL = time.Minute
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10000
	}
	return &Resolver{db: db, ttl: o.TTL, maxEntries: o.MaxEntries, log: db.log, entries: map[string]cacheEntry{}}
}

// BySlug resolves a vendor subdomain or path prefix.
func (r *Resolver) BySlug(ctx context.Context, slug string) (*Tenant, error) {
	if err := ValidateSlug(slug); err != nil {
		return nil, err
	}
	return r.lookup(ctx, "s:"+slug, func() (*Tenant, error) { return r.db.TenantBySlug(ctx, slug) })
}

// ByDomain resolves a verified custom domain (a normalised host name).
func (r *Resolver) ByDomain(ctx context.Context, host string) (*Tenant, error) {
	return r.lookup(ctx, "d:"+host, func() (*Tenant, error) { return r.db.TenantByDomain(ctx, host) })
}

func (r *Resolver) lookup(ctx context.Context, key string, load func() (*Tenant, error)) (*Tenant, error) {
	now := time.Now()
	r.mu.RLock()
	e, ok := r.entries[key]
	gen := r.gen
	r.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.t, e.err
	}
	t, err := load()
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return nil, err // database trouble is never cached
	}
	r.mu.Lock()
	if r.gen == gen {
		if len(r.entries) >= r.maxEntries {
			r.entries = map[string]cacheEntry{}
		}
		r.entries[key] = cacheEntry{t: t, err: err, expires: now.Add(r.ttl)}
	}
	r.mu.Unlock()
	return t, err
}

// Invalidate drops every cached entry.
func (r *Resolver) Invalidate() {
	r.mu.Lock()
	r.gen++
	r.entries = map[string]cacheEntry{}
	r.mu.Unlock()
}

// Listen starts following change notifications until Close. It returns once
// the first LISTEN is established, so changes committed after it returns are
// never missed.
func (r *Resolver) Listen(ctx context.Context) error {
	ready := make(chan error, 1)
	r.listener = pq.NewListener(r.db.ListenURL(), 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnectionAttemptFailed:
			r.log.Warn("tenant change listener: connection failed", "err", err)
		case pq.ListenerEventDisconnected:
			r.log.Warn("tenant change listener: disconnected", "err", err)
		case pq.ListenerEventReconnected:
			// Notifications sent while we were away are lost: start afresh.
			r.Invalidate()
		}
	})
	l := r.listener
	go func() { ready <- l.Listen(notifyChannel) }()
	select {
	case err := <-ready:
		if err != nil {
			r.listener.Close()
			r.listener = nil // so Close has nothing to stop
			return err
		}
	case <-ctx.Done():
		r.listener.Close()
		r.listener = nil
		return ctx.Err()
	}
	r.Invalidate() // anything cached before LISTEN may already be stale
	r.done = make(chan struct{})
	go r.follow()
	return nil
}

func (r *Resolver) follow() {
	ping := time.NewTicker(90 * time.Second)
	defer ping.Stop()
	for {
		select {
		case _, ok := <-r.listener.Notify:
			if !ok {
				return
			}
			// A nil notification means the connection was re-established.
			r.Invalidate()
		case <-ping.C:
			go r.listener.Ping() //nolint:errcheck // a failed ping triggers the reconnect logic
		case <-r.done:
			return
		}
	}
}

// Close stops listening.
func (r *Resolver) Close() error {
	if r.listener == nil {
		return nil
	}
	close(r.done)
	return r.listener.Close()
}
