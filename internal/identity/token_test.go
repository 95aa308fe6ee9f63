package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bazaar/bazaar/internal/fault"
)

const testIssuer = "bazaar-test"

var (
	signingKey = Key{ID: "k", Secret: []byte("unit-test-signing-key-0123456789-k")}
	retiredKey = Key{ID: "old", Secret: []byte("unit-test-signing-key-0123456789-old")}
)

func newTestSigner(t *testing.T) *tokenSigner {
	t.Helper()
	s, err := newTokenSigner(testIssuer, 15*time.Minute, []Key{signingKey, retiredKey})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goodClaims are the claims the signer itself would issue for user 42,
// session 7, now.
func goodClaims() Claims {
	now := time.Now()
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    testIssuer,
			Subject:   "42",
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute)),
		},
		SID: 7,
	}
}

// signWith signs claims with any jwt method and key id (nil: no kid header).
func signWith(t *testing.T, m jwt.SigningMethod, kid any, secret []byte, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != nil {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// handMade builds header.payload.signature from raw JSON, signing header and
// payload with HMAC-SHA256 under secret (nil: empty signature).
func handMade(t *testing.T, header map[string]any, c Claims, secret []byte) string {
	t.Helper()
	b64 := base64.RawURLEncoding
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	if secret == nil {
		return input + "."
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + b64.EncodeToString(mac.Sum(nil))
}

// replaceAt returns s with the character at i replaced by a different
// base64url character.
func replaceAt(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestSignerIssueVerifyRoundTrip(t *testing.T) {
	s := newTestSigner(t)
	tok, exp, err := s.issue(42, 7, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d <= 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expiry is %v away, want the 15m lifetime", d)
	}
	uid, c, err := s.verify(tok)
	if err != nil {
		t.Fatalf("verify own token: %v", err)
	}
	if uid != 42 || c.Subject != "42" || c.SID != 7 {
		t.Fatalf("verify = user %d, subject %q, sid %d; want 42, \"42\", 7", uid, c.Subject, c.SID)
	}
	if c.Issuer != testIssuer || len(c.Audience) != 1 || c.Audience[0] != audience {
		t.Fatalf("issuer %q audience %v, want %q [%s]", c.Issuer, c.Audience, testIssuer, audience)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, &Claims{})
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["kid"] != signingKey.ID || parsed.Header["alg"] != "HS256" {
		t.Fatalf("header %v, want kid %q and alg HS256", parsed.Header, signingKey.ID)
	}
}

func TestSignerAcceptsTokensOfTheRetiredKey(t *testing.T) {
	old, err := newTokenSigner(testIssuer, 15*time.Minute, []Key{retiredKey})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := old.issue(42, 7, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	uid, c, err := newTestSigner(t).verify(tok)
	if err != nil || uid != 42 || c.SID != 7 {
		t.Fatalf("token of the retired key: user %d, claims %+v, err %v; want user 42 sid 7", uid, c, err)
	}
}

func TestSignerRejectsBadTokens(t *testing.T) {
	s := newTestSigner(t)
	valid, _, err := s.issue(42, 7, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	seg := strings.Split(valid, ".")
	claims := func(f func(c *Claims)) Claims {
		c := goodClaims()
		f(&c)
		return c
	}
	hs256 := func(c Claims) string { return signWith(t, jwt.SigningMethodHS256, signingKey.ID, signingKey.Secret, c) }
	expired, _, _ := s.issue(42, 7, time.Now().Add(-time.Hour))
	future, _, _ := s.issue(42, 7, time.Now().Add(time.Hour))

	// A payload whose subject is another user, re-encoded under the original
	// signature.
	forged := func() string {
		p, err := base64.RawURLEncoding.DecodeString(seg[1])
		if err != nil {
			t.Fatal(err)
		}
		p = []byte(strings.Replace(string(p), `"sub":"42"`, `"sub":"1"`, 1))
		return seg[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + seg[2]
	}()

	tests := []struct{ name, token string }{
		{"Expired", expired},
		{"NotYetValid", future},
		{"TamperedPayloadCharacter", seg[0] + "." + replaceAt(seg[1], len(seg[1])/2) + "." + seg[2]},
		{"ForgedSubjectUnderOldSignature", forged},
		{"TamperedSignature", seg[0] + "." + seg[1] + "." + replaceAt(seg[2], 10)},
		{"SignatureStripped", seg[0] + "." + seg[1] + "."},
		{"AlgNone", handMade(t, map[string]any{"alg": "none", "typ": "JWT", "kid": signingKey.ID}, goodClaims(), nil)},
		{"AlgNoneCapitalised", handMade(t, map[string]any{"alg": "None", "typ": "JWT", "kid": signingKey.ID}, goodClaims(), nil)},
		{"HS512WithTheRightSecret", signWith(t, jwt.SigningMethodHS512, signingKey.ID, signingKey.Secret, goodClaims())},
		{"HS384WithTheRightSecret", signWith(t, jwt.SigningMethodHS384, signingKey.ID, signingKey.Secret, goodClaims())},
		{"RS256HeaderHMACSigned", handMade(t, map[string]any{"alg": "RS256", "typ": "JWT", "kid": signingKey.ID}, goodClaims(), signingKey.Secret)},
		{"WrongKeySameKid", signWith(t, jwt.SigningMethodHS256, signingKey.ID, []byte("another-secret-of-enough-length-0123456789"), goodClaims())},
		{"RetiredKidSignedWithActiveSecret", signWith(t, jwt.SigningMethodHS256, retiredKey.ID, signingKey.Secret, goodClaims())},
		{"UnknownKid", signWith(t, jwt.SigningMethodHS256, "nope", signingKey.Secret, goodClaims())},
		{"MissingKid", signWith(t, jwt.SigningMethodHS256, nil, signingKey.Secret, goodClaims())},
		{"NumericKid", signWith(t, jwt.SigningMethodHS256, 1, signingKey.Secret, goodClaims())},
		{"WrongIssuer", hs256(claims(func(c *Claims) { c.Issuer = "someone-else" }))},
		{"MissingIssuer", hs256(claims(func(c *Claims) { c.Issuer = "" }))},
		{"WrongAudience", hs256(claims(func(c *Claims) { c.Audience = jwt.ClaimStrings{"other-api"} }))},
		{"MissingAudience", hs256(claims(func(c *Claims) { c.Audience = nil }))},
		{"MissingExp", hs256(claims(func(c *Claims) { c.ExpiresAt = nil }))},
		{"IssuedInTheFuture", hs256(claims(func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(time.Now().Add(time.Hour)) }))},
		{"SIDZero", hs256(claims(func(c *Claims) { c.SID = 0 }))},
		{"SIDNegative", hs256(claims(func(c *Claims) { c.SID = -3 }))},
		{"SubjectNotANumber", hs256(claims(func(c *Claims) { c.Subject = "alice" }))},
		{"SubjectZero", hs256(claims(func(c *Claims) { c.Subject = "0" }))},
		{"SubjectNegative", hs256(claims(func(c *Claims) { c.Subject = "-42" }))},
		{"SubjectMissing", hs256(claims(func(c *Claims) { c.Subject = "" }))},
		{"Garbage", "not a token"},
		{"Empty", ""},
		{"TwoSegments", seg[0] + "." + seg[1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid, c, err := s.verify(tt.token)
			if err == nil {
				t.Fatalf("verify accepted a bad token: user %d, claims %+v", uid, c)
			}
			fe, ok := fault.As(err)
			if !ok || fe.Kind != fault.Unauthenticated || fe.Code != "invalid_token" {
				t.Fatalf("verify error = %v, want an Unauthenticated fault with code invalid_token", err)
			}
			if fe.Message != errBadToken.Message {
				t.Fatalf("message %q tells the client more than %q", fe.Message, errBadToken.Message)
			}
		})
	}

	// The table's tokens are refused for their one defect: the same
	// construction with nothing wrong is accepted.
	t.Run("ControlsAreAccepted", func(t *testing.T) {
		for name, tok := range map[string]string{
			"Issued":      valid,
			"SignWith":    hs256(goodClaims()),
			"HandMadeHS":  handMade(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": signingKey.ID}, goodClaims(), signingKey.Secret),
			"RetiredKid":  signWith(t, jwt.SigningMethodHS256, retiredKey.ID, retiredKey.Secret, goodClaims()),
			"Reassembled": seg[0] + "." + seg[1] + "." + seg[2],
		} {
			if uid, c, err := s.verify(tok); err != nil || uid != 42 || c.SID != 7 {
				t.Errorf("%s: verify = user %d, err %v; want user 42 and no error", name, uid, err)
			}
		}
	})
}

func TestSignerConstructionRejectsWeakSettings(t *testing.T) {
	long := []byte(strings.Repeat("s", 32))
	tests := []struct {
		name string
		ttl  time.Duration
		keys []Key
	}{
		{"NoKeys", 15 * time.Minute, nil},
		{"KeyOf31Bytes", 15 * time.Minute, []Key{{ID: "a", Secret: long[:31]}}},
		{"ShortRetiredKey", 15 * time.Minute, []Key{{ID: "a", Secret: long}, {ID: "b", Secret: []byte("short")}}},
		{"EmptyKeyID", 15 * time.Minute, []Key{{ID: "", Secret: long}}},
		{"DuplicateIDs", 15 * time.Minute, []Key{{ID: "a", Secret: long}, {ID: "a", Secret: []byte(strings.Repeat("t", 32))}}},
		{"TTLOver15m", 15*time.Minute + time.Second, []Key{{ID: "a", Secret: long}}},
		{"TTLZero", 0, []Key{{ID: "a", Secret: long}}},
		{"TTLNegative", -time.Minute, []Key{{ID: "a", Secret: long}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newTokenSigner(testIssuer, tt.ttl, tt.keys); err == nil {
				t.Fatal("newTokenSigner accepted it")
			}
		})
	}
	t.Run("BoundariesAccepted", func(t *testing.T) {
		if _, err := newTokenSigner(testIssuer, 15*time.Minute, []Key{{ID: "a", Secret: long}, {ID: "b", Secret: []byte(strings.Repeat("t", 32))}}); err != nil {
			t.Fatalf("32-byte keys and a 15m lifetime refused: %v", err)
		}
	})
}
