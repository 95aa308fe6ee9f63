package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/platform/auditevent"
	"github.com/bazaar/bazaar/ent/platform/outboxmail"
	"github.com/bazaar/bazaar/ent/platform/passwordreset"
	"github.com/bazaar/bazaar/ent/platform/passwordresetjobuser"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/account"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// waitResetJob polls a mass reset until it has finished.
func waitResetJob(t *testing.T, ts *testServer, id int) account.ResetJob {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := ts.accounts.Reset(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == "succeeded" {
			return *j
		}
		if time.Now().After(deadline) {
			t.Fatalf("reset job %d still %s: %+v", id, j.Status, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMassPasswordReset: a super admin resets the passwords of two accounts
// by id, of a shop's team, and of everyone (only with the confirmation
// phrase). Each time, on the queue: every session of each account is
// refused on its very next request by a second instance on the same
// database; each must choose a new password (403 password_change_required
// but for its own account's routes); each gets exactly one reset mail,
// whose link sets a new password that then signs in; the job's counts add
// up; accounts outside the selection keep their sessions and get no mail;
// the super admin's own account is skipped unless listed by id. In a
// database of its own: it queues a mail per account.
func TestMassPasswordReset(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	smtp := mailtest.Start(t, "")
	one := start(t, tenanttest.OpenDatabase(t, d), setup{opts: defaultOptions(), smtpAddr: smtp.Addr, queue: true})
	two := start(t, tenanttest.OpenDatabase(t, d), setup{opts: defaultOptions()})
	ctx := context.Background()
	shopA := tenanttest.Tenant(t, one.db, "reset-a")
	shopB := tenanttest.Tenant(t, one.db, "reset-b")
	member := func(email string, tn *tenantdb.Tenant, role string) *identity.User {
		u := one.user(t, email)
		if tn != nil {
			one.join(t, tn, u.ID, role)
		}
		return u
	}
	ownerA := member("owner@a.test", shopA, "owner")
	managerA := member("manager@a.test", shopA, "manager")
	viewerA := member("viewer@a.test", shopA, "viewer")
	ownerB := member("owner@b.test", shopB, "owner")
	managerB := member("manager@b.test", shopB, "manager")
	loner := member("loner@nowhere.test", nil, "")
	gone := member("gone@nowhere.test", nil, "")
	root := one.namedUser(t, "root@admin.test", "Root", "Admin", true)
	one.join(t, shopA, root.ID, "viewer")
	admin := one.scenarios("admin."+base, map[string]string{"root": one.login(t, "admin."+base, root.Email).access})
	if _, err := one.accounts.Deactivate(ctx, account.Actor{UserID: root.ID, Email: root.Email}, gone.ID, "left"); err != nil {
		t.Fatal(err)
	}

	hostOfUser := map[int]string{ownerA.ID: hostOf(shopA), managerA.ID: hostOf(shopA), viewerA.ID: hostOf(shopA),
		ownerB.ID: hostOf(shopB), managerB.ID: hostOf(shopB), loner.ID: base}
	everyone := []*identity.User{ownerA, managerA, viewerA, ownerB, managerB, loner}
	// signIn signs each in on their host and has both instances serve the
	// token once.
	tokens := map[int]string{}
	me := func(ts *testServer, u *identity.User) *resp {
		return ts.do(t, req{method: "GET", host: hostOfUser[u.ID], path: authMe, token: tokens[u.ID]})
	}
	signIn := func(us ...*identity.User) {
		t.Helper()
		for _, u := range us {
			tokens[u.ID] = one.login(t, hostOfUser[u.ID], u.Email).access
			for _, ts := range []*testServer{one, two} {
				if r := me(ts, u); r.status != http.StatusOK {
					t.Fatalf("%s before the reset: %d %s", u.Email, r.status, r.body)
				}
			}
		}
	}
	mails := map[string]int{} // e-mail → reset mails seen so far
	newMails := func() map[string]int {
		t.Helper()
		one.flushMail(t)
		got := map[string]int{}
		for _, m := range smtp.Messages() {
			for _, to := range m.To {
				got[to]++
			}
		}
		fresh := map[string]int{}
		for to, n := range got {
			if n > mails[to] {
				fresh[to] = n - mails[to]
			}
		}
		mails = got
		return fresh
	}
	// resetAndWait asks for a reset and waits for it.
	resetAndWait := func(name string, body map[string]any) account.ResetJob {
		t.Helper()
		r := admin.send(t, scenario{name: name, as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: body, wantStatus: http.StatusAccepted})
		var j account.ResetJob
		r.decode(t, &j)
		if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/admin/users/password-resets/%d", j.ID) {
			t.Errorf("Location %q", loc)
		}
		waitResetJob(t, one, j.ID)
		// The progress, read by the other instance.
		two.scenarios("admin."+base, admin.as).send(t, scenario{name: name + ": progress", as: "root", method: "GET",
			path: fmt.Sprintf("/api/v1/admin/users/password-resets/%d", j.ID), wantStatus: http.StatusOK}).decode(t, &j)
		return j
	}
	// wasReset checks what a reset did to us: refused at once on the other
	// instance, exactly one new mail each, whose link works for the first.
	wasReset := func(t *testing.T, fresh map[string]int, us ...*identity.User) {
		t.Helper()
		for _, u := range us {
			if r := me(two, u); r.status != http.StatusUnauthorized || r.code() != "invalid_token" {
				t.Errorf("%s on the other instance, next request: %d %s", u.Email, r.status, r.body)
			}
			if fresh[u.Email] != 1 {
				t.Errorf("%s got %d reset mails, want 1", u.Email, fresh[u.Email])
			}
		}
	}
	untouched := func(t *testing.T, fresh map[string]int, us ...*identity.User) {
		t.Helper()
		for _, u := range us {
			if r := me(two, u); r.status != http.StatusOK {
				t.Errorf("%s was outside the reset but: %d %s", u.Email, r.status, r.body)
			}
			if fresh[u.Email] != 0 {
				t.Errorf("%s was outside the reset but got %d mails", u.Email, fresh[u.Email])
			}
		}
	}
	// followLink sets a new password with the newest mail's link and signs
	// in with it.
	followLink := func(t *testing.T, u *identity.User, password string) string {
		t.Helper()
		msgs := smtp.To(u.Email)
		last := msgs[len(msgs)-1]
		if !strings.Contains(last.Body, "administrator has reset") || strings.Contains(last.Body, testPassword) {
			t.Fatalf("reset mail to %s: %s", u.Email, last.Body)
		}
		page, token := one.follow(t, last.Link())
		if page.status != http.StatusOK || token == "" {
			t.Fatalf("the link %s: %d %s", last.Link(), page.status, page.body)
		}
		one.scenarios(base, nil).send(t, scenario{name: "confirm", method: "POST", path: authConfirm,
			body: map[string]string{"token": token, "password": password}, wantStatus: http.StatusOK})
		var s sessionResponse
		one.loginWith(t, hostOfUser[u.ID], u.Email, password).decode(t, &s)
		return s.AccessToken
	}
	signIn(everyone...)
	newMails()

	t.Run("ByIDs", func(t *testing.T) {
		j := resetAndWait("by ids", map[string]any{"user_ids": []int{loner.ID, gone.ID, loner.ID}})
		if j.Scope != "users" || j.Users != 2 || j.Done != 2 || j.Reset != 1 || j.Skipped != 1 {
			t.Fatalf("job %+v, want 2 accounts: 1 reset, the deactivated one skipped", j)
		}
		fresh := newMails()
		wasReset(t, fresh, loner)
		untouched(t, fresh, ownerA, managerA, viewerA, ownerB, managerB)
		if fresh[gone.Email] != 0 {
			t.Errorf("the deactivated account got %d mails", fresh[gone.Email])
		}
		// The old password still signs in, to an account that must choose
		// a new one; the mailed link chooses it.
		var s sessionResponse
		one.loginWith(t, base, loner.Email, testPassword).decode(t, &s)
		if s.User == nil || !s.User.MustChangePassword {
			t.Errorf("signed in after the reset: %+v, want must_change_password", s.User)
		}
		tokens[loner.ID] = followLink(t, loner, "the loner's new passphrase")
		one.scenarios(base, map[string]string{"loner": tokens[loner.ID]}).send(t, scenario{as: "loner", method: "GET", path: authMe,
			wantStatus: http.StatusOK, want: []string{`"must_change_password":false`}})
	})

	t.Run("ByVendorSkipsTheActingSuperAdmin", func(t *testing.T) {
		j := resetAndWait("by vendor", map[string]any{"vendor_id": shopA.ID})
		if j.Scope != "vendor" || j.VendorID == nil || *j.VendorID != shopA.ID || j.Users != 4 || j.Done != 4 || j.Reset != 3 || j.Skipped != 1 {
			t.Fatalf("job %+v, want shop A's 4 members: 3 reset, the super admin skipped", j)
		}
		fresh := newMails()
		wasReset(t, fresh, ownerA, managerA, viewerA)
		untouched(t, fresh, ownerB, managerB, loner)
		if fresh[root.Email] != 0 {
			t.Errorf("the acting super admin got %d mails", fresh[root.Email])
		}
		admin.send(t, scenario{name: "the super admin is still signed in", as: "root", method: "GET", path: "/api/v1/admin/users/" + itoa(root.ID),
			wantStatus: http.StatusOK, want: []string{`"must_change_password":false`}})
		shop := two.scenarios(hostOf(shopA), map[string]string{"manager": one.login(t, hostOf(shopA), managerA.Email).access})
		shop.run(t, false, []scenario{
			{name: "OwnAccountAnswers", as: "manager", method: "GET", path: authMe, wantStatus: http.StatusOK,
				want: []string{`"must_change_password":true`}},
			{name: "TeamRefusedUntilTheyChoose", as: "manager", method: "GET", path: "/api/v1/teams/members",
				wantStatus: http.StatusForbidden, wantCode: "password_change_required"},
		})
		shop.as["manager"] = followLink(t, managerA, "the manager's new passphrase")
		shop.send(t, scenario{name: "team after choosing", as: "manager", method: "GET", path: "/api/v1/teams/members", wantStatus: http.StatusOK})

		trail := admin.send(t, scenario{name: "audit", as: "root", method: "GET",
			path: "/api/v1/admin/audit?action=auth.password_reset_requested&limit=500", wantStatus: http.StatusOK})
		if n := strings.Count(string(trail.body), fmt.Sprintf(`"reason":"password reset job %d"`, j.ID)); n != 3 {
			t.Errorf("%d auth.password_reset_requested events for job %d, want 3: %s", n, j.ID, trail.body)
		}
		admin.send(t, scenario{name: "the job's event", as: "root", method: "GET", path: "/api/v1/admin/audit?action=user.password_reset_job",
			wantStatus: http.StatusOK, want: []string{fmt.Sprintf(`"target_id":"%d"`, j.ID), fmt.Sprintf(`"vendor_id":%d`, shopA.ID), `"scope":"vendor"`}})
	})

	jobs := func() int {
		n, err := one.db.Platform().PasswordResetJob.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := jobs()
	const confirm = "reset every password"
	admin.run(t, false, []scenario{
		{name: "AllWithoutTheConfirmation", as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{"all": true}, wantStatus: http.StatusBadRequest, wantCode: "confirmation_required", check: wantField("confirm", confirm)},
		{name: "AllWithAnotherPhrase", as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{"all": true, "confirm": "yes"}, wantStatus: http.StatusBadRequest, wantCode: "confirmation_required"},
		{name: "TwoSelections", as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{"all": true, "confirm": confirm, "user_ids": []int{loner.ID}}, wantStatus: http.StatusBadRequest, check: wantField("user_ids")},
		{name: "NoSelection", as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{}, wantStatus: http.StatusBadRequest, check: wantField("vendor_id")},
		{name: "NoIDs", as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{"user_ids": []int{}}, wantStatus: http.StatusBadRequest, check: wantField("user_ids")},
		{name: "UnknownAccount", as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{"user_ids": []int{loner.ID, 999999999}}, wantStatus: http.StatusBadRequest, check: wantField("user_ids[1]")},
		{name: "UnknownVendor", as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{"vendor_id": 999999999}, wantStatus: http.StatusBadRequest, check: wantField("vendor_id")},
		{name: "ConfirmationOnlyForAll", as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{"vendor_id": shopB.ID, "confirm": confirm}, wantStatus: http.StatusBadRequest, check: wantField("confirm")},
		{name: "ProgressOfNoJob", as: "root", method: "GET", path: "/api/v1/admin/users/password-resets/999999999", wantStatus: http.StatusNotFound},
	})
	if n := jobs(); n != before {
		t.Fatalf("the refused requests recorded %d jobs", n-before)
	}

	t.Run("AllWithTheConfirmation", func(t *testing.T) {
		signIn(ownerA, viewerA, ownerB, managerB)
		active, err := one.db.Platform().User.Query().Where(user.Active(true)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		j := resetAndWait("all", map[string]any{"all": true, "confirm": confirm})
		if j.Scope != "all" || j.Users != active || j.Done != active || j.Reset != active-1 || j.Skipped != 1 {
			t.Fatalf("job %+v, want the %d active accounts, the super admin skipped", j, active)
		}
		fresh := newMails()
		wasReset(t, fresh, ownerA, viewerA, ownerB, managerB)
		for _, u := range []*identity.User{managerA, loner} {
			if fresh[u.Email] != 1 {
				t.Errorf("%s got %d mails, want 1", u.Email, fresh[u.Email])
			}
		}
		if fresh[root.Email] != 0 || fresh[gone.Email] != 0 {
			t.Errorf("the super admin got %d mails, the deactivated account %d", fresh[root.Email], fresh[gone.Email])
		}
		followLink(t, ownerB, "owner b's new passphrase")
	})

	t.Run("OwnAccountWhenListedByID", func(t *testing.T) {
		r := admin.send(t, scenario{as: "root", method: "POST", path: "/api/v1/admin/users/password-reset",
			body: map[string]any{"user_ids": []int{root.ID}}, wantStatus: http.StatusAccepted})
		var j account.ResetJob
		r.decode(t, &j)
		if j = waitResetJob(t, one, j.ID); j.Reset != 1 || j.Skipped != 0 {
			t.Fatalf("job %+v, want the super admin reset", j)
		}
		two.scenarios("admin."+base, admin.as).send(t, scenario{name: "old token", as: "root", method: "GET", path: "/api/v1/admin/users",
			wantStatus: http.StatusUnauthorized, wantCode: "invalid_token"})
		admin.as["root"] = one.login(t, "admin."+base, root.Email).access
		admin.send(t, scenario{name: "signed in again, must choose first", as: "root", method: "GET", path: "/api/v1/admin/users",
			wantStatus: http.StatusForbidden, wantCode: "password_change_required"})
		if fresh := newMails(); fresh[root.Email] != 1 {
			t.Errorf("the super admin got %d mails, want 1", fresh[root.Email])
		}
	})
}

// TestMassPasswordResetResumes: a reset run stopped after a few accounts
// (its context cancelled, as a killed server's would be) holds the job
// while it runs — a second run is turned away — and leaves the job running;
// an instance whose queue starts later finds it by its resume check (which
// runs at start) and finishes it. Every account is reset exactly once: one
// reset link, one mail, one audit event each, none missed, none twice.
func TestMassPasswordResetResumes(t *testing.T) {
	ctx := context.Background()
	db := tenanttest.OpenDatabase(t, tenanttest.NewDatabase(t))
	ts := start(t, db, setup{opts: defaultOptions()}) // no queue yet
	root := ts.namedUser(t, "root@resume.test", "Root", "Admin", true)
	var users []*identity.User
	for i := range 12 {
		users = append(users, ts.user(t, fmt.Sprintf("user%02d@resume.test", i)))
	}
	job, err := ts.accounts.StartReset(ctx, account.Actor{UserID: root.ID, Email: root.Email},
		account.ResetSelection{All: true, Confirm: account.ConfirmAll})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != "queued" || job.Users != 13 || job.Done != 1 || job.Skipped != 1 {
		t.Fatalf("job %+v, want 13 accounts queued, the super admin skipped", job)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var busy error
	err = ts.accounts.RunReset(runCtx, job.ID, func(j account.ResetJob) {
		switch j.Done {
		case 3:
			busy = ts.accounts.RunReset(ctx, job.ID, nil) // another instance, meanwhile
		case 6:
			stop() // the server dies after its sixth account
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped run: %v", err)
	}
	if !errors.Is(busy, account.ErrResetBusy) {
		t.Fatalf("a second run while the first held the job: %v, want ErrResetBusy", busy)
	}
	mid, err := ts.accounts.Reset(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if mid.Status != "running" || mid.Done != 6 || mid.Reset != 5 {
		t.Fatalf("after the stop: %+v, want running with 5 reset", mid)
	}

	ts.queue = startQueue(t, db, ts.market, ts.vendors, ts.system, ts.accounts)
	final := waitResetJob(t, ts, job.ID)
	if final.Done != 13 || final.Reset != 12 || final.Skipped != 1 || final.FinishedAt == nil {
		t.Fatalf("finished: %+v, want 12 reset, 1 skipped", final)
	}
	p := db.Platform()
	for _, u := range users {
		links, err := p.PasswordReset.Query().Where(passwordreset.UserID(u.ID)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mails, err := p.OutboxMail.Query().Where(outboxmail.To(u.Email)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events, err := p.AuditEvent.Query().Where(auditevent.Action("auth.password_reset_requested"), auditevent.TargetID(itoa(u.ID))).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		row, err := p.PasswordResetJobUser.Query().Where(passwordresetjobuser.JobID(job.ID), passwordresetjobuser.UserID(u.ID)).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if links != 1 || mails != 1 || events != 1 || row.Outcome != passwordresetjobuser.OutcomeReset {
			t.Errorf("%s: %d links, %d mails, %d events, outcome %s; want exactly one each, reset", u.Email, links, mails, events, row.Outcome)
		}
	}
	if n, err := p.OutboxMail.Query().Where(outboxmail.To(root.Email)).Count(ctx); err != nil || n != 0 {
		t.Errorf("the super admin: %d mails (%v)", n, err)
	}
}
