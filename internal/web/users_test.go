package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/account"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// adminAccount is a line of the admin account list.
type adminAccount struct {
	ID                 int        `json:"id"`
	Email              string     `json:"email"`
	FirstName          string     `json:"first_name"`
	LastName           string     `json:"last_name"`
	Active             bool       `json:"active"`
	SuperAdmin         bool       `json:"super_admin"`
	MustChangePassword bool       `json:"must_change_password"`
	LastLoginAt        *time.Time `json:"last_login_at"`
	Memberships        int        `json:"memberships"`
}

// adminAccountDetail is one account as the admin API answers it.
type adminAccountDetail struct {
	ID                 int  `json:"id"`
	Active             bool `json:"active"`
	MustChangePassword bool `json:"must_change_password"`
	Memberships        []struct {
		Vendor struct {
			ID   int    `json:"id"`
			Slug string `json:"slug"`
		} `json:"vendor"`
		Role struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"role"`
		Active bool `json:"active"`
	} `json:"memberships"`
	Sessions int `json:"sessions"`
}

// namedUser creates an account with names.
func (ts *testServer) namedUser(t *testing.T, email, first, last string, superAdmin bool) *identity.User {
	t.Helper()
	u, err := ts.ids.CreateUser(context.Background(), identity.NewUser{Email: email, FirstName: first, LastName: last,
		Password: testPassword, SuperAdmin: superAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// accountsOf decodes an account list page.
func accountsOf(t testing.TB, r *resp) ([]adminAccount, string) {
	t.Helper()
	var pg struct {
		Items      []adminAccount `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
	r.decode(t, &pg)
	return pg.Items, pg.NextCursor
}

func emailsOf(as []adminAccount) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Email
	}
	return out
}

// TestAdminUsers: a super admin finds accounts by e-mail and names and
// pages through them, reads one with its memberships in two shops (role
// names from each shop's schema) and its sessions, deactivates it — its
// token refused on the very next request by a second instance on the same
// database, its refresh token and password too — and reactivates it; every
// refusal named, both changes in the platform trail.
func TestAdminUsers(t *testing.T) {
	one := start(t, tenanttest.Open(t), setup{opts: defaultOptions()})
	two := start(t, tenanttest.Open(t), setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, one.db, "users")
	other := tenanttest.Tenant(t, one.db, "users-b")
	host := hostOf(shop)
	at := "@" + shop.Slug + ".test"
	owner := one.namedUser(t, "owner"+at, "Olga", "Owner-"+shop.Slug, false)
	ann := one.namedUser(t, "ann"+at, "Ann", "Lister-"+shop.Slug, false)
	bob := one.namedUser(t, "bob"+at, "Bob", "Builder-"+shop.Slug, false)
	root := one.namedUser(t, "root"+at, "Platform", "Admin", true)
	one.join(t, shop, owner.ID, "owner")
	one.join(t, shop, ann.ID, "manager")
	one.join(t, other, ann.ID, "viewer")
	one.join(t, shop, bob.ID, "viewer")
	admin := one.scenarios("admin."+base, map[string]string{"root": one.login(t, "admin."+base, root.Email).access})
	list := func(name, query string, want ...string) []adminAccount {
		t.Helper()
		items, cursor := accountsOf(t, admin.send(t, scenario{name: name, as: "root", method: "GET",
			path: "/api/v1/admin/users?" + query, wantStatus: http.StatusOK}))
		if got := emailsOf(items); strings.Join(got, " ") != strings.Join(want, " ") || cursor != "" {
			t.Fatalf("%s: %v (cursor %q), want %v", name, got, cursor, want)
		}
		return items
	}

	t.Run("ListSearchesEmailsAndNamesNewestFirst", func(t *testing.T) {
		items := list("by the slug in e-mails", "q="+url.QueryEscape(strings.ToUpper(shop.Slug)), root.Email, bob.Email, ann.Email, owner.Email)
		want := map[string]adminAccount{
			root.Email:  {SuperAdmin: true, Memberships: 0},
			bob.Email:   {Memberships: 1},
			ann.Email:   {Memberships: 2},
			owner.Email: {Memberships: 1},
		}
		for _, a := range items {
			w := want[a.Email]
			if a.SuperAdmin != w.SuperAdmin || a.Memberships != w.Memberships || !a.Active || a.MustChangePassword {
				t.Errorf("%s: %+v, want super_admin %v and %d memberships, active", a.Email, a, w.SuperAdmin, w.Memberships)
			}
			if (a.LastLoginAt != nil) != (a.Email == root.Email) {
				t.Errorf("%s: last_login_at %v; only root has signed in", a.Email, a.LastLoginAt)
			}
		}
		list("by both names", "q="+url.QueryEscape("ann LISTER-"+shop.Slug), ann.Email)
		list("by a last name", "q="+url.QueryEscape("builder-"+shop.Slug), bob.Email)
		list("a wildcard is matched literally", "q="+url.QueryEscape("%"+shop.Slug))
		list("no inactive ones yet", "status=inactive&q="+shop.Slug)
	})
	t.Run("ListPagesOneAtATime", func(t *testing.T) {
		var got []string
		cursor := ""
		for range 5 {
			path := "/api/v1/admin/users?limit=1&q=" + shop.Slug
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			var items []adminAccount
			items, cursor = accountsOf(t, admin.send(t, scenario{as: "root", method: "GET", path: path, wantStatus: http.StatusOK}))
			got = append(got, emailsOf(items)...)
			if cursor == "" {
				break
			}
		}
		if want := []string{root.Email, bob.Email, ann.Email, owner.Email}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("paged one at a time: %v, want %v", got, want)
		}
	})
	admin.run(t, false, []scenario{
		{name: "BadStatusIsNamed", as: "root", method: "GET", path: "/api/v1/admin/users?status=gone",
			wantStatus: http.StatusBadRequest, check: wantField("status")},
		{name: "BadLimitIsNamed", as: "root", method: "GET", path: "/api/v1/admin/users?limit=201",
			wantStatus: http.StatusBadRequest, check: wantField("limit")},
		{name: "UnknownAccountIsNotFound", as: "root", method: "GET", path: "/api/v1/admin/users/999999999",
			wantStatus: http.StatusNotFound},
		{name: "DeactivationNeedsAReason", as: "root", method: "POST", path: "/api/v1/admin/users/" + itoa(ann.ID) + "/deactivate",
			body: map[string]any{"reason": "  "}, wantStatus: http.StatusBadRequest, check: wantField("reason")},
		{name: "NobodyDeactivatesThemselves", as: "root", method: "POST", path: "/api/v1/admin/users/" + itoa(root.ID) + "/deactivate",
			body: map[string]any{"reason": "tired"}, wantStatus: http.StatusForbidden, wantCode: "own_account"},
	})

	annS := one.login(t, host, ann.Email)
	members := func(ts *testServer, token string) *resp {
		return ts.do(t, req{method: "GET", host: host, path: "/api/v1/teams/members", token: token})
	}
	for _, ts := range []*testServer{one, two} { // each instance has served her token
		if r := members(ts, annS.access); r.status != http.StatusOK {
			t.Fatalf("before deactivation: %d %s", r.status, r.body)
		}
	}

	t.Run("DetailHasMembershipsWithRoleNamesAndSessions", func(t *testing.T) {
		var d adminAccountDetail
		admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/users/" + itoa(ann.ID), wantStatus: http.StatusOK,
			want: []string{`"email":"` + ann.Email + `"`, `"first_name":"Ann"`}, wantNot: []string{"password_hash", "argon2"}}).decode(t, &d)
		roles := map[string]string{}
		for _, m := range d.Memberships {
			roles[m.Vendor.Slug] = m.Role.Name
			if !m.Active || m.Role.ID == 0 {
				t.Errorf("membership %+v", m)
			}
		}
		if len(d.Memberships) != 2 || roles[shop.Slug] != "Manager" || roles[other.Slug] != "Viewer" || d.Sessions != 1 || !d.Active {
			t.Fatalf("detail %+v, want Manager of %s, Viewer of %s, one session", d, shop.Slug, other.Slug)
		}
	})

	t.Run("DeactivatedAccountIsRefusedOnTheOtherInstanceAtOnce", func(t *testing.T) {
		var d adminAccountDetail
		admin.send(t, scenario{as: "root", method: "POST", path: "/api/v1/admin/users/" + itoa(ann.ID) + "/deactivate",
			body: map[string]any{"reason": "left the company"}, wantStatus: http.StatusOK}).decode(t, &d)
		if d.Active || d.Sessions != 0 || len(d.Memberships) != 2 {
			t.Fatalf("after deactivation: %+v, want inactive, no session, memberships kept", d)
		}
		if r := members(two, annS.access); r.status != http.StatusUnauthorized || r.code() != "invalid_token" {
			t.Fatalf("other instance, next request: %d %s", r.status, r.body)
		}
		two.scenarios(host, nil).run(t, false, []scenario{
			{name: "RefreshRefused", method: "POST", path: authRefresh, body: map[string]string{"refresh_token": annS.refresh},
				wantStatus: http.StatusUnauthorized},
			{name: "SignInRefused", method: "POST", path: authLogin, body: authLoginBody(ann.Email, testPassword, true),
				wantStatus: http.StatusUnauthorized, wantCode: "invalid_credentials"},
		})
		list("the inactive one", "status=inactive&q="+shop.Slug, ann.Email)
		list("the active ones", "status=active&q="+shop.Slug, root.Email, bob.Email, owner.Email)
		admin.send(t, scenario{name: "audited", as: "root", method: "GET", path: "/api/v1/admin/audit?action=user.deactivate&limit=500",
			wantStatus: http.StatusOK, want: []string{`"target_id":"` + itoa(ann.ID) + `"`, `"before":{"active":true}`,
				`"reason":"left the company"`, `"actor_email":"` + root.Email + `"`}})
	})

	t.Run("ReactivatedAccountSignsInAgain", func(t *testing.T) {
		var d adminAccountDetail
		admin.send(t, scenario{as: "root", method: "POST", path: "/api/v1/admin/users/" + itoa(ann.ID) + "/reactivate",
			wantStatus: http.StatusOK}).decode(t, &d)
		if !d.Active {
			t.Fatalf("after reactivation: %+v", d)
		}
		if r := members(two, annS.access); r.status != http.StatusUnauthorized {
			t.Fatalf("the session ended by the deactivation came back: %d %s", r.status, r.body)
		}
		if r := members(two, one.login(t, host, ann.Email).access); r.status != http.StatusOK {
			t.Fatalf("signed in again, on the other instance: %d %s", r.status, r.body)
		}
		admin.send(t, scenario{name: "audited", as: "root", method: "GET", path: "/api/v1/admin/audit?action=user.reactivate&limit=500",
			wantStatus: http.StatusOK, want: []string{`"target_id":"` + itoa(ann.ID) + `"`, `"after":{"active":true`}})
	})
}

// TestLastSuperAdminStays: in a database of its own (the rule counts every
// super admin of the platform), two super admins deactivating each other at
// the same moment cannot both succeed — their rows are locked first — and
// the last active one cannot be deactivated.
func TestLastSuperAdminStays(t *testing.T) {
	ctx := context.Background()
	ts := start(t, tenanttest.OpenDatabase(t, tenanttest.NewDatabase(t)), setup{opts: defaultOptions()})
	a := ts.namedUser(t, "a@admins.test", "Ada", "Admin", true)
	b := ts.namedUser(t, "b@admins.test", "Bea", "Admin", true)
	lastOne := func(err error) bool {
		fe, ok := fault.As(err)
		return ok && fe.Code == "last_super_admin"
	}
	for round := range 5 {
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, p := range [][2]*identity.User{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = ts.accounts.Deactivate(ctx, account.Actor{UserID: p[0].ID, Email: p[0].Email}, p[1].ID, "race")
			}()
		}
		wg.Wait()
		loser := b // deactivated by a
		switch {
		case errs[0] == nil && lastOne(errs[1]):
		case errs[1] == nil && lastOne(errs[0]):
			loser = a
		default:
			t.Fatalf("round %d: a→b %v, b→a %v; want exactly one deactivation and one last_super_admin", round, errs[0], errs[1])
		}
		if _, err := ts.accounts.Reactivate(ctx, account.Actor{Email: "test"}, loser.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	admin := ts.scenarios("admin."+base, map[string]string{"a": ts.login(t, "admin."+base, a.Email).access})
	admin.send(t, scenario{name: "a deactivates b", as: "a", method: "POST", path: "/api/v1/admin/users/" + itoa(b.ID) + "/deactivate",
		body: map[string]any{"reason": "duplicate account"}, wantStatus: http.StatusOK, want: []string{`"active":false`}})
	if _, err := ts.accounts.Deactivate(ctx, account.Actor{Email: "ops"}, a.ID, "anyone"); !lastOne(err) {
		t.Fatalf("deactivating the last super admin: %v, want last_super_admin", err)
	}
	admin.send(t, scenario{name: "the last one is still in", as: "a", method: "GET", path: "/api/v1/admin/users/" + itoa(a.ID),
		wantStatus: http.StatusOK, want: []string{`"active":true`}})
}
