package web

import (
	"encoding/base64"
	"encoding/json"
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

	tests := []struct {
		name       string
		header     string // Authorization
		wantStatus int
	}{
		{"ValidToken", "Bearer " + s.access, 200},
		{"HandSignedWithTestKey", "Bearer " + authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, nil), 200},
		{"RetiredKeyStillVerifies", "Bearer " + authToken(t, jwt.SigningMethodHS256, &oldKey, u.ID, sid, nil), 200},
		{"LowerCaseScheme", "bearer " + s.access, 200},
		{"Expired", "Bearer " + authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-time.Hour).Unix(), time.Now().Add(-45*time.Minute).Unix()
		}), 401},
		{"TamperedPayload", "Bearer " + segs[0] + "." + authFlip(segs[1]) + "." + segs[2], 401},
		{"TamperedSignature", "Bearer " + segs[0] + "." + segs[1] + "." + authFlip(segs[2]), 401},
		{"AlgNone", "Bearer " + authToken(t, jwt.SigningMethodNone, nil, u.ID, sid, nil), 401},
		{"HS512WithTheRightSecret", "Bearer " + authToken(t, jwt.SigningMethodHS512, &testKey, u.ID, sid, nil), 401},
		{"WrongKey", "Bearer " + authToken(t, jwt.SigningMethodHS256, &otherKey, u.ID, sid, nil), 401},
		{"UnknownKid", "Bearer " + authToken(t, jwt.SigningMethodHS256, &unknownKid, u.ID, sid, nil), 401},
		{"WrongAudience", "Bearer " + authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, sid, func(c jwt.MapClaims) { c["aud"] = "other" }), 401},
		{"SessionOfNobody", "Bearer " + authToken(t, jwt.SigningMethodHS256, &testKey, u.ID, 0, nil), 401},
		{"Garbage", "Bearer garbage", 401},
		{"BasicScheme", "Basic x", 401},
		{"BearerWithoutToken", "Bearer ", 401},
		{"TokenWithoutScheme", s.access, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, req{method: "GET", host: base, path: authMe, header: map[string]string{"Authorization": tt.header}})
			if r.status != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if tt.wantStatus == 401 && r.code() != "invalid_token" {
				t.Fatalf("code %q, want invalid_token (%s)", r.code(), r.body)
			}
			if tt.wantStatus == 200 {
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
		})
	}
	t.Run("NoTokenIsUnauthenticated", func(t *testing.T) {
		r := ts.do(t, req{method: "GET", host: base, path: authMe})
		if r.status != 401 || r.code() != "unauthenticated" {
			t.Fatalf("me without a token = %d %s, want 401 unauthenticated", r.status, r.body)
		}
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
