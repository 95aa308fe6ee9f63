package identity

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
)

// cheapKDF keeps the unit tests fast; the shape of the hash does not depend
// on the cost.
var cheapKDF = KDF{Time: 1, MemoryKiB: 64, Threads: 1, Concurrency: 2}

func newTestHasher(t *testing.T, k KDF) *Hasher {
	t.Helper()
	h, err := NewHasher(k)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHasherRoundTrip(t *testing.T) {
	h := newTestHasher(t, cheapKDF)
	const pw = "correct horse battery staple"
	enc, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("RightPasswordVerifies", func(t *testing.T) {
		ok, stale := verify(h, pw, enc)
		if !ok || stale {
			t.Fatalf("Verify(right) = ok %v, stale %v; want true, false", ok, stale)
		}
	})
	t.Run("WrongPasswordFails", func(t *testing.T) {
		for _, wrong := range []string{"correct horse battery stapl", "Correct horse battery staple", "", pw + " "} {
			if ok, _ := verify(h, wrong, enc); ok {
				t.Errorf("Verify(%q) = true for a hash of %q", wrong, pw)
			}
		}
	})
	t.Run("SamePasswordGetsAFreshSalt", func(t *testing.T) {
		enc2, err := h.Hash(context.Background(), pw)
		if err != nil {
			t.Fatal(err)
		}
		if enc2 == enc {
			t.Fatalf("two hashes of one password are equal: %s", enc)
		}
		if ok, _ := verify(h, pw, enc2); !ok {
			t.Fatal("second hash does not verify")
		}
	})
}

func TestHasherPHCStringShape(t *testing.T) {
	h := newTestHasher(t, KDF{Time: 2, MemoryKiB: 128, Threads: 2})
	enc, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	// 16-byte salt → 22 base64 characters, 32-byte key → 43 (unpadded).
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=128,t=2,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Fatalf("hash %q does not have the PHC shape %s", enc, re)
	}
}

func TestHasherVerifyReportsStaleParameters(t *testing.T) {
	old := newTestHasher(t, cheapKDF)
	const pw = "correct horse battery staple"
	enc, err := old.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		kdf  KDF
	}{
		{"MoreMemory", KDF{Time: 1, MemoryKiB: 128, Threads: 1}},
		{"MoreTime", KDF{Time: 2, MemoryKiB: 64, Threads: 1}},
		{"MoreThreads", KDF{Time: 1, MemoryKiB: 64, Threads: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, stale := verify(newTestHasher(t, tt.kdf), pw, enc)
			if !ok || !stale {
				t.Fatalf("Verify with raised parameters = ok %v, stale %v; want true, true", ok, stale)
			}
		})
	}
	t.Run("SameParametersNotStale", func(t *testing.T) {
		if ok, stale := verify(newTestHasher(t, cheapKDF), pw, enc); !ok || stale {
			t.Fatalf("Verify with the same parameters = ok %v, stale %v; want true, false", ok, stale)
		}
	})
}

func TestHasherRejectsMalformedEncodings(t *testing.T) {
	h := newTestHasher(t, cheapKDF)
	const pw = "correct horse battery staple"
	good, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..., salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct{ name, enc string }{
		{"Empty", ""},
		{"NotPHC", "plaintext"},
		{"Argon2i", with(1, "argon2i")},
		{"Bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"OtherVersion", with(2, "v=16")},
		{"NoVersion", with(2, "x")},
		{"MissingParams", with(3, "m=64,t=1")},
		{"ZeroTime", with(3, "m=64,t=0,p=1")},
		{"ZeroThreads", with(3, "m=64,t=1,p=0")},
		{"ThreadsOverflowUint8", with(3, "m=64,t=1,p=256")},
		{"NegativeMemory", with(3, "m=-1,t=1,p=1")},
		{"AbsurdMemory", with(3, "m=4294967295,t=1,p=1")},
		{"MemoryJustOverBound", with(3, "m=4194305,t=1,p=1")},
		{"BadSaltBase64", with(4, "!!!not base64!!!")},
		{"BadKeyBase64", with(5, "%%%")},
		{"PaddedKeyBase64", with(5, parts[5]+"=")},
		{"EmptyKey", with(5, "")},
		{"HugeKey", with(5, strings.Repeat("A", 200))},
		{"ExtraSegment", good + "$extra"},
		{"MissingSegment", strings.Join(parts[:5], "$")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("Verify panicked on %q: %v", tt.enc, r)
				}
			}()
			if ok, _ := verify(h, pw, tt.enc); ok {
				t.Fatalf("Verify accepted malformed encoding %q", tt.enc)
			}
		})
	}
	t.Run("GoodEncodingStillVerifies", func(t *testing.T) { // the table's cases fail for their defect, not for the password
		if ok, _ := verify(h, pw, good); !ok {
			t.Fatal("the unaltered hash does not verify")
		}
	})
}

// Burn must cost a real verification: the dummy it verifies against is a
// well-formed hash with today's parameters.
func TestHasherBurnVerifiesARealHash(t *testing.T) {
	h := newTestHasher(t, cheapKDF)
	if !strings.HasPrefix(h.dummy, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("dummy hash %q is not a hash with today's parameters", h.dummy)
	}
	if err := h.Burn(context.Background(), "anything at all"); err != nil {
		t.Fatal(err)
	}
}

func TestHasherRejectsParametersOutOfRange(t *testing.T) {
	for _, k := range []KDF{
		{Time: 0, MemoryKiB: 64, Threads: 1},
		{Time: 1, MemoryKiB: 64, Threads: 0},
		{Time: 1, MemoryKiB: 7, Threads: 1},
		{Time: 1, MemoryKiB: 15, Threads: 2},
	} {
		if _, err := NewHasher(k); err == nil {
			t.Errorf("NewHasher(%+v) accepted parameters out of range", k)
		}
	}
}

func TestPasswordValidation(t *testing.T) {
	const email = "someone@example.com"
	tests := []struct {
		name     string
		password string
		wantOK   bool
		wantMsg  string // substring of fields["password"]
	}{
		{name: "Fine", password: "correct horse battery staple", wantOK: true},
		{name: "ExactlyMinimum", password: "abcdefghij", wantOK: true},
		{name: "TooShort", password: "abcdefghi", wantMsg: "at least 10"},
		{name: "Empty", password: "", wantMsg: "at least 10"},
		{name: "TenMultiByteRunesAccepted", password: strings.Repeat("é", 10), wantOK: true},
		{name: "NineMultiByteRunesTooShort", password: strings.Repeat("é", 9), wantMsg: "at least 10"},
		{name: "ExactlyMaximumBytes", password: strings.Repeat("a", 256), wantOK: true},
		{name: "TooLongBytes", password: strings.Repeat("a", 257), wantMsg: "at most 256"},
		{name: "TooLongInBytesNotRunes", password: strings.Repeat("é", 129), wantMsg: "at most 256"},
		{name: "EqualsEmail", password: email, wantMsg: "email"},
		{name: "EqualsEmailOtherCase", password: "SomeOne@Example.COM", wantMsg: "email"},
		{name: "EqualsEmailWithSpaces", password: "  someone@example.com ", wantMsg: "email"},
		{name: "ContainsEmailIsFine", password: email + "!", wantOK: true},
		{name: "InvalidUTF8", password: "abcdefghij\xff\xfe", wantMsg: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePassword(tt.password, email)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("ValidatePassword refused a fine password: %v", err)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Kind != fault.Invalid {
				t.Fatalf("ValidatePassword = %v, want an Invalid fault", err)
			}
			if msg := fe.Fields["password"]; !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("fields[password] = %q, want it to mention %q (fields %v)", msg, tt.wantMsg, fe.Fields)
			}
		})
	}
}

func TestPasswordEmailNormalization(t *testing.T) {
	for in, want := range map[string]string{
		"Someone@Example.COM":   "someone@example.com",
		"  someone@example.com": "someone@example.com",
		"someone@example.com\t": "someone@example.com",
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// verify is Verify for tests, where the hasher is never busy.
func verify(h *Hasher, password, encoded string) (ok, stale bool) {
	ok, stale, err := h.Verify(context.Background(), password, encoded)
	if err != nil {
		panic(err)
	}
	return ok, stale
}

// A burst beyond the hasher's concurrency waits at most QueueWait and then
// answers "busy"; a client that has gone is not hashed for at all.
func TestHasherRefusesToQueueForever(t *testing.T) {
	k := cheapKDF
	k.Concurrency, k.QueueWait = 1, 20*time.Millisecond
	h := newTestHasher(t, k)
	enc, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	h.sem <- struct{}{} // every slot taken
	if _, _, err := h.Verify(context.Background(), "x", enc); !errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("busy hasher: err = %v, want unavailable", err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(gone, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
	<-h.sem
	if ok, _, err := h.Verify(context.Background(), "correct horse battery staple", enc); !ok || err != nil {
		t.Fatalf("after the slot is free: %v, %v", ok, err)
	}
}
