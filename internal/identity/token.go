package identity

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bazaar/bazaar/internal/fault"
)

// Key is one HMAC key for access tokens. Tokens name their key in the `kid`
// header, so keys rotate: add the new key first (it signs), keep the old one
// listed until the tokens it signed have expired (AccessTTL), then drop it.
type Key struct {
	ID     string
	Secret []byte
}

// minKeyLen: HS256 keys shorter than the hash give away security.
const minKeyLen = 32

// audience is the one audience Bazaar's access tokens carry.
const audience = "bazaar-api"

// Claims are an access token's claims. A token proves who the user is and
// which session issued it, nothing more: the vendor comes from the Host and
// permissions from the vendor's policy on every request.
type Claims struct {
	jwt.RegisteredClaims
	SID int `json:"sid"`
}

// tokenSigner issues and verifies access tokens.
type tokenSigner struct {
	issuer string
	ttl    time.Duration
	active Key
	keys   map[string][]byte
	parser *jwt.Parser
}

func newTokenSigner(issuer string, ttl time.Duration, keys []Key) (*tokenSigner, error) {
	if len(keys) == 0 {
		return nil, errors.New("identity: no access token signing key")
	}
	if ttl <= 0 || ttl > 15*time.Minute {
		return nil, fmt.Errorf("identity: access token lifetime %v is outside (0, 15m]", ttl)
	}
	s := &tokenSigner{issuer: issuer, ttl: ttl, active: keys[0], keys: map[string][]byte{}}
	for _, k := range keys {
		if k.ID == "" || len(k.Secret) < minKeyLen {
			return nil, fmt.Errorf("identity: signing key %q needs an id and at least %d bytes", k.ID, minKeyLen)
		}
		if _, dup := s.keys[k.ID]; dup {
			return nil, fmt.Errorf("identity: signing key id %q appears twice", k.ID)
		}
		s.keys[k.ID] = k.Secret
	}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), // "none" and every other alg are refused
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
	)
	return s, nil
}

// issue signs an access token for the user's session.
func (s *tokenSigner) issue(userID, sessionID int, now time.Time) (string, time.Time, error) {
	exp := now.Add(s.ttl)
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   strconv.Itoa(userID),
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		SID: sessionID,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = s.active.ID
	signed, err := t.SignedString(s.active.Secret)
	return signed, exp, err
}

// errBadToken is every verification failure: clients learn only that the
// token is not acceptable.
var errBadToken = &fault.Error{Kind: fault.Unauthenticated, Code: "invalid_token", Message: "the access token is invalid or expired"}

// verify checks signature, algorithm, key id, issuer, audience and times.
func (s *tokenSigner) verify(token string) (userID int, c *Claims, err error) {
	c = &Claims{}
	_, err = s.parser.ParseWithClaims(token, c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := s.keys[kid]
		if !ok {
			return nil, errors.New("unknown key id")
		}
		return key, nil
	})
	if err != nil {
		return 0, nil, &fault.Error{Kind: errBadToken.Kind, Code: errBadToken.Code, Message: errBadToken.Message, Err: err}
	}
	userID, err = strconv.Atoi(c.Subject)
	if err != nil || userID <= 0 || c.SID <= 0 {
		return 0, nil, errBadToken
	}
	return userID, c, nil
}
