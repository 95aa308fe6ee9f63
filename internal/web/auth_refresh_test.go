package web

import (
	"context"
	"fmt"
	"net/http"
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
	sc := ts.scenarios(base, map[string]string{"first": s.access})
	me := func(name, as string, wantStatus int) scenario {
		return scenario{name: name, as: as, method: "GET", path: authMe, wantStatus: wantStatus}
	}
	refresh := func(name, token string, wantStatus int, wantCode string) scenario {
		return scenario{name: name, method: "POST", path: authRefresh, body: map[string]string{"refresh_token": token},
			wantStatus: wantStatus, wantCode: wantCode}
	}
	sc.send(t, me("fresh access token", "first", http.StatusOK))

	r := sc.send(t, refresh("refresh", s.refresh, http.StatusOK, ""))
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
	sc.as["next"] = next.AccessToken
	sc.send(t, me("the new access token", "next", http.StatusOK))

	// The spent token comes back: someone else holds it.
	sc.send(t, refresh("reused refresh token", s.refresh, http.StatusUnauthorized, "invalid_refresh_token"))
	sc.run(t, false, []scenario{
		me("LastAccessTokenIsRefusedAtOnce", "next", http.StatusUnauthorized),
		refresh("NewRefreshTokenDiesWithTheFamily", next.RefreshToken, http.StatusUnauthorized, "invalid_refresh_token"),
		me("FirstAccessTokenIsRefused", "first", http.StatusUnauthorized),
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
		sc.as["other"] = ts.login(t, base, u.Email).access
		sc.send(t, me("a new session after the revocation", "other", http.StatusOK))
	})
	t.Run("UnknownRefreshTokenIsRefused", func(t *testing.T) {
		sc.run(t, false, []scenario{
			refresh("MadeUp", "made-up", http.StatusUnauthorized, "invalid_refresh_token"),
			refresh("TooLong", strings.Repeat("x", 101), http.StatusUnauthorized, "invalid_refresh_token"),
		})
	})
}

func TestAuthLogout(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	u := ts.user(t, authEmail("logout"))
	sc := ts.scenarios(base, nil)

	// Each case signs in, uses the access token once (so the server holds
	// the user's state), signs out, and expects the access token to be
	// refused on the very next request.
	tests := []struct {
		name   string
		logout func(s session) scenario // signs out the session, signed in as "session"
	}{
		{"RefreshTokenInBody", func(s session) scenario {
			return scenario{method: "POST", path: authLogout, body: map[string]string{"refresh_token": s.refresh}, wantStatus: http.StatusNoContent}
		}},
		{"AccessTokenOnly", func(session) scenario {
			return scenario{as: "session", method: "POST", path: authLogout, wantStatus: http.StatusNoContent}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 10 {
				s := ts.login(t, base, u.Email)
				sc.as["session"] = s.access
				round := fmt.Sprintf("round %d: ", i)
				logout := tt.logout(s)
				logout.name = round + "logout"
				for _, step := range []scenario{
					{name: round + "fresh access token", as: "session", method: "GET", path: authMe, wantStatus: http.StatusOK},
					logout,
					{name: round + "access token right after logout", as: "session", method: "GET", path: authMe, wantStatus: http.StatusUnauthorized},
					{name: round + "refresh after logout", method: "POST", path: authRefresh, body: map[string]string{"refresh_token": s.refresh},
						wantStatus: http.StatusUnauthorized},
				} {
					sc.send(t, step)
				}
			}
		})
	}
	t.Run("OtherSessionSurvives", func(t *testing.T) {
		sc.as["keep"] = ts.login(t, base, u.Email).access
		gone := ts.login(t, base, u.Email)
		sc.send(t, scenario{name: "logout", method: "POST", path: authLogout, body: map[string]string{"refresh_token": gone.refresh}, wantStatus: http.StatusNoContent})
		sc.send(t, scenario{name: "the other session's access token", as: "keep", method: "GET", path: authMe, wantStatus: http.StatusOK})
	})
	sc.run(t, false, []scenario{{name: "UnknownRefreshTokenIsNoError", method: "POST", path: authLogout,
		body: map[string]string{"refresh_token": "made-up"}, wantStatus: http.StatusNoContent}})
}
