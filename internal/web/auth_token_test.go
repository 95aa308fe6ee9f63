package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// authToken signs an access token by hand: claims as the server issues them
// for (userID, sid), changed by mod, under key (nil: unsigned with alg none).
func authToken(t *testing.T, method jwt.SigningMethod, key *identity.Key, userID, sid int, mod func(c jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{
		"iss": "bazaar-test", "sub": strconv.Itoa(userID), "aud": []string{"bazaar-api"},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "sid": sid,
	}
	if mod != nil {
		mod(c)
	}
	tok := jwt.NewWithClaims(method, c)
	if key != nil {
		tok.Header["kid"] = key.ID
		s, err := tok.SignedString(key.Secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": testKey.ID})
	p, _ := json.Marshal(c)
	b64 := base64.RawURLEncoding
	return b64.EncodeToString(h) + "." + b64.EncodeToString(p) + "."
}

// authSessionID is the sid claim of an access token.
func authSessionID(t *testing.T, access string) int {
	t.Helper()
	var c identity.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(access, &c); err != nil {
		t.Fatal(err)
	}
	return c.SID
}

func TestTokensOverHTTP(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	u := ts.user(t, authEmail("tokens"))
	s := ts.login(t, base, u.Email)
	sid := authSessionID(t, s.access)
	segs := strings.Split(s.access, ".")
	otherKey := identity.Key{ID: testKey.ID, Secret: []byte("not-the-test-signing-key-0123456789abc")}
	unknownKid := identity.Key{ID: "k9", Secret: testKey.Secret}

	isTheUser := func(t testing.TB, r *resp) {
		var me struct {
			User struct {
				ID int `json:"id"`
			} `json:"user"`
		}
		r.decode(t, &me)
		if me.User.ID != u.ID {
			t.Fatalf("me = user %d, want %d", me.User.ID, u.ID)
		}
	}
	// accepted and refused are a GET of /me with the Authorization header h.
	accepted := func(name, h string) scenario {
		return scenario{name: name, method: "GET", path: authMe, header: map[string]string{"Authorization": h},
			wantStatus: http.StatusOK, check: isTheUser}
	}
	refused := func(name, h string) scenario {
		return scenario{name: name, method: "GET", path: authMe, header: map[string]string{"Authorization": h},
			wantStatus: http.StatusUnauthorized, wantCode: "invalid_token"}
	}
	ts.scenarios(base, nil).run(t, false, []scenario{
		accepted("ValidToken", "Bearer "+s.access),
		accepted("HandSignedWithTestKey", "Bearer "+authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, nil)),
		accepted("RetiredKeyStillVerifies", "Bearer "+authToken(t, jwt.SigningMethodHS256, &oldKey, u.ID, sid, nil)),
		accepted("LowerCaseScheme", "bearer "+s.access),
		refused("Expired", "Bearer "+authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-time.Hour).Unix(), time.Now().Add(-45*time.Minute).Unix()
		})),
		refused("TamperedPayload", "Bearer "+segs[0]+"."+authFlip(segs[1])+"."+segs[2]),
		refused("TamperedSignature", "Bearer "+segs[0]+"."+segs[1]+"."+authFlip(segs[2])),
		refused("AlgNone", "Bearer "+authToken(t, jwt.SigningMethodNone, nil, u.ID, sid, nil)),
		refused("HS512WithTheRightSecret", "Bearer "+authToken(t, jwt.SigningMethodHS512, &testKey, u.ID, sid, nil)),
		refused("WrongKey", "Bearer "+authToken(t, jwt.SigningMethodHS256, &otherKey, u.ID, sid, nil)),
		refused("UnknownKid", "Bearer "+authToken(t, jwt.SigningMethodHS256, &unknownKid, u.ID, sid, nil)),
		refused("WrongAudience", "Bearer "+authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, func(c jwt.MapClaims) { c["aud"] = "other" })),
		refused("SessionOfNobody", "Bearer "+authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, 0, nil)),
		refused("Garbage", "Bearer garbage"),
		refused("BasicScheme", "Basic x"),
		refused("BearerWithoutToken", "Bearer "),
		refused("TokenWithoutScheme", s.access),
		{name: "NoTokenIsUnauthenticated", method: "GET", path: authMe, wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
	})
}

// authFlip changes one character in the middle of a base64url segment.
func authFlip(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
