package tenantdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// eventually polls cond until it holds or a generous deadline passes. It is
// for changes that travel between processes (NOTIFY), not a speed assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two instances on one database: a change made through one reaches the
// other's cache through LISTEN/NOTIFY. The TTL is an hour, so only the
// notification can explain the change being seen.
func TestResolverInvalidationAcrossInstances(t *testing.T) {
	ctx := context.Background()
	one := tenanttest.Open(t)
	two := tenanttest.Open(t)
	r := two.NewResolver(tenantdb.ResolverOptions{TTL: time.Hour})
	l := two.NewListener()
	r.Follow(l)
	must(t, l.Start(ctx))
	t.Cleanup(func() { l.Close() })

	slug := tenanttest.Slug("cache")
	if _, err := r.BySlug(ctx, slug); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown slug: %v", err)
	}
	_, err := one.Provision(ctx, tenantdb.NewVendor{Slug: slug, Name: "Cached"})
	must(t, err)
	t.Cleanup(func() { one.Delete(context.Background(), slug) })
	eventually(t, "instance two sees the new vendor", func() bool {
		tn, err := r.BySlug(ctx, slug)
		return err == nil && tn.Active()
	})

	_, err = one.SetStatus(ctx, slug, tenantdb.StatusSuspended, "test")
	must(t, err)
	eventually(t, "instance two sees the suspension", func() bool {
		tn, err := r.BySlug(ctx, slug)
		return err == nil && !tn.Active()
	})

	_, err = one.SetStatus(ctx, slug, tenantdb.StatusActive, "")
	must(t, err)
	eventually(t, "instance two sees the resumption", func() bool {
		tn, err := r.BySlug(ctx, slug)
		return err == nil && tn.Active()
	})
}

func TestResolverCachesWithoutNotifications(t *testing.T) {
	ctx := context.Background()
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "ttl")
	r := db.NewResolver(tenantdb.ResolverOptions{TTL: time.Hour}) // not listening
	got, err := r.BySlug(ctx, tn.Slug)
	must(t, err)
	_, err = db.SetStatus(ctx, tn.Slug, tenantdb.StatusSuspended, "")
	must(t, err)
	again, err := r.BySlug(ctx, tn.Slug)
	must(t, err)
	if again != got {
		t.Fatal("without a notification the cached entry should be served until its TTL")
	}
	r.Invalidate()
	fresh, err := r.BySlug(ctx, tn.Slug)
	must(t, err)
	if fresh.Active() {
		t.Fatal("after Invalidate the suspension should be seen")
	}
	if _, err := r.BySlug(ctx, "Not A Slug"); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("invalid slug: %v", err)
	}
}
