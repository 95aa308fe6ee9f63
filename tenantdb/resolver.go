package tenantdb

import (
	"context"
	"errors"
	"time"

	"github.com/bazaar/bazaar/internal/cache"
	"github.com/bazaar/bazaar/internal/fault"
)

// Resolver finds tenants by slug or custom domain with an in-memory cache in
// front of the platform schema. Every change to a vendor or domain is
// announced with NOTIFY in the changing transaction; every instance LISTENs and
// drops its cache, so a suspension takes effect on the next request
// everywhere. The TTL only bounds staleness if notifications are lost while
// the listener reconnects (and the cache is dropped on reconnect as well).
type Resolver struct {
	db      *DB
	entries *cache.Map[string, resolved]
}

// resolved is a cached answer: a tenant, or the NotFound error for a host
// that names none (negative answers are cached too).
type resolved struct {
	t   *Tenant
	err error
}

// ResolverOptions configure a Resolver.
type ResolverOptions struct {
	TTL        time.Duration // how long an entry may be served without a notification (default 1m)
	MaxEntries int           // beyond this many entries a random one is evicted (default 10000)
}

// NewResolver builds a resolver. Call Follow to have changes made by other
// instances drop the cache; without it, entries live for the TTL.
func (db *DB) NewResolver(o ResolverOptions) *Resolver {
	if o.TTL <= 0 {
		o.TTL = time.Minute
	}
	return &Resolver{db: db, entries: cache.New[string, resolved](o.MaxEntries, o.TTL)}
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
	e, err := r.entries.Get(key, func() (resolved, error) {
		t, err := load()
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return resolved{}, err // database trouble is never cached
		}
		return resolved{t: t, err: err}, nil
	})
	if err != nil {
		return nil, err
	}
	return e.t, e.err
}

// Invalidate drops every cached entry.
func (r *Resolver) Invalidate() { r.entries.InvalidateAll() }

// Follow subscribes the resolver to vendor and domain change notifications
// on l (start l afterwards).
func (r *Resolver) Follow(l *Listener) {
	l.Subscribe(notifyChannel, Subscriber{
		Notify: func(string) { r.Invalidate() },
		Reset:  r.Invalidate,
	})
}
