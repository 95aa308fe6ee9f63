package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/bazaar/bazaar/internal/fault"
)

// KDF are the argon2id parameters for new password hashes. Each hash carries
// its own parameters (PHC string), so raising them re-hashes passwords as
// users next sign in.
type KDF struct {
	Time      uint32 // iterations
	MemoryKiB uint32
	Threads   uint8
	// Concurrency bounds hashes computed at once, so a burst of logins costs
	// at most Concurrency × MemoryKiB of memory instead of exhausting it.
	Concurrency int
	// QueueWait bounds how long a request waits for its turn; beyond it the
	// answer is 503 "busy" rather than an ever-growing queue (default 2s).
	QueueWait time.Duration
}

const (
	saltLen = 16
	keyLen  = 32
	// Password lengths: long enough to resist guessing, bounded so a megabyte
	// "password" cannot be used to burn CPU.
	minPasswordLen = 10
	maxPasswordLen = 256
)

// Hasher hashes and verifies passwords with argon2id.
type Hasher struct {
	kdf   KDF
	sem   chan struct{}
	dummy string // a hash verified for unknown accounts, so they cost the same time
}

// NewHasher returns a Hasher with k's parameters.
func NewHasher(k KDF) (*Hasher, error) {
	if k.Time < 1 || k.MemoryKiB < 8*uint32(max(k.Threads, 1)) || k.Threads < 1 {
		return nil, fmt.Errorf("identity: argon2id parameters out of range (time %d, memory %d KiB, threads %d)", k.Time, k.MemoryKiB, k.Threads)
	}
	if k.Concurrency < 1 {
		k.Concurrency = 1
	}
	if k.QueueWait <= 0 {
		k.QueueWait = 2 * time.Second
	}
	h := &Hasher{kdf: k, sem: make(chan struct{}, k.Concurrency)}
	d, err := h.Hash(context.Background(), "a password nobody has: "+rand.Text())
	if err != nil {
		return nil, err
	}
	h.dummy = d
	return h, nil
}

// Hash returns the PHC string of password with a fresh salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := h.derive(ctx, []byte(password), salt, h.kdf.Time, h.kdf.MemoryKiB, h.kdf.Threads, keyLen)
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.kdf.MemoryKiB, h.kdf.Time, h.kdf.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded, and whether encoded was
// made with other parameters than today's (so the caller may re-hash it). It
// fails only when the hasher is too busy or ctx ends while waiting.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, stale bool, err error) {
	var v int
	var m, t uint32
	var p uint8
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, nil
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, false, nil
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || t < 1 || t > 64 || p < 1 || m > 4<<20 {
		return false, false, nil
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false, false, nil
	}
	got, err := h.derive(ctx, []byte(password), salt, t, m, p, uint32(len(want)))
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1
	stale = m != h.kdf.MemoryKiB || t != h.kdf.Time || p != h.kdf.Threads
	return ok, stale, nil
}

// Burn spends the time of one verification, for accounts that do not exist.
func (h *Hasher) Burn(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, password, h.dummy)
	return err
}

// errBusy: more sign-ins than the hasher's concurrency and queue allow.
var errBusy = &fault.Error{Kind: fault.Unavailable, Code: "busy", Message: "too many sign-ins at once; try again in a moment", RetryAfter: time.Second}

// derive runs argon2id when a slot is free: waiting at most QueueWait, and
// not at all for a client that has gone.
func (h *Hasher) derive(ctx context.Context, pw, salt []byte, t, m uint32, p uint8, n uint32) ([]byte, error) {
	wait := time.NewTimer(h.kdf.QueueWait)
	defer wait.Stop()
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-wait.C:
		return nil, errBusy
	}
	defer func() { <-h.sem }()
	return argon2.IDKey(pw, salt, t, m, p, n), nil
}

// ValidatePassword checks a new password: 10 to 256 characters, valid UTF-8,
// not the email address.
func ValidatePassword(password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return fault.Fields("the password is not acceptable", map[string]string{"password": "must be valid UTF-8 text"})
	case n < minPasswordLen:
		return fault.Fields("the password is not acceptable", map[string]string{"password": fmt.Sprintf("must be at least %d characters", minPasswordLen)})
	case len(password) > maxPasswordLen:
		return fault.Fields("the password is not acceptable", map[string]string{"password": fmt.Sprintf("must be at most %d bytes", maxPasswordLen)})
	case email != "" && strings.EqualFold(strings.TrimSpace(password), email):
		return fault.Fields("the password is not acceptable", map[string]string{"password": "must not be your email address"})
	}
	return nil
}

// NormalizeEmail trims and lower-cases an address: emails are unique without
// regard to case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
