package payment

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
)

// The sealed fields: the additional data of a sealed secret names its field,
// so a ciphertext moved to another field does not open.
const (
	fieldStripeSecretKey     = "stripe.secret_key"
	fieldStripeWebhookSecret = "stripe.webhook_secret"
)

// sealVersion is the first byte of every sealed value: a later format (or
// key rotation) can tell its values from these.
const sealVersion = 1

// errUnsealable is a sealed value that does not open: another key, another
// shop's or field's ciphertext, or tampering. Its cause is never told
// apart: AES-GCM cannot tell, and an attacker should not learn which.
var errUnsealable = errors.New("payment: a sealed secret does not open with this key, shop and field")

// sealer seals a shop's provider secrets with the platform's payment key:
// AES-256-GCM, a random nonce per value, and additional data binding the
// ciphertext to the shop (its vendor id) and the field, so a sealed secret
// copied into another shop's row, or into another column, fails to open.
// The stored form is version (1 byte) ‖ nonce (12) ‖ ciphertext and tag.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (sealer, error) {
	if len(key) != 32 {
		return sealer{}, fmt.Errorf("payment: the sealing key is %d bytes, not 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, err
	}
	return sealer{aead: aead}, nil
}

// additional is the data a sealed value is bound to.
func additional(vendorID int, field string) []byte {
	return []byte("bazaar payment secret v" + strconv.Itoa(sealVersion) + "\x00vendor " + strconv.Itoa(vendorID) + "\x00" + field)
}

// seal encrypts plain for the vendor's field.
func (s sealer) seal(vendorID int, field, plain string) []byte {
	ns := s.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		panic("payment: no randomness for a nonce: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return s.aead.Seal(out, out[1:], []byte(plain), additional(vendorID, field))
}

// open decrypts what seal made for the same vendor and field.
func (s sealer) open(vendorID int, field string, sealed []byte) (string, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return "", errUnsealable
	}
	plain, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], additional(vendorID, field))
	if err != nil {
		return "", errUnsealable
	}
	return string(plain), nil
}
