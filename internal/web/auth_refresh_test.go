package web

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/ent/platform/auditevent"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestRefreshRotation(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	u := ts.user(t, authEmail("rotate"))
	s := ts.login(t, base, u.Email)
	sid := authSessionID(t, s.access)
	if got := ts.authMeStatus(t, base, s.access); got != 200 {
		t.Fatalf("fresh access token: %d", got)
	}

	r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": s.refresh}})
	if r.status != 200 {
		t.Fatalf("refresh = %d %s, want 200", r.status, r.body)
	}
	var next authRefreshed
	r.decode(t, &next)
	if next.RefreshToken == "" || next.RefreshToken == s.refresh || next.AccessToken == "" {
		t.Fatalf("refresh did not rotate: old %q new %q", s.refresh, next.RefreshToken)
	}
	if r.cookie(refreshCookie) != nil {
		t.Fatal("an API-client refresh set a refresh cookie")
	}
	if got := authSessionID(t, next.AccessToken); got != sid {
		t.Fatalf("the new access token belongs to session %d, want %d", got, sid)
	}
	if got := ts.authMeStatus(t, base, next.AccessToken); got != 200 {
		t.Fatalf("the new access token is refused: %d", got)
	}

	// The spent token comes back: someone else holds it.
	r = ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": s.refresh}})
	if r.status != 401 || r.code() != "invalid_refresh_token" {
		t.Fatalf("reused refresh token = %d %s, want 401 invalid_refresh_token", r.status, r.body)
	}
	t.Run("LastAccessTokenIsRefusedAtOnce", func(t *testing.T) {
		if got := ts.authMeStatus(t, base, next.AccessToken); got != 401 {
			t.Fatalf("access token of the revoked session on the next request: %d, want 401", got)
		}
	})
	t.Run("NewRefreshTokenDiesWithTheFamily", func(t *testing.T) {
		r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": next.RefreshToken}})
		if r.status != 401 || r.code() != "invalid_refresh_token" {
			t.Fatalf("refresh with the newest token of a revoked family = %d %s, want 401", r.status, r.body)
		}
	})
	t.Run("FirstAccessTokenIsRefused", func(t *testing.T) {
		if got := ts.authMeStatus(t, base, s.access); got != 401 {
			t.Fatalf("first access token of the revoked session: %d, want 401", got)
		}
	})
	t.Run("ReuseIsAudited", func(t *testing.T) {
		ev, err := ts.db.Platform().AuditEvent.Query().
			Where(auditevent.Action("auth.refresh_token_reused"), auditevent.TargetID(strconv.Itoa(sid))).
			All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ev) != 1 || ev[0].ActorID == nil || *ev[0].ActorID != u.ID || ev[0].TargetType != "session" {
			t.Fatalf("audit events for the reuse: %+v, want one by user %d on session %d", ev, u.ID, sid)
		}
	})
	t.Run("OtherSessionsOfTheUserLive", func(t *testing.T) {
		// The family is the session, not the user.
		other := ts.login(t, base, u.Email)
		if got := ts.authMeStatus(t, base, other.access); got != 200 {
			t.Fatalf("a new session after the revocation: %d", got)
		}
	})
	t.Run("UnknownRefreshTokenIsRefused", func(t *testing.T) {
		for _, tok := range []string{"made-up", strings.Repeat("x", 101)} {
			r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": tok}})
			if r.status != 401 || r.code() != "invalid_refresh_token" {
				t.Errorf("refresh %q = %d %s, want 401 invalid_refresh_token", tok[:8], r.status, r.body)
			}
		}
	})
}

func TestAuthLogout(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	u := ts.user(t, authEmail("logout"))

	// Each case signs in, uses the access token once (so the server holds
	// the user's state), signs out, and expects the access token to be
	// refused on the very next request.
	tests := []struct {
		name   string
		logout func(s session) req
	}{
		{"RefreshTokenInBody", func(s session) req {
			return req{method: "POST", host: base, path: authLogout, body: map[string]string{"refresh_token": s.refresh}}
		}},
		{"AccessTokenOnly", func(s session) req {
			return req{method: "POST", host: base, path: authLogout, token: s.access}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 10 {
				s := ts.login(t, base, u.Email)
				if got := ts.authMeStatus(t, base, s.access); got != 200 {
					t.Fatalf("round %d: fresh access token: %d", i, got)
				}
				if r := ts.do(t, tt.logout(s)); r.status != 204 {
					t.Fatalf("round %d: logout = %d %s, want 204", i, r.status, r.body)
				}
				if got := ts.authMeStatus(t, base, s.access); got != 401 {
					t.Fatalf("round %d: access token right after logout: %d, want 401", i, got)
				}
				r := ts.do(t, req{method: "POST", host: base, path: authRefresh, body: map[string]string{"refresh_token": s.refresh}})
				if r.status != 401 {
					t.Fatalf("round %d: refresh after logout = %d %s, want 401", i, r.status, r.body)
				}
			}
		})
	}
	t.Run("OtherSessionSurvives", func(t *testing.T) {
		keep := ts.login(t, base, u.Email)
		gone := ts.login(t, base, u.Email)
		if r := ts.do(t, req{method: "POST", host: base, path: authLogout, body: map[string]string{"refresh_token": gone.refresh}}); r.status != 204 {
			t.Fatalf("logout = %d", r.status)
		}
		if got := ts.authMeStatus(t, base, keep.access); got != 200 {
			t.Fatalf("the other session's access token: %d, want 200", got)
		}
	})
	t.Run("UnknownRefreshTokenIsNoError", func(t *testing.T) {
		if r := ts.do(t, req{method: "POST", host: base, path: authLogout, body: map[string]string{"refresh_token": "made-up"}}); r.status != 204 {
			t.Fatalf("logout with an unknown token = %d %s, want 204", r.status, r.body)
		}
	})
}
