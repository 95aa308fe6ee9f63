package web

import (
	"net/http"
	"testing"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// Two instances share one database; each caches policies and sessions. A
// change made through one is refused by the other on the very next request:
// the changing transaction's NOTIFY reaches every instance at commit. Each
// instance is primed first, so a cached decision is what would be served.
func TestRevocationAcrossInstances(t *testing.T) {
	one := start(t, tenanttest.Open(t), setup{opts: defaultOptions()})
	two := start(t, tenanttest.Open(t), setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, one.db, "twoinst")
	host := hostOf(shop)
	at := "@" + shop.Slug + ".test" // emails unique to this run
	owner := one.user(t, "owner"+at)
	one.join(t, shop, owner.ID, "owner")
	ownerS := one.login(t, host, "owner"+at)

	members := func(ts *testServer, s session) *resp {
		return ts.do(t, req{method: "GET", host: host, path: "/api/v1/teams/members", token: s.access})
	}
	membershipOf := func(email string) int {
		t.Helper()
		var out struct {
			Items []struct {
				ID    int    `json:"id"`
				Email string `json:"email"`
			} `json:"items"`
		}
		members(one, ownerS).decode(t, &out)
		for _, m := range out.Items {
			if m.Email == email {
				return m.ID
			}
		}
		t.Fatalf("%s is not a member", email)
		return 0
	}
	primed := func(s session) {
		t.Helper()
		for _, ts := range []*testServer{one, two} {
			if r := members(ts, s); r.status != http.StatusOK {
				t.Fatalf("before the change: %d %s", r.status, r.body)
			}
		}
	}

	t.Run("RemovedMemberIsDeniedOnTheOtherInstance", func(t *testing.T) {
		m := one.user(t, "removed"+at)
		one.join(t, shop, m.ID, "manager")
		s := one.login(t, host, "removed"+at)
		primed(s)
		r := one.do(t, req{method: "DELETE", host: host, path: "/api/v1/teams/members/" + itoa(membershipOf("removed"+at)), token: ownerS.access})
		if r.status != http.StatusNoContent {
			t.Fatalf("remove: %d %s", r.status, r.body)
		}
		if r := members(two, s); r.status != http.StatusForbidden || r.code() != "not_a_member" {
			t.Fatalf("other instance, next request: %d %s", r.status, r.body)
		}
	})
	t.Run("DemotedMemberLosesThePermissionOnTheOtherInstance", func(t *testing.T) {
		m := one.user(t, "demoted"+at)
		one.join(t, shop, m.ID, "manager")
		s := one.login(t, host, "demoted"+at)
		primed(s)
		r := one.do(t, req{method: "PUT", host: host, path: "/api/v1/teams/members/" + itoa(membershipOf("demoted"+at)), token: ownerS.access,
			body: map[string]any{"role": "Viewer"}})
		if r.status != http.StatusOK {
			t.Fatalf("demote: %d %s", r.status, r.body)
		}
		if r := members(two, s); r.status != http.StatusForbidden || r.code() != "permission_denied" {
			t.Fatalf("other instance, next request: %d %s", r.status, r.body)
		}
	})
	t.Run("ChangedRoleTakesEffectOnTheOtherInstance", func(t *testing.T) {
		created := one.do(t, req{method: "POST", host: host, path: "/api/v1/teams/roles", token: ownerS.access,
			body: map[string]any{"name": "Watcher", "permissions": []string{"team.view", "products.view"}}})
		if created.status != http.StatusCreated {
			t.Fatalf("create role: %d %s", created.status, created.body)
		}
		var role struct{ ID int }
		created.decode(t, &role)
		m := one.user(t, "watcher"+at)
		one.join(t, shop, m.ID, "Watcher")
		s := one.login(t, host, "watcher"+at)
		primed(s)
		r := one.do(t, req{method: "PUT", host: host, path: "/api/v1/teams/roles/" + itoa(role.ID), token: ownerS.access,
			body: map[string]any{"permissions": []string{"products.view"}}})
		if r.status != http.StatusOK {
			t.Fatalf("update role: %d %s", r.status, r.body)
		}
		if r := members(two, s); r.status != http.StatusForbidden || r.code() != "permission_denied" {
			t.Fatalf("other instance, next request: %d %s", r.status, r.body)
		}
	})
	t.Run("LogoutEndsTheAccessTokenOnTheOtherInstance", func(t *testing.T) {
		m := one.user(t, "leaver"+at)
		one.join(t, shop, m.ID, "manager")
		s := one.login(t, host, "leaver"+at)
		primed(s)
		r := one.do(t, req{method: "POST", host: host, path: "/api/v1/auth/logout", body: map[string]any{"refresh_token": s.refresh}})
		if r.status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if r := members(two, s); r.status != http.StatusUnauthorized || r.code() != "invalid_token" {
			t.Fatalf("other instance, next request: %d %s", r.status, r.body)
		}
	})
}
