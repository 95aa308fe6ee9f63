package customer

import (
	"context"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/internal/fault"
)

// Sign-in is throttled twice. Per client address, in this instance's
// memory: LoginIPLimit sign-ins, registrations and reset requests a minute,
// whatever the shop, so one address cannot guess passwords across many
// accounts or shops. Per account, in the customer's row (shared by every
// instance): LoginFailures wrong passwords in a row lock it for Lockout.
// A locked account answers 429 like a throttled address; that tells an
// attacker the e-mail has an account, which the registration form (409 for
// a taken e-mail) tells anyone anyway.

// errThrottled is what a throttled client learns: to wait.
func errThrottled(wait time.Duration) error {
	return &fault.Error{Kind: fault.RateLimited, Code: "too_many_attempts",
		Message: "too many attempts; try again later", RetryAfter: max(wait, time.Second)}
}

// allow counts one attempt from ip against the address limit.
func (s *Service) allow(ip string) error {
	if ok, wait := s.ips.Allow(ip, s.now()); !ok {
		s.log.Warn("shopper sign-in throttled", "limit", "address", "ip", ip)
		return errThrottled(wait)
	}
	return nil
}

// locked is how long cu stays locked (0: it is not).
func (s *Service) locked(cu *tenant.Customer) time.Duration {
	if cu.LockedUntil == nil {
		return 0
	}
	return max(cu.LockedUntil.Sub(s.now()), 0)
}

// failed counts a wrong password against cu; the LoginFailures-th in a row
// locks the account for Lockout and starts the count again. The increment
// is one statement, and the row stays locked by it until the request's
// transaction ends, so concurrent failures count exactly. The caller's
// transaction must commit although the request fails (the web layer does
// so for the routes that check passwords).
func (s *Service) failed(ctx context.Context, c *tenant.Client, cu *tenant.Customer) error {
	n, err := c.Customer.UpdateOneID(cu.ID).AddFailedLogins(1).Save(ctx)
	if err != nil {
		return err
	}
	if n.FailedLogins < s.o.LoginFailures {
		return nil
	}
	s.log.WarnContext(ctx, "shopper account locked", "customer_id", cu.ID, "for", s.o.Lockout)
	return c.Customer.UpdateOneID(cu.ID).SetFailedLogins(0).SetLockedUntil(s.now().Add(s.o.Lockout)).Exec(ctx)
}
