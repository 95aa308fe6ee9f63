package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestPasswordReset(t *testing.T) {
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr})
	u := ts.user(t, authEmail("reset"))
	const newPassword = "a brand new passphrase 42"

	// requestLink asks for a reset of u and returns the one link mailed.
	seen := 0
	requestLink := func(t *testing.T) string {
		t.Helper()
		r := ts.do(t, req{method: "POST", host: base, path: authReset, body: map[string]string{"email": strings.ToUpper(u.Email)}})
		if r.status != 202 {
			t.Fatalf("reset request = %d %s, want 202", r.status, r.body)
		}
		ts.flushMail(t)
		msgs := smtp.To(u.Email)
		if len(msgs) != seen+1 {
			t.Fatalf("%d mails to %s after a request, want %d", len(msgs), u.Email, seen+1)
		}
		seen++
		return msgs[len(msgs)-1].Link()
	}
	tokenOf := func(t *testing.T, link string) string {
		t.Helper()
		l, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		if l.Host != base || l.Path != "/reset-password" || l.Query().Get("token") == "" {
			t.Fatalf("link %q, want http://%s/reset-password?token=...", link, base)
		}
		return l.Query().Get("token")
	}

	t.Run("UnknownEmailAnswers202AndSendsNothing", func(t *testing.T) {
		ghost := authEmail("ghost")
		r := ts.do(t, req{method: "POST", host: base, path: authReset, body: map[string]string{"email": ghost}})
		if r.status != 202 {
			t.Fatalf("reset for an unknown email = %d %s, want 202", r.status, r.body)
		}
		if n := ts.flushMail(t); n != 0 {
			t.Fatalf("%d mails went out for an unknown email", n)
		}
		if len(smtp.To(ghost)) != 0 {
			t.Fatal("a mail reached the unknown address")
		}
		known := ts.do(t, req{method: "POST", host: base, path: authReset, body: map[string]string{"email": u.Email}})
		if known.status != r.status || string(known.body) != string(r.body) {
			t.Fatalf("answers for an unknown and a known email differ: %d %s vs %d %s", r.status, r.body, known.status, known.body)
		}
		ts.flushMail(t)
		seen = len(smtp.To(u.Email))
	})
	t.Run("InvalidEmailIs400", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authReset, body: map[string]string{"email": "not an email"}})
		if r.status != 400 || authFields(t, r)["email"] == "" {
			t.Fatalf("reset with a malformed email = %d %s, want 400 naming email", r.status, r.body)
		}
	})

	old := ts.login(t, base, u.Email)
	if got := ts.authMeStatus(t, base, old.access); got != 200 {
		t.Fatalf("access token before the reset: %d", got)
	}
	link := requestLink(t)
	token := tokenOf(t, link)

	t.Run("LinkOpensTheForm", func(t *testing.T) {
		l, _ := url.Parse(link)
		r := ts.do(t, req{method: "GET", host: l.Host, path: l.RequestURI(), header: map[string]string{"Accept": "text/html"}})
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("reset page = %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		body := string(r.body)
		for _, want := range []string{"<form", "/api/v1/auth/password-reset/confirm", `name="password"`, `value="` + token + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("reset page lacks %q", want)
			}
		}
		if r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("Referrer-Policy %q: the token could leak to other sites", r.header.Get("Referrer-Policy"))
		}
	})

	t.Run("TooShortPasswordIsRefusedWithoutSpendingTheToken", func(t *testing.T) {
		for _, pw := range []string{"short", strings.ToUpper(u.Email)} {
			r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": token, "password": pw}})
			if r.status != 400 || authFields(t, r)["password"] == "" {
				t.Fatalf("confirm with password %q = %d %s, want 400 naming password", pw, r.status, r.body)
			}
		}
	})

	r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": token, "password": newPassword}})
	if r.status != 200 {
		t.Fatalf("confirm = %d %s, want 200", r.status, r.body)
	}

	t.Run("OldAccessTokenIsRefused", func(t *testing.T) {
		if got := ts.authMeStatus(t, base, old.access); got != 401 {
			t.Fatalf("access token issued before the reset: %d, want 401", got)
		}
	})
	t.Run("OldRefreshTokenIsRefused", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": old.refresh}})
		if r.status != 401 {
			t.Fatalf("refresh token issued before the reset = %d %s, want 401", r.status, r.body)
		}
	})
	t.Run("NewPasswordSignsInOldDoesNot", func(t *testing.T) {
		if r := ts.do(t, req{method: "POST", host: base, path: authLogin, body: authLoginBody(u.Email, testPassword, true)}); r.status != 401 {
			t.Fatalf("old password = %d %s, want 401", r.status, r.body)
		}
		r := ts.do(t, req{method: "POST", host: base, path: authLogin, body: authLoginBody(u.Email, newPassword, true)})
		if r.status != 200 {
			t.Fatalf("new password = %d %s, want 200", r.status, r.body)
		}
		var a authRefreshed
		r.decode(t, &a)
		if got := ts.authMeStatus(t, base, a.AccessToken); got != 200 {
			t.Fatalf("access token of a sign-in after the reset: %d, want 200", got)
		}
	})
	t.Run("TokenIsSingleUse", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": token, "password": "yet another passphrase"}})
		if r.status != 400 || r.code() != "invalid_reset_token" {
			t.Fatalf("second confirm = %d %s, want 400 invalid_reset_token", r.status, r.body)
		}
	})
	t.Run("MadeUpTokenIsRefused", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": "made-up", "password": "yet another passphrase"}})
		if r.status != 400 || r.code() != "invalid_reset_token" {
			t.Fatalf("confirm with a made-up token = %d %s, want 400 invalid_reset_token", r.status, r.body)
		}
	})
	t.Run("ConfirmingOneLinkSpendsTheOthers", func(t *testing.T) {
		first, second := tokenOf(t, requestLink(t)), tokenOf(t, requestLink(t))
		if r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": second, "password": "the third passphrase"}}); r.status != 200 {
			t.Fatalf("confirm = %d %s", r.status, r.body)
		}
		r := ts.do(t, req{method: "POST", host: base, path: authConfirm, body: map[string]string{"token": first, "password": "the fourth passphrase"}})
		if r.status != 400 || r.code() != "invalid_reset_token" {
			t.Fatalf("older link after a reset = %d %s, want 400 invalid_reset_token", r.status, r.body)
		}
	})
	t.Run("ForeignHostGetsNoLink", func(t *testing.T) {
		before := len(smtp.To(u.Email))
		r := ts.do(t, req{method: "POST", host: "evil.example", path: authReset, body: map[string]string{"email": u.Email}})
		if r.status != 404 {
			t.Fatalf("reset request on a foreign host = %d %s, want 404", r.status, r.body)
		}
		ts.flushMail(t)
		if n := len(smtp.To(u.Email)); n != before {
			t.Fatalf("a reset requested on a foreign host sent %d mails", n-before)
		}
	})
}
