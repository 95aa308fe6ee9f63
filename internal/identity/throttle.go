package identity

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// ThrottleOptions bound sign-in attempts.
type ThrottleOptions struct {
	// IPAttempts sign-in attempts per IPWindow from one address (any
	// account), counted in this instance's memory.
	IPAttempts int
	IPWindow   time.Duration
	// AccountFailures failed attempts on one account are allowed; the last
	// of them blocks the account for BackoffBase, and each failure after a
	// block ends doubles it, up to BackoffMax. The count is in the database, shared by every
	// instance, and forgets after AccountWindow without attempts or on a
	// successful sign-in. Unknown emails are counted like real ones.
	AccountFailures int
	AccountWindow   time.Duration
	BackoffBase     time.Duration
	BackoffMax      time.Duration
}

func (o ThrottleOptions) validate() error {
	if o.IPAttempts < 1 || o.IPWindow <= 0 || o.AccountFailures < 1 || o.AccountWindow <= 0 || o.BackoffBase <= 0 || o.BackoffMax < o.BackoffBase {
		return errors.New("identity: login throttle settings must be positive (and backoff_max ≥ backoff_base)")
	}
	return nil
}

// errThrottled is what a throttled client learns: to wait.
func errThrottled(wait time.Duration) error {
	return &fault.Error{Kind: fault.RateLimited, Code: "too_many_attempts", Message: "too many sign-in attempts; try again later", RetryAfter: wait}
}

// accountKey identifies an account for throttling without storing its email.
func accountKey(email string) []byte {
	h := sha256.Sum256([]byte("login-throttle\x00" + email))
	return h[:]
}

var throttleTable = pq.QuoteIdentifier(tenantdb.PlatformSchema) + ".login_throttles"

// accountBlocked reports how long the account is still blocked (0: not).
func (s *Service) accountBlocked(ctx context.Context, key []byte) (time.Duration, error) {
	rows, err := s.db.Platform().QueryContext(ctx,
		`SELECT EXTRACT(EPOCH FROM blocked_until - now())::float8 FROM `+throttleTable+` WHERE key = $1 AND blocked_until > now()`, key)
	if err != nil {
		return 0, fmt.Errorf("identity: read login throttle: %w", err)
	}
	defer rows.Close()
	var wait float64
	if rows.Next() {
		if err := rows.Scan(&wait); err != nil {
			return 0, err
		}
	}
	return time.Duration(wait * float64(time.Second)), rows.Err()
}

// recordFailure counts a failed attempt and, beyond the free ones, blocks the
// account for an exponentially growing time. One statement, so concurrent
// failures on several instances count exactly.
func (s *Service) recordFailure(ctx context.Context, key []byte) error {
	o := s.o.Throttle
	// failures counts this failure too; reaching the free allowance blocks
	// for base·2^(failures−allowance), capped.
	_, err := s.db.Platform().ExecContext(ctx, `
INSERT INTO `+throttleTable+` AS t (key, failures, window_start, blocked_until)
VALUES ($1, 1, now(), CASE WHEN 1 >= $3 THEN now() + make_interval(secs => $4) END)
ON CONFLICT (key) DO UPDATE SET
  failures = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
  window_start = now(),
  blocked_until = CASE
    WHEN t.window_start < now() - make_interval(secs => $2) THEN CASE WHEN 1 >= $3 THEN now() + make_interval(secs => $4) END
    WHEN t.failures + 1 < $3 THEN NULL
    ELSE now() + LEAST(make_interval(secs => $4 * power(2, LEAST(t.failures + 1 - $3, 30))), make_interval(secs => $5))
  END`,
		key, o.AccountWindow.Seconds(), o.AccountFailures, o.BackoffBase.Seconds(), o.BackoffMax.Seconds())
	if err != nil {
		return fmt.Errorf("identity: record login failure: %w", err)
	}
	return nil
}

// clearFailures forgets an account's failures after a successful sign-in.
func (s *Service) clearFailures(ctx context.Context, key []byte) error {
	_, err := s.db.Platform().ExecContext(ctx, `DELETE FROM `+throttleTable+` WHERE key = $1`, key)
	return err
}
