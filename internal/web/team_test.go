package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// teamShop is a throwaway shop whose members are each signed in.
type teamShop struct {
	tn      *tenantdb.Tenant
	host    string
	members map[string]teamMember // by the name the test gave them
}

// teamMember is one signed-in member of a teamShop.
type teamMember struct {
	email  string
	userID int
	id     int // the membership id
	token  string
}

func newTeamShop(t *testing.T, ts *testServer, prefix string) *teamShop {
	t.Helper()
	tn := tenanttest.Tenant(t, ts.db, prefix)
	return &teamShop{tn: tn, host: hostOf(tn), members: map[string]teamMember{}}
}

// add makes a user <name>@<shop slug>.test, joins them with roleRef (a system
// key such as "owner", or a role name) and signs them in.
func (sh *teamShop) add(t *testing.T, ts *testServer, name, roleRef string) teamMember {
	t.Helper()
	email := name + "@" + sh.tn.Slug + ".test"
	u := ts.user(t, email)
	id := ts.join(t, sh.tn, u.ID, roleRef)
	m := teamMember{email: email, userID: u.ID, id: id, token: ts.login(t, sh.host, email).access}
	sh.members[name] = m
	return m
}

// scenarios sends requests to the shop as its members, by the names the
// test gave them.
func (sh *teamShop) scenarios(ts *testServer) scenarioRunner {
	as := map[string]string{}
	for name, m := range sh.members {
		as[name] = m.token
	}
	return ts.scenarios(sh.host, as)
}

func memberPath(id int) string { return "/api/v1/teams/members/" + strconv.Itoa(id) }
func rolePath(id int) string   { return "/api/v1/teams/roles/" + strconv.Itoa(id) }

// teamMemberView is a member as GET /teams/members shows it.
type teamMemberView struct {
	ID     int    `json:"id"`
	UserID int    `json:"user_id"`
	Email  string `json:"email"`
	Role   struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	} `json:"role"`
	Active bool `json:"active"`
}

// teamList is the shop's team by email, as the member named as sees it.
func (sh *teamShop) teamList(t *testing.T, ts *testServer, as string) map[string]teamMemberView {
	t.Helper()
	r := sh.scenarios(ts).send(t, scenario{as: as, method: "GET", path: "/api/v1/teams/members", wantStatus: http.StatusOK})
	return decodeMembers(t, r)
}

func decodeMembers(t testing.TB, r *resp) map[string]teamMemberView {
	t.Helper()
	var out struct {
		Items []teamMemberView `json:"items"`
	}
	r.decode(t, &out)
	m := map[string]teamMemberView{}
	for _, v := range out.Items {
		m[v.Email] = v
	}
	return m
}

// teamRoleView is a role as GET /teams/roles shows it.
type teamRoleView struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	System      bool     `json:"system"`
	Immutable   bool     `json:"immutable"`
	Permissions []string `json:"permissions"`
	Members     int      `json:"members"`
}

// roleList is the shop's roles by name, as the member named as sees them.
func (sh *teamShop) roleList(t *testing.T, ts *testServer, as string) map[string]teamRoleView {
	t.Helper()
	r := sh.scenarios(ts).send(t, scenario{as: as, method: "GET", path: "/api/v1/teams/roles", wantStatus: http.StatusOK})
	var out struct {
		Items []teamRoleView `json:"items"`
	}
	r.decode(t, &out)
	m := map[string]teamRoleView{}
	for _, v := range out.Items {
		m[v.Name] = v
	}
	return m
}

// createRole has the member named as create a custom role through the API.
func (sh *teamShop) createRole(t *testing.T, ts *testServer, as, name string, perms ...string) int {
	t.Helper()
	r := sh.scenarios(ts).send(t, scenario{as: as, method: "POST", path: "/api/v1/teams/roles",
		body: map[string]any{"name": name, "permissions": perms}, wantStatus: http.StatusCreated})
	var out teamRoleView
	r.decode(t, &out)
	return out.ID
}

// wantRole checks a member answer's role name and active flag.
func wantRole(name string, active bool) func(t testing.TB, r *resp) {
	return func(t testing.TB, r *resp) {
		t.Helper()
		var m teamMemberView
		r.decode(t, &m)
		if m.Role.Name != name || m.Active != active {
			t.Errorf("member is %s (active %v), want %s (active %v)", m.Role.Name, m.Active, name, active)
		}
	}
}

func TestTeamMembers(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)
	sh := newTeamShop(t, ts, "members")
	for _, name := range []string{"owner", "manager", "editor", "viewer"} {
		sh.add(t, ts, name, name)
	}
	everyone := map[string]string{
		sh.members["owner"].email: "Owner", sh.members["manager"].email: "Manager",
		sh.members["editor"].email: "Editor", sh.members["viewer"].email: "Viewer",
	}
	seesEveryone := func(t testing.TB, r *resp) {
		t.Helper()
		got := decodeMembers(t, r)
		if len(got) != len(everyone) {
			t.Errorf("listed %d members, want %d: %s", len(got), len(everyone), r.body)
		}
		for email, role := range everyone {
			if m, ok := got[email]; !ok || m.Role.Name != role || !m.Active {
				t.Errorf("member %s: %+v (listed %v), want active %s", email, m, ok, role)
			}
		}
	}
	const list = "/api/v1/teams/members"
	sh.scenarios(ts).run(t, false, []scenario{
		{name: "OwnerSeesEveryMemberWithRoleNames", as: "owner", method: "GET", path: list, wantStatus: http.StatusOK, check: seesEveryone},
		{name: "ManagerSeesEveryMemberWithRoleNames", as: "manager", method: "GET", path: list, wantStatus: http.StatusOK, check: seesEveryone},
		{name: "EditorIsRefused", as: "editor", method: "GET", path: list, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "ViewerIsRefused", as: "viewer", method: "GET", path: list, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
	})
}

// TestTeamRoleChange checks that a member's new role holds from their very
// next request, in both directions.
func TestTeamRoleChange(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)
	sh := newTeamShop(t, ts, "rolechange")
	sh.add(t, ts, "owner", "owner")
	m := sh.add(t, ts, "member", "viewer")

	meIs := func(role string, holds, lacks string) func(t testing.TB, r *resp) {
		return func(t testing.TB, r *resp) {
			t.Helper()
			var out struct {
				Vendor struct {
					Member      bool                   `json:"member"`
					Role        *struct{ Name string } `json:"role"`
					Permissions []string               `json:"permissions"`
				} `json:"vendor"`
			}
			r.decode(t, &out)
			v := out.Vendor
			if !v.Member || v.Role == nil || v.Role.Name != role {
				t.Fatalf("me: %s, want a member with role %s", r.body, role)
			}
			if !slices.Contains(v.Permissions, holds) || slices.Contains(v.Permissions, lacks) {
				t.Errorf("me: permissions %v, want %s and not %s", v.Permissions, holds, lacks)
			}
		}
	}
	const list, me = "/api/v1/teams/members", "/api/v1/auth/me"
	sh.scenarios(ts).run(t, true, []scenario{
		{name: "ViewerCannotListTheTeam", as: "member", method: "GET", path: list, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "OwnerMakesTheViewerAnEditor", as: "owner", method: "PUT", path: memberPath(m.id), body: map[string]any{"role": "Editor"},
			wantStatus: http.StatusOK, check: wantRole("Editor", true)},
		{name: "NextRequestHasTheEditorsPermissions", as: "member", method: "GET", path: me, wantStatus: http.StatusOK,
			check: meIs("Editor", "products.create", "team.view")},
		{name: "EditorStillCannotListTheTeam", as: "member", method: "GET", path: list, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "OwnerMakesThemAManager", as: "owner", method: "PUT", path: memberPath(m.id), body: map[string]any{"role": "Manager"},
			wantStatus: http.StatusOK, check: wantRole("Manager", true)},
		{name: "NextRequestListsTheTeam", as: "member", method: "GET", path: list, wantStatus: http.StatusOK},
		{name: "OwnerMakesThemAViewerAgain", as: "owner", method: "PUT", path: memberPath(m.id), body: map[string]any{"role": "Viewer"},
			wantStatus: http.StatusOK, check: wantRole("Viewer", true)},
		{name: "NextRequestIsRefusedAgain", as: "member", method: "GET", path: list, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
	})
}

// TestTeamRemoval checks that a removed member's still-valid token opens
// nothing in the shop from the next request on.
func TestTeamRemoval(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)
	sh := newTeamShop(t, ts, "removal")
	sh.add(t, ts, "owner", "owner")
	m := sh.add(t, ts, "manager", "manager")

	const list = "/api/v1/teams/members"
	sh.scenarios(ts).run(t, true, []scenario{
		{name: "ManagerListsTheTeam", as: "manager", method: "GET", path: list, wantStatus: http.StatusOK},
		{name: "OwnerRemovesTheManager", as: "owner", method: "DELETE", path: memberPath(m.id), wantStatus: http.StatusNoContent},
		{name: "RemovedMembersNextRequestIsRefused", as: "manager", method: "GET", path: list, wantStatus: http.StatusForbidden, wantCode: "not_a_member"},
		{name: "RemovedMemberKeepsTheirAccount", as: "manager", method: "GET", path: "/api/v1/auth/me", wantStatus: http.StatusOK,
			check: func(t testing.TB, r *resp) {
				var out struct {
					Vendor struct {
						Member bool `json:"member"`
					} `json:"vendor"`
				}
				r.decode(t, &out)
				if out.Vendor.Member {
					t.Errorf("me still says member of the shop: %s", r.body)
				}
			}},
		{name: "TeamNoLongerListsThem", as: "owner", method: "GET", path: list, wantStatus: http.StatusOK,
			check: func(t testing.TB, r *resp) {
				if v, ok := decodeMembers(t, r)[m.email]; ok {
					t.Errorf("removed member still listed: %+v", v)
				}
			}},
	})
}

func TestTeamDeactivation(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)
	sh := newTeamShop(t, ts, "deactivate")
	sh.add(t, ts, "owner", "owner")
	m := sh.add(t, ts, "manager", "manager")

	const list = "/api/v1/teams/members"
	sh.scenarios(ts).run(t, true, []scenario{
		{name: "OwnerDeactivatesTheManager", as: "owner", method: "PUT", path: memberPath(m.id), body: map[string]any{"active": false},
			wantStatus: http.StatusOK, check: wantRole("Manager", false)},
		{name: "DeactivatedMembersNextRequestIsRefused", as: "manager", method: "GET", path: list, wantStatus: http.StatusForbidden, wantCode: "not_a_member"},
		{name: "TeamListsThemInactive", as: "owner", method: "GET", path: list, wantStatus: http.StatusOK,
			check: func(t testing.TB, r *resp) {
				if v := decodeMembers(t, r)[m.email]; v.Active || v.Role.Name != "Manager" {
					t.Errorf("deactivated member listed as %+v", v)
				}
			}},
		{name: "OwnerReactivatesTheManager", as: "owner", method: "PUT", path: memberPath(m.id), body: map[string]any{"active": true},
			wantStatus: http.StatusOK, check: wantRole("Manager", true)},
		{name: "ReactivatedMembersNextRequestIsAllowed", as: "manager", method: "GET", path: list, wantStatus: http.StatusOK},
	})
}

func TestTeamGuards(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)

	// ownerPerms are the Owner's permissions, for a custom role that may do
	// everything an Owner may (and so is stopped only by the guards).
	ownerPerms := []string{"team.manage", "team.invite", "team.remove", "products.create", "products.edit", "products.delete",
		"products.view", "orders.create", "orders.edit", "orders.view", "imports.trigger", "imports.view",
		"imports.configure", "settings.edit", "analytics.view"}

	t.Run("NobodyChangesTheirOwnMembership", func(t *testing.T) {
		sh := newTeamShop(t, ts, "ownmember")
		o := sh.add(t, ts, "owner", "owner")
		sh.add(t, ts, "owner2", "owner")
		sh.createRole(t, ts, "owner", "Deputy", ownerPerms...)
		d := sh.add(t, ts, "deputy", "Deputy")
		sh.scenarios(ts).run(t, false, []scenario{
			{name: "OwnerCannotDemoteThemself", as: "owner", method: "PUT", path: memberPath(o.id), body: map[string]any{"role": "Viewer"},
				wantStatus: http.StatusForbidden, wantCode: "own_membership"},
			{name: "OwnerCannotDeactivateThemself", as: "owner", method: "PUT", path: memberPath(o.id), body: map[string]any{"active": false},
				wantStatus: http.StatusForbidden, wantCode: "own_membership"},
			{name: "DeputyCannotPromoteThemself", as: "deputy", method: "PUT", path: memberPath(d.id), body: map[string]any{"role": "Owner"},
				wantStatus: http.StatusForbidden, wantCode: "own_membership"},
		})
		if v := sh.teamList(t, ts, "owner2")[o.email]; v.Role.Name != "Owner" || !v.Active {
			t.Errorf("the owner's membership changed: %+v", v)
		}
	})

	t.Run("LastOwnerStaysAnActiveOwner", func(t *testing.T) {
		sh := newTeamShop(t, ts, "lastowner")
		o := sh.add(t, ts, "owner", "owner")
		o2 := sh.add(t, ts, "owner2", "owner")
		// The Deputy holds every permission of Owner, so only the last-Owner
		// guard stands between them and the last Owner.
		sh.createRole(t, ts, "owner", "Deputy", ownerPerms...)
		sh.add(t, ts, "deputy", "Deputy")
		sh.scenarios(ts).run(t, true, []scenario{
			{name: "WithTwoOwnersOneCanBeDemoted", as: "owner", method: "PUT", path: memberPath(o2.id), body: map[string]any{"role": "Manager"},
				wantStatus: http.StatusOK, check: wantRole("Manager", true)},
			{name: "LastOwnerCannotBeDemoted", as: "deputy", method: "PUT", path: memberPath(o.id), body: map[string]any{"role": "Manager"},
				wantStatus: http.StatusConflict, wantCode: "last_owner"},
			{name: "LastOwnerCannotBeDeactivated", as: "deputy", method: "PUT", path: memberPath(o.id), body: map[string]any{"active": false},
				wantStatus: http.StatusConflict, wantCode: "last_owner"},
			{name: "LastOwnerCannotBeRemoved", as: "deputy", method: "DELETE", path: memberPath(o.id),
				wantStatus: http.StatusConflict, wantCode: "last_owner"},
			{name: "LastOwnerIsStillAnActiveOwner", as: "deputy", method: "GET", path: "/api/v1/teams/members", wantStatus: http.StatusOK,
				check: func(t testing.TB, r *resp) {
					if v := decodeMembers(t, r)[o.email]; v.Role.Name != "Owner" || !v.Active {
						t.Errorf("the last owner is now %+v", v)
					}
				}},
		})
	})

	t.Run("ManagerCannotUpdateMembers", func(t *testing.T) {
		sh := newTeamShop(t, ts, "mgrupdate")
		sh.add(t, ts, "owner", "owner")
		sh.add(t, ts, "manager", "manager")
		v := sh.add(t, ts, "viewer", "viewer")
		sh.scenarios(ts).run(t, false, []scenario{
			{name: "ManagerCannotChangeARole", as: "manager", method: "PUT", path: memberPath(v.id), body: map[string]any{"role": "Editor"},
				wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
			{name: "ManagerCannotDeactivate", as: "manager", method: "PUT", path: memberPath(v.id), body: map[string]any{"active": false},
				wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
			{name: "ManagerCannotRemove", as: "manager", method: "DELETE", path: memberPath(v.id),
				wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		})
		if got := sh.teamList(t, ts, "owner")[v.email]; got.Role.Name != "Viewer" || !got.Active {
			t.Errorf("the viewer changed: %+v", got)
		}
	})

	t.Run("InvitingIsLimitedToOnesOwnPermissions", func(t *testing.T) {
		sh := newTeamShop(t, ts, "inviteesc")
		sh.add(t, ts, "owner", "owner")
		sh.createRole(t, ts, "owner", "Lead", "team.invite", "products.view")
		sh.createRole(t, ts, "owner", "Browser", "products.view")
		sh.add(t, ts, "lead", "Lead")
		invite := func(role string) map[string]any {
			return map[string]any{"email": strings.ToLower(role) + "-invitee@" + sh.tn.Slug + ".test", "role": role}
		}
		const path = "/api/v1/teams/invite"
		sh.scenarios(ts).run(t, false, []scenario{
			{name: "LeadCannotInviteAnOwner", as: "lead", method: "POST", path: path, body: invite("Owner"),
				wantStatus: http.StatusForbidden, wantCode: "permission_escalation"},
			{name: "LeadCannotInviteAManager", as: "lead", method: "POST", path: path, body: invite("Manager"),
				wantStatus: http.StatusForbidden, wantCode: "permission_escalation"},
			{name: "LeadCannotInviteAViewerHoldingOrdersView", as: "lead", method: "POST", path: path, body: invite("Viewer"),
				wantStatus: http.StatusForbidden, wantCode: "permission_escalation"},
			{name: "LeadInvitesARoleWithinTheirPermissions", as: "lead", method: "POST", path: path, body: invite("Browser"),
				wantStatus: http.StatusCreated},
			{name: "LeadInvitesTheirOwnRole", as: "lead", method: "POST", path: path, body: invite("Lead"),
				wantStatus: http.StatusCreated},
		})
		r := sh.scenarios(ts).send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/invitations", wantStatus: http.StatusOK})
		var out struct {
			Items []struct {
				Email string `json:"email"`
			} `json:"items"`
		}
		r.decode(t, &out)
		var got []string
		for _, i := range out.Items {
			got = append(got, i.Email)
		}
		slices.Sort(got)
		if want := []string{invite("Browser")["email"].(string), invite("Lead")["email"].(string)}; !slices.Equal(got, want) {
			t.Errorf("pending invitations %v, want only %v", got, want)
		}
	})

	t.Run("RolesAreLimitedToOnesOwnPermissions", func(t *testing.T) {
		sh := newTeamShop(t, ts, "roleesc")
		sh.add(t, ts, "owner", "owner")
		steward := sh.createRole(t, ts, "owner", "Steward", "team.manage", "products.view")
		sh.add(t, ts, "steward", "Steward")
		const path = "/api/v1/teams/roles"
		sh.scenarios(ts).run(t, false, []scenario{
			{name: "StewardCannotCreateARoleWithAPermissionTheyLack", as: "steward", method: "POST", path: path,
				body:       map[string]any{"name": "Deleter", "permissions": []string{"products.view", "products.delete"}},
				wantStatus: http.StatusForbidden, wantCode: "permission_escalation"},
			{name: "StewardCannotGrantTheirOwnRoleMore", as: "steward", method: "PUT", path: rolePath(steward),
				body:       map[string]any{"permissions": []string{"team.manage", "products.view", "products.delete"}},
				wantStatus: http.StatusForbidden, wantCode: "permission_escalation"},
			{name: "StewardCreatesARoleWithinTheirPermissions", as: "steward", method: "POST", path: path,
				body:       map[string]any{"name": "Looker", "permissions": []string{"products.view", "team.view"}},
				wantStatus: http.StatusCreated},
		})
		roles := sh.roleList(t, ts, "owner")
		if _, ok := roles["Deleter"]; ok {
			t.Errorf("the refused role exists: %+v", roles["Deleter"])
		}
		if got := roles["Steward"].Permissions; slices.Contains(got, "products.delete") {
			t.Errorf("Steward now holds %v", got)
		}
	})
}

func TestTeamRoles(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)
	sh := newTeamShop(t, ts, "roles")
	sh.add(t, ts, "owner", "owner")
	sh.add(t, ts, "viewer", "viewer")
	packer := sh.createRole(t, ts, "owner", "Packer", "orders.view", "orders.edit")
	sh.add(t, ts, "packer", "Packer")
	temp := sh.createRole(t, ts, "owner", "Temporary", "products.view")
	seeded := sh.roleList(t, ts, "owner")

	// sameRole compares a role with the name, kind and permissions wanted.
	sameRole := func(t testing.TB, got teamRoleView, name string, system bool, perms []string) {
		t.Helper()
		if got.Name != name || got.System != system ||
			!slices.Equal(slices.Sorted(slices.Values(got.Permissions)), slices.Sorted(slices.Values(perms))) {
			t.Errorf("role %+v, want %s (system %v) with %v", got, name, system, perms)
		}
	}
	// answersRole checks a single role answer (create, update).
	answersRole := func(name string, system bool, perms ...string) func(t testing.TB, r *resp) {
		return func(t testing.TB, r *resp) {
			t.Helper()
			var got teamRoleView
			r.decode(t, &got)
			sameRole(t, got, name, system, perms)
		}
	}
	// listsRole checks that a role list holds the role.
	listsRole := func(name string, system bool, perms ...string) func(t testing.TB, r *resp) {
		return func(t testing.TB, r *resp) {
			t.Helper()
			var out struct {
				Items []teamRoleView `json:"items"`
			}
			r.decode(t, &out)
			i := slices.IndexFunc(out.Items, func(v teamRoleView) bool { return v.Name == name })
			if i < 0 {
				t.Fatalf("no role %s in %s", name, r.body)
			}
			sameRole(t, out.Items[i], name, system, perms)
		}
	}
	lacks := func(name string) func(t testing.TB, r *resp) {
		return func(t testing.TB, r *resp) {
			t.Helper()
			var out struct {
				Items []teamRoleView `json:"items"`
			}
			r.decode(t, &out)
			if slices.ContainsFunc(out.Items, func(v teamRoleView) bool { return v.Name == name }) {
				t.Errorf("role %s is still listed: %s", name, r.body)
			}
		}
	}
	const roles = "/api/v1/teams/roles"
	sh.scenarios(ts).run(t, true, []scenario{
		{name: "CreatedRoleIsListedAsCustom", as: "owner", method: "GET", path: roles, wantStatus: http.StatusOK,
			check: listsRole("Packer", false, "orders.edit", "orders.view")},
		{name: "UnknownPermissionIsNamed", as: "owner", method: "POST", path: roles,
			body:       map[string]any{"name": "Flyer", "permissions": []string{"products.view", "products.fly"}},
			wantStatus: http.StatusBadRequest, wantCode: "invalid", check: wantField("permissions", "products.fly")},
		{name: "DuplicateNameIsRefused", as: "owner", method: "POST", path: roles,
			body:       map[string]any{"name": "Packer", "permissions": []string{"orders.view"}},
			wantStatus: http.StatusBadRequest, wantCode: "invalid", check: wantField("name")},
		{name: "RenamingOntoAnotherRoleIsRefused", as: "owner", method: "PUT", path: rolePath(packer),
			body:       map[string]any{"name": "Viewer"},
			wantStatus: http.StatusBadRequest, wantCode: "invalid", check: wantField("name")},
		{name: "OwnerUpdatesNameAndPermissions", as: "owner", method: "PUT", path: rolePath(packer),
			body:       map[string]any{"name": "Shipper", "permissions": []string{"orders.view"}},
			wantStatus: http.StatusOK, check: answersRole("Shipper", false, "orders.view")},
		{name: "UpdatedRoleIsListed", as: "owner", method: "GET", path: roles, wantStatus: http.StatusOK,
			check: listsRole("Shipper", false, "orders.view")},
		{name: "OwnerRoleCannotBeChanged", as: "owner", method: "PUT", path: rolePath(seeded["Owner"].ID),
			body: map[string]any{"name": "Boss"}, wantStatus: http.StatusForbidden, wantCode: "role_immutable"},
		{name: "OwnerRoleCannotBeDeleted", as: "owner", method: "DELETE", path: rolePath(seeded["Owner"].ID),
			wantStatus: http.StatusForbidden, wantCode: "role_immutable"},
		{name: "CustomRoleHeldByAMemberCannotBeDeleted", as: "owner", method: "DELETE", path: rolePath(packer),
			wantStatus: http.StatusConflict, wantCode: "role_in_use"},
		{name: "DefaultRoleHeldByAMemberCannotBeDeleted", as: "owner", method: "DELETE", path: rolePath(seeded["Viewer"].ID),
			wantStatus: http.StatusConflict, wantCode: "role_in_use"},
		{name: "UnusedCustomRoleIsDeleted", as: "owner", method: "DELETE", path: rolePath(temp), wantStatus: http.StatusNoContent},
		{name: "DeletedRoleIsGoneAndTheOthersStay", as: "owner", method: "GET", path: roles, wantStatus: http.StatusOK,
			check: func(t testing.TB, r *resp) {
				lacks("Temporary")(t, r)
				listsRole("Shipper", false, "orders.view")(t, r)
				listsRole("Viewer", true, "products.view", "orders.view", "imports.view")(t, r)
			}},
	})

	// Roles are found by name regardless of case (invitations and member
	// updates name them), so two names differing only in case would make
	// the name ambiguous: such a duplicate must be refused like any other.
	t.Run("DuplicateNameInAnotherCaseIsRefused", func(t *testing.T) {
		sh := newTeamShop(t, ts, "rolecase")
		sh.add(t, ts, "owner", "owner")
		sh.createRole(t, ts, "owner", "Courier", "orders.view")
		// Not sequential: the invitation must work whether or not the
		// duplicate was (wrongly) created.
		sh.scenarios(ts).run(t, false, []scenario{
			{name: "SameNameInLowerCaseIsRefused", as: "owner", method: "POST", path: roles,
				body:       map[string]any{"name": "courier", "permissions": []string{"orders.view"}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid", check: wantField("name")},
			{name: "InvitingByThatNameStillWorks", as: "owner", method: "POST", path: "/api/v1/teams/invite",
				body:       map[string]any{"email": "courier@" + sh.tn.Slug + ".test", "role": "COURIER"},
				wantStatus: http.StatusCreated},
		})
	})
}

// TestTeamAudit checks that team changes are recorded, with who, what and
// which request, in the shop's own trail and in no other shop's — directly
// and through PgBouncer.
func TestTeamAudit(t *testing.T) { tenanttest.EachRoute(t, testTeamAudit) }

func testTeamAudit(t *testing.T, route tenanttest.Route) {
	db := tenanttest.OpenDatabase(t, route(tenanttest.PackageDatabase(t)))
	ts := startServer(t, db, defaultOptions(), nil)
	a := newTeamShop(t, ts, "audit-a")
	owner := a.add(t, ts, "owner", "owner")
	mgr := a.add(t, ts, "manager", "manager")
	viewer := a.add(t, ts, "viewer", "viewer")
	b := newTeamShop(t, ts, "audit-b")
	b.add(t, ts, "owner", "owner")

	// send returns the id of the request, which the trail records.
	send := func(sh *teamShop, s scenario) string {
		t.Helper()
		id := sh.scenarios(ts).send(t, s).header.Get("X-Request-ID")
		if id == "" {
			t.Fatalf("%s %s answered without a request id", s.method, s.path)
		}
		return id
	}
	updated := send(a, scenario{as: "owner", method: "PUT", path: memberPath(viewer.id), body: map[string]any{"role": "Editor"}, wantStatus: http.StatusOK})
	removed := send(a, scenario{as: "owner", method: "DELETE", path: memberPath(mgr.id), wantStatus: http.StatusNoContent})
	created := send(a, scenario{as: "owner", method: "POST", path: "/api/v1/teams/roles",
		body: map[string]any{"name": "Auditor", "permissions": []string{"orders.view"}}, wantStatus: http.StatusCreated})
	bCreated := send(b, scenario{as: "owner", method: "POST", path: "/api/v1/teams/roles",
		body: map[string]any{"name": "Elsewhere", "permissions": []string{"orders.view"}}, wantStatus: http.StatusCreated})

	type event struct {
		ActorEmail string         `json:"actor_email"`
		Action     string         `json:"action"`
		TargetType string         `json:"target_type"`
		TargetID   string         `json:"target_id"`
		Before     map[string]any `json:"before"`
		After      map[string]any `json:"after"`
		RequestID  string         `json:"request_id"`
	}
	trail := func(sh *teamShop) map[string]event {
		t.Helper()
		r := sh.scenarios(ts).send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/audit", wantStatus: http.StatusOK})
		var out struct {
			Items []event `json:"items"`
		}
		r.decode(t, &out)
		byRequest := map[string]event{}
		for _, e := range out.Items {
			byRequest[e.RequestID] = e
		}
		return byRequest
	}
	aTrail, bTrail := trail(a), trail(b)

	tests := []struct {
		name      string
		requestID string
		action    string
		target    string
		before    map[string]any // keys that must be recorded, with their values
		after     map[string]any
	}{
		{"MemberUpdateIsRecorded", updated, "team.member_updated", "user",
			map[string]any{"role": "Viewer", "active": true}, map[string]any{"role": "Editor", "active": true}},
		{"MemberRemovalIsRecorded", removed, "team.member_removed", "user",
			map[string]any{"email": mgr.email, "role": "Manager"}, nil},
		{"RoleCreationIsRecorded", created, "team.role_created", "role",
			nil, map[string]any{"name": "Auditor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := aTrail[tt.requestID]
			if !ok {
				t.Fatalf("no event of request %s in the shop's trail", tt.requestID)
			}
			if e.Action != tt.action || e.ActorEmail != owner.email || e.TargetType != tt.target || e.TargetID == "" {
				t.Errorf("event %+v, want %s on a %s by %s", e, tt.action, tt.target, owner.email)
			}
			for _, side := range []struct {
				name      string
				got, want map[string]any
			}{{"before", e.Before, tt.before}, {"after", e.After, tt.after}} {
				if side.want == nil && len(side.got) > 0 {
					t.Errorf("%s: %v, want nothing", side.name, side.got)
				}
				if side.want != nil && side.got == nil {
					t.Errorf("%s is not recorded", side.name)
				}
				for k, v := range side.want {
					if side.got[k] != v {
						t.Errorf("%s.%s = %v, want %v", side.name, k, side.got[k], v)
					}
				}
			}
			if _, leaked := bTrail[tt.requestID]; leaked {
				t.Errorf("the other shop's trail holds this event")
			}
		})
	}
	t.Run("FiltersByActionOrFamily", func(t *testing.T) {
		actions := func(query string) string {
			t.Helper()
			r := a.scenarios(ts).send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/audit?" + query, wantStatus: http.StatusOK})
			var out struct {
				Items []event `json:"items"`
			}
			r.decode(t, &out)
			var got []string
			for _, e := range out.Items {
				got = append(got, e.Action)
			}
			return strings.Join(got, " ")
		}
		for query, want := range map[string]string{
			"action=team.role_created": "team.role_created",
			"action=team.member_":      "", // neither an action nor a family
			"action=team.":             "team.role_created team.member_removed team.member_updated",
			"action=customer.":         "",
		} {
			if got := actions(query); got != want {
				t.Errorf("%s: %q, want %q", query, got, want)
			}
		}
	})
	t.Run("OtherShopKeepsOnlyItsOwnTrail", func(t *testing.T) {
		if e, ok := bTrail[bCreated]; !ok || e.Action != "team.role_created" {
			t.Errorf("the other shop's own event is missing: %+v", bTrail)
		}
		for id, e := range bTrail {
			if e.ActorEmail == owner.email {
				t.Errorf("the other shop's trail holds an event of this shop (request %s): %+v", id, e)
			}
		}
		if _, leaked := aTrail[bCreated]; leaked {
			t.Errorf("this shop's trail holds the other shop's event")
		}
	})
}

// TestTeamIsolation checks that a shop's Owner cannot reach another shop's
// members through their own shop by membership id — directly and through
// PgBouncer.
func TestTeamIsolation(t *testing.T) { tenanttest.EachRoute(t, testTeamIsolation) }

func testTeamIsolation(t *testing.T, route tenanttest.Route) {
	db := tenanttest.OpenDatabase(t, route(tenanttest.PackageDatabase(t)))
	ts := startServer(t, db, defaultOptions(), nil)
	a := newTeamShop(t, ts, "iso-a")
	a.add(t, ts, "owner", "owner")
	b := newTeamShop(t, ts, "iso-b")
	b.add(t, ts, "owner", "owner")
	victim := b.add(t, ts, "viewer", "viewer")

	a.scenarios(ts).run(t, false, []scenario{
		{name: "PromotingAnotherShopsMemberIsNotFound", as: "owner", method: "PUT", path: memberPath(victim.id),
			body: map[string]any{"role": "Manager"}, wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "DeactivatingAnotherShopsMemberIsNotFound", as: "owner", method: "PUT", path: memberPath(victim.id),
			body: map[string]any{"active": false}, wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "RemovingAnotherShopsMemberIsNotFound", as: "owner", method: "DELETE", path: memberPath(victim.id),
			wantStatus: http.StatusNotFound, wantCode: "not_found"},
	})
	if got, ok := b.teamList(t, ts, "owner")[victim.email]; !ok || got.Role.Name != "Viewer" || !got.Active || got.ID != victim.id {
		t.Errorf("the other shop's member changed: %+v (listed %v)", got, ok)
	}
}
