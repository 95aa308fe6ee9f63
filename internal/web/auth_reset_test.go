package web

import (
	"net/http"
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
	sc := ts.scenarios(base, nil)
	resetFor := func(name, email string) scenario {
		return scenario{name: name, method: "POST", path: authReset, body: map[string]string{"email": email}, wantStatus: http.StatusAccepted}
	}
	confirm := func(name, token, password string, wantStatus int, wantCode string) scenario {
		return scenario{name: name, method: "POST", path: authConfirm, body: map[string]string{"token": token, "password": password},
			wantStatus: wantStatus, wantCode: wantCode}
	}

	// requestLink asks for a reset of u and returns the one link mailed.
	seen := 0
	requestLink := func(t *testing.T) string {
		t.Helper()
		sc.send(t, resetFor("reset request", strings.ToUpper(u.Email)))
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
		r := sc.send(t, resetFor("reset for an unknown email", ghost))
		if n := ts.flushMail(t); n != 0 {
			t.Fatalf("%d mails went out for an unknown email", n)
		}
		if len(smtp.To(ghost)) != 0 {
			t.Fatal("a mail reached the unknown address")
		}
		known := resetFor("reset for a known email", u.Email)
		known.check = func(t testing.TB, known *resp) {
			if string(known.body) != string(r.body) {
				t.Fatalf("answers for an unknown and a known email differ: %s vs %s", r.body, known.body)
			}
		}
		sc.send(t, known)
		ts.flushMail(t)
		seen = len(smtp.To(u.Email))
	})
	sc.run(t, false, []scenario{{name: "InvalidEmailIs400", method: "POST", path: authReset, body: map[string]string{"email": "not an email"},
		wantStatus: http.StatusBadRequest, check: wantField("email")}})

	old := ts.login(t, base, u.Email)
	sc.as["old"] = old.access
	sc.send(t, scenario{name: "access token before the reset", as: "old", method: "GET", path: authMe, wantStatus: http.StatusOK})
	link := requestLink(t)
	token := tokenOf(t, link)

	t.Run("LinkOpensTheForm", func(t *testing.T) {
		l, _ := url.Parse(link)
		sc.send(t, scenario{name: "reset page", method: "GET", host: l.Host, path: l.RequestURI(), header: map[string]string{"Accept": "text/html"},
			wantStatus: http.StatusOK,
			want:       []string{"<form", "/api/v1/auth/password-reset/confirm", `name="password"`, `value="` + token + `"`},
			check: func(t testing.TB, r *resp) {
				if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
					t.Fatalf("reset page = %s %s", r.header.Get("Content-Type"), r.body)
				}
				if r.header.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("Referrer-Policy %q: the token could leak to other sites", r.header.Get("Referrer-Policy"))
				}
			}})
	})

	t.Run("TooShortPasswordIsRefusedWithoutSpendingTheToken", func(t *testing.T) {
		for _, pw := range []string{"short", strings.ToUpper(u.Email)} {
			refused := confirm("confirm with password "+pw, token, pw, http.StatusBadRequest, "")
			refused.check = wantField("password")
			sc.send(t, refused)
		}
	})

	sc.send(t, confirm("confirm", token, newPassword, http.StatusOK, ""))

	sc.run(t, false, []scenario{
		{name: "OldAccessTokenIsRefused", as: "old", method: "GET", path: authMe, wantStatus: http.StatusUnauthorized},
		{name: "OldRefreshTokenIsRefused", method: "POST", path: authRefresh, body: map[string]string{"refresh_token": old.refresh},
			wantStatus: http.StatusUnauthorized},
	})
	t.Run("NewPasswordSignsInOldDoesNot", func(t *testing.T) {
		sc.send(t, scenario{name: "old password", method: "POST", path: authLogin, body: authLoginBody(u.Email, testPassword, true),
			wantStatus: http.StatusUnauthorized})
		r := sc.send(t, scenario{name: "new password", method: "POST", path: authLogin, body: authLoginBody(u.Email, newPassword, true),
			wantStatus: http.StatusOK})
		var a authRefreshed
		r.decode(t, &a)
		sc.as["new"] = a.AccessToken
		sc.send(t, scenario{name: "access token of a sign-in after the reset", as: "new", method: "GET", path: authMe, wantStatus: http.StatusOK})
	})
	sc.run(t, false, []scenario{
		confirm("TokenIsSingleUse", token, "yet another passphrase", http.StatusBadRequest, "invalid_reset_token"),
		confirm("MadeUpTokenIsRefused", "made-up", "yet another passphrase", http.StatusBadRequest, "invalid_reset_token"),
	})
	t.Run("ConfirmingOneLinkSpendsTheOthers", func(t *testing.T) {
		first, second := tokenOf(t, requestLink(t)), tokenOf(t, requestLink(t))
		sc.send(t, confirm("confirm", second, "the third passphrase", http.StatusOK, ""))
		sc.send(t, confirm("older link after a reset", first, "the fourth passphrase", http.StatusBadRequest, "invalid_reset_token"))
	})
	t.Run("ForeignHostGetsNoLink", func(t *testing.T) {
		before := len(smtp.To(u.Email))
		sc.send(t, scenario{name: "reset request on a foreign host", method: "POST", host: "evil.example", path: authReset,
			body: map[string]string{"email": u.Email}, wantStatus: http.StatusNotFound})
		ts.flushMail(t)
		if n := len(smtp.To(u.Email)); n != before {
			t.Fatalf("a reset requested on a foreign host sent %d mails", n-before)
		}
	})
}
