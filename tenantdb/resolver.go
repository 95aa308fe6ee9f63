package tenantdb

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

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

// Follow subscribes the resolver to vendor and domain change notifications
// on l (start l afterwards).
func (r *Resolver) Follow(l *Listener) {
	l.Subscribe(notifyChannel, Subscriber{
		Notify: func(string) { r.Invalidate() },
		Reset:  r.Invalidate,
	})
}
