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
	sc := ts.scenarios(hostOf(shop), map[string]string{"owner": ts.login(t, hostOf(shop), "owner"+at).access})

	sc.send(t, scenario{name: "invite", as: "owner", method: "POST", path: "/api/v1/teams/invite",
		body: map[string]any{"email": "New.Person" + strings.ToUpper(at), "role": "editor"}, wantStatus: http.StatusCreated})
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

	acc := sc.send(t, scenario{name: "register", method: "POST", path: "/api/v1/auth/register",
		body:       map[string]any{"token": token, "password": "a long new password", "first_name": "New", "last_name": "Person", "refresh_in_body": true},
		wantStatus: http.StatusCreated})
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
	sc.as["new member"] = out.AccessToken
	sc.send(t, scenario{name: "me after register", as: "new member", method: "GET", path: "/api/v1/auth/me",
		wantStatus: http.StatusOK, want: []string{`"email":"new.person` + at + `"`}})
	sc.send(t, scenario{name: "reused invitation", method: "POST", path: "/api/v1/auth/register",
		body:       map[string]any{"token": token, "password": "another long password", "first_name": "Eve"},
		wantStatus: http.StatusGone, wantCode: "invitation_used"})
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
	sc := ts.scenarios(hostOf(shop), map[string]string{
		"owner":   ts.login(t, hostOf(shop), "owner"+at).access,
		"manager": ts.login(t, hostOf(shop), "manager"+at).access,
	})

	invite := func(as, email, role string, wantStatus int, wantCode string) scenario {
		return scenario{name: as + " invites " + email + " as " + role, as: as, method: "POST", path: "/api/v1/teams/invite",
			body: map[string]any{"email": email, "role": role}, wantStatus: wantStatus, wantCode: wantCode}
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
	register := func(host, token, password string, wantStatus int, wantCode string) scenario {
		return scenario{name: "register", method: "POST", host: host, path: "/api/v1/auth/register",
			body: map[string]any{"token": token, "password": password, "first_name": "X"}, wantStatus: wantStatus, wantCode: wantCode}
	}
	noAccount := func(email string) {
		t.Helper()
		if n, _ := db.Platform().User.Query().Where(user.Email(email)).Count(ctx); n != 0 {
			t.Fatalf("%s got an account", email)
		}
	}

	t.Run("ManagerCannotInviteAnOwner", func(t *testing.T) {
		sc.send(t, invite("manager", "boss"+at, "Owner", http.StatusForbidden, "permission_escalation"))
		sc.send(t, invite("manager", "helper"+at, "Editor", http.StatusCreated, ""))
	})
	t.Run("ExpiredInvitationChangesNothing", func(t *testing.T) {
		sc.send(t, invite("owner", "late"+at, "Viewer", http.StatusCreated, ""))
		tok := tokenFor("late" + at)
		if _, err := db.Platform().Invitation.Update().Where(invitation.Email("late" + at)).
			SetExpiresAt(time.Now().Add(-time.Minute)).Save(ctx); err != nil {
			t.Fatal(err)
		}
		sc.send(t, register(hostOf(shop), tok, "a long new password", http.StatusGone, "invitation_expired"))
		noAccount("late" + at)
	})
	t.Run("RevokedInvitationChangesNothing", func(t *testing.T) {
		r := sc.send(t, invite("owner", "gone"+at, "Viewer", http.StatusCreated, ""))
		var inv struct{ ID int }
		r.decode(t, &inv)
		tok := tokenFor("gone" + at)
		sc.send(t, scenario{name: "revoke", as: "owner", method: "DELETE", path: "/api/v1/teams/invitations/" + itoa(inv.ID), wantStatus: http.StatusNoContent})
		sc.send(t, register(hostOf(shop), tok, "a long new password", http.StatusGone, "invitation_revoked"))
		noAccount("gone" + at)
	})
	t.Run("InvitationOfAnotherShopIsNotFoundHere", func(t *testing.T) {
		sc.send(t, invite("owner", "wander"+at, "Viewer", http.StatusCreated, ""))
		tok := tokenFor("wander" + at)
		sc.send(t, register(hostOf(other), tok, "a long new password", http.StatusNotFound, "invalid_invitation"))
		noAccount("wander" + at)
	})
	t.Run("ResendReplacesTheLink", func(t *testing.T) {
		r := sc.send(t, invite("owner", "again"+at, "Viewer", http.StatusCreated, ""))
		var inv struct{ ID int }
		r.decode(t, &inv)
		first := tokenFor("again" + at)
		sc.send(t, scenario{name: "resend", as: "owner", method: "POST", path: "/api/v1/teams/invitations/" + itoa(inv.ID) + "/resend", wantStatus: http.StatusOK})
		second := tokenFor("again" + at)
		if first == second {
			t.Fatal("resend mailed the same token")
		}
		sc.send(t, register(hostOf(shop), first, "a long new password", http.StatusNotFound, "")) // the old link
		sc.send(t, register(hostOf(shop), second, "a long new password", http.StatusCreated, ""))
	})
	t.Run("ExistingUserProvesWhoTheyAre", func(t *testing.T) {
		sc.send(t, invite("owner", "existing"+at, "Editor", http.StatusCreated, ""))
		tok := tokenFor("existing" + at)
		sc.send(t, register(hostOf(shop), tok, "not their password", http.StatusUnauthorized, ""))
		sc.send(t, register(hostOf(shop), tok, testPassword, http.StatusCreated, ""))
		s := ts.login(t, hostOf(shop), "existing"+at)
		if s.userID != existing.ID {
			t.Fatalf("a second account was made: %d, want %d", s.userID, existing.ID)
		}
	})
	t.Run("SignedInUserAcceptsWithoutAPassword", func(t *testing.T) {
		signed := ts.user(t, "signed"+at)
		sc.as["signed"] = ts.login(t, hostOf(shop), signed.Email).access // signed in here before being a member
		sc.send(t, scenario{name: "me before the invitation", as: "signed", method: "GET", path: "/api/v1/auth/me",
			wantStatus: http.StatusOK}) // caches the policy without them
		sc.send(t, invite("owner", "signed"+at, "Viewer", http.StatusCreated, ""))
		tok := tokenFor("signed" + at)
		r := sc.send(t, scenario{name: "register signed in", as: "signed", method: "POST", path: "/api/v1/auth/register",
			body: map[string]any{"token": tok, "refresh_in_body": true}, wantStatus: http.StatusCreated})
		var out sessionResponse
		r.decode(t, &out)
		if out.Vendor == nil || !out.Vendor.Member || out.Vendor.Role == nil || out.Vendor.Role.Name != "Viewer" {
			t.Fatalf("the answer does not show the new membership: %+v", out.Vendor)
		}
	})
	t.Run("InvalidInvitationsAreRefusedWithTheField", func(t *testing.T) {
		bad := invite("owner", "not-an-email", "", http.StatusBadRequest, "")
		bad.want = []string{`"email"`, `"role"`}
		sc.send(t, bad)
		sc.send(t, invite("owner", "manager"+at, "Viewer", http.StatusConflict, "already_member"))
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
