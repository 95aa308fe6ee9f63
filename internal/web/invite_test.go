package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/platform/invitation"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// follow opens a link from a mail on the server under test (the link names
// the vendor's host; the test client connects to loopback).
func (ts *testServer) follow(t *testing.T, link string) (*resp, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		t.Fatalf("mail link %q: %v", link, err)
	}
	return ts.do(t, req{method: "GET", host: u.Host, path: u.RequestURI(), header: map[string]string{"Accept": "text/html"}}), u.Query().Get("token")
}

// The whole invitation path with the mail server down at first: nothing is
// lost, the mail goes out exactly once when the server is back, and its link
// leads to an account and a membership with the invited role.
func TestInvitationSurvivesMailOutageAndIsAcceptedFromTheLink(t *testing.T) {
	db := tenanttest.Open(t)
	smtpAddr := mailtest.FreeAddr(t) // nobody listens: the mail server is down
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtpAddr})
	shop := tenanttest.Tenant(t, db, "inv")
	at := "@" + shop.Slug + ".test" // emails unique to this run
	owner := ts.user(t, "owner"+at)
	ts.join(t, shop, owner.ID, "owner")
	s := ts.login(t, hostOf(shop), "owner"+at)

	r := ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/teams/invite", token: s.access,
		body: map[string]any{"email": "New.Person" + strings.ToUpper(at), "role": "editor"}})
	if r.status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.status, r.body)
	}
	if n := ts.flushMail(t); n != 0 {
		t.Fatalf("sent %d mails with the server down", n)
	}
	smtp := mailtest.Start(t, smtpAddr) // the mail server comes back
	if n := ts.flushMail(t); n != 1 {
		t.Fatalf("after the outage: sent %d, want 1", n)
	}
	if n := ts.flushMail(t); n != 0 {
		t.Fatalf("a second pass sent %d more", n)
	}
	got := smtp.To("new.person" + at)
	if len(got) != 1 || len(smtp.Messages()) != 1 {
		t.Fatalf("received %d mails for the invitee, %d in all; want exactly 1", len(got), len(smtp.Messages()))
	}
	page, token := ts.follow(t, got[0].Link())
	if page.status != http.StatusOK || !strings.Contains(string(page.body), "/api/v1/auth/register") || token == "" {
		t.Fatalf("invitation page: %d %s", page.status, page.body)
	}

	acc := ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/auth/register",
		body: map[string]any{"token": token, "password": "a long new password", "first_name": "New", "last_name": "Person", "refresh_in_body": true}})
	if acc.status != http.StatusCreated {
		t.Fatalf("register: %d %s", acc.status, acc.body)
	}
	var out sessionResponse
	acc.decode(t, &out)
	if out.Vendor == nil || out.Vendor.Role == nil || out.Vendor.Role.Name != "Editor" || !out.Vendor.Member {
		t.Fatalf("register answered %+v, want an Editor of the shop", out.Vendor)
	}
	// The account as stored, not only its id and e-mail.
	if u := out.User; u == nil || u.FirstName != "New" || u.LastName != "Person" || u.Email != "new.person"+at ||
		time.Since(u.CreatedAt) > time.Minute {
		t.Fatalf("register answered the user %+v", out.User)
	}
	me := ts.do(t, req{method: "GET", host: hostOf(shop), path: "/api/v1/auth/me", token: out.AccessToken})
	if me.status != http.StatusOK || !strings.Contains(string(me.body), `"email":"new.person`+at+`"`) {
		t.Fatalf("me after register: %d %s", me.status, me.body)
	}
	again := ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/auth/register",
		body: map[string]any{"token": token, "password": "another long password", "first_name": "Eve"}})
	if again.status != http.StatusGone || again.code() != "invitation_used" {
		t.Fatalf("reused invitation: %d %s", again.status, again.body)
	}
	// The account kept the first password: the second registration changed nothing.
	ts.loginWith(t, hostOf(shop), "new.person"+at, "a long new password")
}

// loginWith signs in with an explicit password.
func (ts *testServer) loginWith(t *testing.T, host, email, password string) *resp {
	t.Helper()
	r := ts.do(t, req{method: "POST", host: host, path: "/api/v1/auth/login",
		body: map[string]any{"email": email, "password": password, "refresh_in_body": true}})
	if r.status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.status, r.body)
	}
	return r
}

func TestInvitationRefusals(t *testing.T) {
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr})
	ctx := context.Background()
	shop := tenanttest.Tenant(t, db, "refuse")
	at := "@" + shop.Slug + ".test"
	other := tenanttest.Tenant(t, db, "other")
	owner := ts.user(t, "owner"+at)
	ts.join(t, shop, owner.ID, "owner")
	manager := ts.user(t, "manager"+at)
	ts.join(t, shop, manager.ID, "manager")
	existing := ts.user(t, "existing"+at)
	ownerS := ts.login(t, hostOf(shop), "owner"+at)
	managerS := ts.login(t, hostOf(shop), "manager"+at)

	invite := func(s session, email, role string) *resp {
		return ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/teams/invite", token: s.access,
			body: map[string]any{"email": email, "role": role}})
	}
	tokenFor := func(email string) string {
		t.Helper()
		ts.flushMail(t)
		ms := smtp.To(email)
		if len(ms) == 0 {
			t.Fatalf("no mail for %s", email)
		}
		_, tok := ts.follow(t, ms[len(ms)-1].Link())
		return tok
	}
	register := func(host, token, password string) *resp {
		return ts.do(t, req{method: "POST", host: host, path: "/api/v1/auth/register",
			body: map[string]any{"token": token, "password": password, "first_name": "X"}})
	}
	noAccount := func(email string) {
		t.Helper()
		if n, _ := db.Platform().User.Query().Where(user.Email(email)).Count(ctx); n != 0 {
			t.Fatalf("%s got an account", email)
		}
	}

	t.Run("ManagerCannotInviteAnOwner", func(t *testing.T) {
		r := invite(managerS, "boss"+at, "Owner")
		if r.status != http.StatusForbidden || r.code() != "permission_escalation" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if r := invite(managerS, "helper"+at, "Editor"); r.status != http.StatusCreated {
			t.Fatalf("a Manager inviting an Editor: %d %s", r.status, r.body)
		}
	})
	t.Run("ExpiredInvitationChangesNothing", func(t *testing.T) {
		if r := invite(ownerS, "late"+at, "Viewer"); r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.body)
		}
		tok := tokenFor("late" + at)
		if _, err := db.Platform().Invitation.Update().Where(invitation.Email("late" + at)).
			SetExpiresAt(time.Now().Add(-time.Minute)).Save(ctx); err != nil {
			t.Fatal(err)
		}
		if r := register(hostOf(shop), tok, "a long new password"); r.status != http.StatusGone || r.code() != "invitation_expired" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		noAccount("late" + at)
	})
	t.Run("RevokedInvitationChangesNothing", func(t *testing.T) {
		r := invite(ownerS, "gone"+at, "Viewer")
		var inv struct{ ID int }
		r.decode(t, &inv)
		tok := tokenFor("gone" + at)
		del := ts.do(t, req{method: "DELETE", host: hostOf(shop), path: "/api/v1/teams/invitations/" + itoa(inv.ID), token: ownerS.access})
		if del.status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", del.status, del.body)
		}
		if r := register(hostOf(shop), tok, "a long new password"); r.status != http.StatusGone || r.code() != "invitation_revoked" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		noAccount("gone" + at)
	})
	t.Run("InvitationOfAnotherShopIsNotFoundHere", func(t *testing.T) {
		invite(ownerS, "wander"+at, "Viewer")
		tok := tokenFor("wander" + at)
		if r := register(hostOf(other), tok, "a long new password"); r.status != http.StatusNotFound || r.code() != "invalid_invitation" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		noAccount("wander" + at)
	})
	t.Run("ResendReplacesTheLink", func(t *testing.T) {
		r := invite(ownerS, "again"+at, "Viewer")
		var inv struct{ ID int }
		r.decode(t, &inv)
		first := tokenFor("again" + at)
		re := ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/teams/invitations/" + itoa(inv.ID) + "/resend", token: ownerS.access})
		if re.status != http.StatusOK {
			t.Fatalf("resend: %d %s", re.status, re.body)
		}
		second := tokenFor("again" + at)
		if first == second {
			t.Fatal("resend mailed the same token")
		}
		if r := register(hostOf(shop), first, "a long new password"); r.status != http.StatusNotFound {
			t.Fatalf("the old link still works: %d %s", r.status, r.body)
		}
		if r := register(hostOf(shop), second, "a long new password"); r.status != http.StatusCreated {
			t.Fatalf("the new link: %d %s", r.status, r.body)
		}
	})
	t.Run("ExistingUserProvesWhoTheyAre", func(t *testing.T) {
		invite(ownerS, "existing"+at, "Editor")
		tok := tokenFor("existing" + at)
		if r := register(hostOf(shop), tok, "not their password"); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d %s", r.status, r.body)
		}
		if r := register(hostOf(shop), tok, testPassword); r.status != http.StatusCreated {
			t.Fatalf("right password: %d %s", r.status, r.body)
		}
		s := ts.login(t, hostOf(shop), "existing"+at)
		if s.userID != existing.ID {
			t.Fatalf("a second account was made: %d, want %d", s.userID, existing.ID)
		}
	})
	t.Run("SignedInUserAcceptsWithoutAPassword", func(t *testing.T) {
		signed := ts.user(t, "signed"+at)
		s := ts.login(t, hostOf(shop), signed.Email)                                               // signed in here before being a member
		ts.do(t, req{method: "GET", host: hostOf(shop), path: "/api/v1/auth/me", token: s.access}) // caches the policy without them
		invite(ownerS, "signed"+at, "Viewer")
		tok := tokenFor("signed" + at)
		r := ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/auth/register", token: s.access,
			body: map[string]any{"token": tok, "refresh_in_body": true}})
		if r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var out sessionResponse
		r.decode(t, &out)
		if out.Vendor == nil || !out.Vendor.Member || out.Vendor.Role == nil || out.Vendor.Role.Name != "Viewer" {
			t.Fatalf("the answer does not show the new membership: %+v", out.Vendor)
		}
	})
	t.Run("InvalidInvitationsAreRefusedWithTheField", func(t *testing.T) {
		r := invite(ownerS, "not-an-email", "")
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"email"`) || !strings.Contains(string(r.body), `"role"`) {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if r := invite(ownerS, "manager"+at, "Viewer"); r.status != http.StatusConflict || r.code() != "already_member" {
			t.Fatalf("inviting a member: %d %s", r.status, r.body)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
