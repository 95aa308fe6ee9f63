package authz_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/bazaar/bazaar"
	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// benchUsers are the members of every benchmark vendor. User u holds default
// role benchRole(i, u) in vendor i, so each vendor has one Owner, Manager,
// Editor and Viewer, and each user holds every role in some vendor.
const benchUsers = 4

// benchRole is the index in authz.DefaultRoles of user u's role in vendor i;
// the tenant migration gives the default roles ids 1..4 in that order.
func benchRole(i, u int) int { return (i + u) % len(authz.DefaultRoles) }

// BenchmarkCheck measures the decision every vendor request takes — may user
// U do P in vendor V — with 10 and with 10,000 real vendors' policies in
// memory, to hold the package's claim that a check costs the same either way.
//
// Each sub-benchmark provisions its vendors (tenanttest.Fleet) and makes four
// users members of every one of them. Then, untimed by the framework but
// reported:
//
//   - warm-up: one Check per vendor, each a policy cache miss (the vendor's
//     roles and memberships read, a Casbin enforcer built and compiled into
//     masks): warmup-s, the load-p50/p99-us of one miss, and heap-B/vendor,
//     the heap the cached policies hold (runtime.MemStats after a GC, before
//     and after);
//   - every member's role checked with Access.
//
// The timed loop then checks random (vendor, user, permission) picks among
// the 16 permissions, each timed on its own (p50-ns, p99-ns; the vendor's
// Tenant is touched first, as resolving the request's host has) and compared
// with what the role grants, so a wrong answer fails the benchmark. After it,
// hot10-p50-ns is the p50 of the same checks confined to 10 of the vendors.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("vendors=%d", n), func(b *testing.B) { benchCheck(b, n) })
	}
}

func benchCheck(b *testing.B, n int) {
	ctx := context.Background()
	start := time.Now()
	d, tenants := tenanttest.Fleet(b, fmt.Sprintf("authz-%d", n), n, 0)
	db := tenanttest.OpenDatabase(b, d)
	users := addMembers(ctx, b, db, tenants)
	b.Logf("%d vendors with %d members each ready in %s", n, benchUsers, time.Since(start).Round(time.Millisecond))

	a, err := authz.New(db, bazaar.CasbinModel, authz.Options{CacheSize: n}, nil)
	if err != nil {
		b.Fatal(err)
	}
	grants := grantTable()

	var before, loaded runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	loads := make([]time.Duration, n)
	warm := time.Now()
	for i, t := range tenants {
		s := time.Now()
		ok, err := a.Check(ctx, users[0], t, 0, authz.ProductsView)
		loads[i] = time.Since(s)
		if err != nil || !ok { // every default role may view products
			b.Fatalf("warm-up check in vendor %d: %v, %v", i, ok, err)
		}
	}
	warmup := time.Since(warm)
	runtime.GC()
	runtime.ReadMemStats(&loaded)

	// The members hold the roles the grant table assumes.
	for i, t := range tenants {
		for u, id := range users {
			acc, err := a.Access(ctx, id, t, 0)
			if err != nil {
				b.Fatal(err)
			}
			if want := authz.DefaultRoles[benchRole(i, u)].Key; !acc.Member || acc.Role.SystemKey != want {
				b.Fatalf("vendor %d, user %d: access %+v, want role %s", i, u, acc, want)
			}
		}
	}

	rng := rand.New(rand.NewPCG(uint64(n), 1))
	times := make([]time.Duration, 0, 1<<18)
	b.ReportAllocs()
	for b.Loop() {
		i, u, p := rng.IntN(n), rng.IntN(benchUsers), rng.IntN(len(authz.Permissions))
		// A request reaches the check with its vendor just resolved (the
		// resolver read the tenant): touch it, as the request would have.
		_ = tenants[i].ID
		s := time.Now()
		ok, err := a.Check(ctx, users[u], tenants[i], 0, authz.Permissions[p])
		times = append(times, time.Since(s))
		if err != nil || ok != grants[benchRole(i, u)][p] {
			b.Fatalf("vendor %d, user %d, %s: %v, %v", i, u, authz.Permissions[p], ok, err)
		}
	}
	// The same picks among 10 of the vendors only: with 10,000 cached, this
	// separates holding many policies from touching many (a working set
	// beyond the CPU caches).
	hot := make([]time.Duration, 0, 100000)
	for range cap(hot) {
		i, u, p := rng.IntN(min(n, 10)), rng.IntN(benchUsers), rng.IntN(len(authz.Permissions))
		s := time.Now()
		ok, err := a.Check(ctx, users[u], tenants[i], 0, authz.Permissions[p])
		hot = append(hot, time.Since(s))
		if err != nil || ok != grants[benchRole(i, u)][p] {
			b.Fatalf("vendor %d, user %d, %s: %v, %v", i, u, authz.Permissions[p], ok, err)
		}
	}
	perVendor := func(m runtime.MemStats) float64 {
		return float64(int64(m.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
	}
	b.ReportMetric(float64(percentile(times, 50).Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(percentile(times, 99).Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(percentile(hot, 50).Nanoseconds()), "hot10-p50-ns")
	b.ReportMetric(warmup.Seconds(), "warmup-s")
	b.ReportMetric(float64(percentile(loads, 50).Nanoseconds())/1e3, "load-p50-us")
	b.ReportMetric(float64(percentile(loads, 99).Nanoseconds())/1e3, "load-p99-us")
	b.ReportMetric(perVendor(loaded), "heap-B/vendor")
	runtime.KeepAlive(a)
}

// addMembers creates benchUsers users and makes each a member of every
// tenant with role benchRole, in bulk inserts of 1,000 memberships.
func addMembers(ctx context.Context, b *testing.B, db *tenantdb.DB, tenants []*tenantdb.Tenant) []int {
	b.Helper()
	uc := make([]*platform.UserCreate, benchUsers)
	for u := range uc {
		// No one signs in: the hash is never verified.
		uc[u] = db.Platform().User.Create().SetEmail(fmt.Sprintf("member%d@authz-bench.test", u)).SetPasswordHash("!")
	}
	us, err := db.Platform().User.CreateBulk(uc...).Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int, len(us))
	for u, usr := range us {
		ids[u] = usr.ID
	}
	var batch []*platform.MembershipCreate
	flush := func() {
		if err := db.Platform().Membership.CreateBulk(batch...).Exec(ctx); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for i, t := range tenants {
		for u, id := range ids {
			batch = append(batch, db.Platform().Membership.Create().SetUserID(id).SetVendorID(t.ID).SetRoleID(benchRole(i, u)+1))
			if len(batch) == 1000 {
				flush()
			}
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return ids
}

// grantTable[r][p] is whether default role r grants authz.Permissions[p].
func grantTable() [][]bool {
	t := make([][]bool, len(authz.DefaultRoles))
	for r, role := range authz.DefaultRoles {
		granted := authz.Expand(role.Permissions)
		t[r] = make([]bool, len(authz.Permissions))
		for p, perm := range authz.Permissions {
			t[r][p] = slices.Contains(granted, perm)
		}
	}
	return t
}

// percentile returns the q-th percentile of ds (sorting ds).
func percentile(ds []time.Duration, q int) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)*q/100, len(ds)-1)]
}
