package payment

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func testSealer(t *testing.T) sealer {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSeal(t *testing.T) {
	s := testSealer(t)
	const secret = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
	sealed := s.seal(7, fieldStripeSecretKey, secret)

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := s.open(7, fieldStripeSecretKey, sealed)
		if err != nil || got != secret {
			t.Fatalf("open = %q, %v", got, err)
		}
	})
	t.Run("CiphertextHidesTheSecret", func(t *testing.T) {
		if bytes.Contains(sealed, []byte(secret)) || bytes.Contains(sealed, []byte("4eC39HqLyjWD")) {
			t.Fatal("the sealed value holds the secret in the clear")
		}
		if again := s.seal(7, fieldStripeSecretKey, secret); bytes.Equal(again, sealed) {
			t.Fatal("sealing twice gave the same bytes: the nonce is not fresh")
		}
	})
	refused := func(t *testing.T, s sealer, vendor int, field string, sealed []byte) {
		t.Helper()
		got, err := s.open(vendor, field, sealed)
		if !errors.Is(err, errUnsealable) || got != "" {
			t.Fatalf("open = %q, %v; want errUnsealable", got, err)
		}
	}
	t.Run("AnotherVendorsRowDoesNotOpen", func(t *testing.T) { refused(t, s, 8, fieldStripeSecretKey, sealed) })
	t.Run("AnotherFieldDoesNotOpen", func(t *testing.T) { refused(t, s, 7, fieldStripeWebhookSecret, sealed) })
	t.Run("AnotherKeyDoesNotOpen", func(t *testing.T) { refused(t, testSealer(t), 7, fieldStripeSecretKey, sealed) })
	t.Run("TamperingIsRefused", func(t *testing.T) {
		for i := range sealed {
			bad := bytes.Clone(sealed)
			bad[i] ^= 0x01
			refused(t, s, 7, fieldStripeSecretKey, bad)
		}
	})
	t.Run("TruncatedOrEmptyIsRefused", func(t *testing.T) {
		refused(t, s, 7, fieldStripeSecretKey, sealed[:len(sealed)-1])
		refused(t, s, 7, fieldStripeSecretKey, sealed[:13])
		refused(t, s, 7, fieldStripeSecretKey, nil)
	})
}

func TestNewRefusesAShortKey(t *testing.T) {
	if _, err := newSealer(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was taken for AES-256")
	}
}
