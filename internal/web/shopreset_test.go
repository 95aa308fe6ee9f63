package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/mail/mailtest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestCustomerPasswordReset follows a customer's reset end to end through
// the outbox and a real SMTP server: the answer never tells whether the
// e-mail has an account, the mail is in the customer's language (else the
// shop's) and leads to the shop's own host, the link works once, ends every
// session and lockout, and signs the customer in afresh.
func TestCustomerPasswordReset(t *testing.T) {
	db := tenanttest.Open(t)
	smtp := mailtest.Start(t, "")
	shop := tenanttest.Tenant(t, db, "creset")
	other := tenanttest.Tenant(t, db, "creset-other")
	ts := start(t, db, setup{opts: defaultOptions(), smtpAddr: smtp.Addr})
	host := hostOf(shop)
	sc := ts.scenarios(host, nil)
	email := "reset@" + shop.Slug + ".test"
	first := registerCustomer(t, ts, host, email)
	second := signInCustomer(t, ts, host, email)
	const newPassword = "the shopper's new passphrase"

	reset := func(name, email string) scenario {
		return scenario{name: name, method: "POST", path: accountPath + "/password-reset", body: map[string]any{"email": email},
			wantStatus: http.StatusAccepted}
	}
	confirm := func(name, token, password string, want int, code string) scenario {
		return scenario{name: name, method: "POST", path: accountPath + "/password-reset/confirm",
			body: map[string]any{"token": token, "password": password}, wantStatus: want, wantCode: code}
	}

	// A guest (no password) and an unknown e-mail get the answer an account
	// gets, no sooner, and no mail.
	if err := db.Tx(context.Background(), shop, func(ctx context.Context) error {
		_, err := ts.customers.Guest(ctx, "guest@"+shop.Slug+".test", "Gus", "Guest")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	unknown := sc.send(t, reset("UnknownEmail", "nobody@"+shop.Slug+".test"))
	if took := time.Since(began); took < 200*time.Millisecond {
		t.Errorf("an unknown e-mail was answered in %v, sooner than the 200 ms floor", took)
	}
	guest := sc.send(t, reset("GuestEmail", "guest@"+shop.Slug+".test"))
	known := sc.send(t, reset("KnownEmail", strings.ToUpper(email)))
	if string(unknown.body) != string(known.body) || string(guest.body) != string(known.body) {
		t.Errorf("the answers differ: %s / %s / %s", unknown.body, guest.body, known.body)
	}
	sc.send(t, scenario{name: "InvalidEmail", method: "POST", path: accountPath + "/password-reset", body: map[string]any{"email": "no"},
		wantStatus: http.StatusBadRequest, check: wantField("email")})
	ts.flushMail(t) // the package's other tests may have mail waiting too: what counts is who got one
	if n := len(smtp.To("nobody@"+shop.Slug+".test")) + len(smtp.To("guest@"+shop.Slug+".test")); n != 0 {
		t.Errorf("%d mails to the unknown and the guest's address", n)
	}
	msgs := smtp.To(email)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "Réinitialisez") || !strings.Contains(msgs[0].Body, "60 minutes") {
		t.Fatalf("mails to %s: %+v, want one in the shop's language (French)", email, msgs)
	}
	link, err := url.Parse(msgs[0].Link())
	if err != nil || link.Host != host || link.Path != "/account/reset-password" || link.Query().Get("token") == "" {
		t.Fatalf("link %q, want http://%s/account/reset-password?token=…", msgs[0].Link(), host)
	}
	token := link.Query().Get("token")
	page := ts.do(t, req{method: "GET", host: host, path: link.RequestURI()})
	if page.status != http.StatusOK || !strings.Contains(string(page.body), "/api/v1/shop/account/password-reset/confirm") {
		t.Fatalf("the link's page: %d %s", page.status, page.body)
	}

	// Lock the account first: the reset ends the lockout too.
	for range testCustomerOptions().LoginFailures {
		sc.send(t, scenario{method: "POST", path: accountPath + "/login", body: map[string]any{"email": email, "password": "a wrong guess"},
			wantStatus: http.StatusUnauthorized})
	}
	sc.run(t, true, []scenario{
		func() scenario {
			s := confirm("OnAnotherShop", token, newPassword, http.StatusBadRequest, "invalid_reset_token")
			s.host = hostOf(other)
			return s
		}(),
		confirm("BadPasswordKeepsTheLink", token, "short", http.StatusBadRequest, ""),
	})
	r := sc.send(t, confirm("Confirm", token, newPassword, http.StatusOK, ""))
	fresh := r.cookie(customerCookie)
	if fresh == nil || fresh.Value == "" {
		t.Fatalf("the confirmation set no session cookie: %v", r.cookies)
	}
	sc.run(t, true, []scenario{
		{name: "SignedInAfresh", method: "GET", path: accountPath + "/me", cookies: cookies(fresh), wantStatus: http.StatusOK, want: []string{email}},
		confirm("TheLinkWorksOnce", token, newPassword, http.StatusBadRequest, "invalid_reset_token"),
		{name: "FirstSessionEnded", method: "GET", path: accountPath + "/me", cookies: cookies(first),
			wantStatus: http.StatusUnauthorized, wantCode: "customer_unauthenticated"},
		{name: "SecondSessionEnded", method: "GET", path: accountPath + "/me", cookies: cookies(second),
			wantStatus: http.StatusUnauthorized, wantCode: "customer_unauthenticated"},
		{name: "OldPasswordRefused", method: "POST", path: accountPath + "/login",
			body: map[string]any{"email": email, "password": customerPass}, wantStatus: http.StatusUnauthorized},
		{name: "NewPasswordSignsInDespiteTheLockout", method: "POST", path: accountPath + "/login",
			body: map[string]any{"email": email, "password": newPassword}, wantStatus: http.StatusOK},
	})

	// A customer who chose German gets German; a link past its time is
	// refused like a used one.
	t.Run("CustomersLanguageAndExpiry", func(t *testing.T) {
		de := "de@" + shop.Slug + ".test"
		sc.send(t, scenario{method: "POST", path: accountPath + "/register", wantStatus: http.StatusCreated,
			body: map[string]any{"email": de, "password": customerPass, "first_name": "Dora", "last_name": "D", "language": "de"}})
		sc.send(t, reset("German", de))
		ts.flushMail(t)
		got := smtp.To(de)
		if len(got) != 1 || !strings.Contains(got[0].Subject, "Passwort") || !strings.Contains(got[0].Body, "Hallo Dora") {
			t.Fatalf("mails to %s: %+v, want one in German", de, got)
		}
		l, _ := url.Parse(got[0].Link())
		if _, err := tenanttest.SQL(t, tenanttest.PackageDatabase(t)).Exec(
			`UPDATE "` + shop.Schema + `".customer_sessions SET expires_at = now() - interval '1 second' WHERE kind = 'reset'`); err != nil {
			t.Fatal(err)
		}
		sc.send(t, confirm("Expired", l.Query().Get("token"), newPassword, http.StatusBadRequest, "invalid_reset_token"))
	})
}
