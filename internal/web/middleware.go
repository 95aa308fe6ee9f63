package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/tenantdb"
)

const requestIDKey = "bazaar.request_id"

// requestID returns the request's id (set by withRequestID).
func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}

// withRequestID assigns every request an id, echoed in X-Request-ID and in
// every log line about it. An id sent by a trusted proxy is kept so a request
// can be followed across tiers.
func (s *server) withRequestID(c *fiber.Ctx) error {
	id := ""
	if c.IsProxyTrusted() {
		if in := c.Get(fiber.HeaderXRequestID); validRequestID(in) {
			id = strings.Clone(in)
		}
	}
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Locals(requestIDKey, id)
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// withAccessLog writes one structured line per request, after rendering any
// error (so the status logged is the status sent) and turning a panic into a
// 500 logged with its stack. By the time it recovers, the deferred clean-ups
// of inner middleware — a tenant transaction's rollback — have run. It logs
// the path but never the query string, which may carry tokens.
func (s *server) withAccessLog(c *fiber.Ctx) error {
	start := time.Now()
	// The path as the client sent it (checkTarget may correct fasthttp's
	// reading of it, site resolution strips a /vendor/<slug> prefix).
	target, _, _ := bytes.Cut(c.Request().Header.RequestURI(), []byte{'?'})
	method, path := strings.Clone(c.Method()), string(target)
	if err := s.nextRecovered(c); err != nil {
		s.handleError(c, err)
	}
	status := c.Response().StatusCode()
	attrs := []slog.Attr{
		slog.String("request_id", requestID(c)),
		slog.String("method", method),
		slog.String("path", path),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
		slog.Int("bytes", len(c.Response().Body())),
		slog.String("ip", s.clientIP(c)),
	}
	if site := siteOf(c); site != nil {
		attrs = append(attrs, slog.String("site", site.Kind.String()))
		if site.Tenant != nil {
			attrs = append(attrs, slog.String("tenant", site.Tenant.Slug))
		}
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(c.UserContext(), level, "request", attrs...)
	return nil
}

func (s *server) nextRecovered(c *fiber.Ctx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(c.UserContext(), "panic", "request_id", requestID(c), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return c.Next()
}

// withTimeout gives handlers a context that ends after the request timeout,
// so database work for an abandoned or runaway request is cancelled.
func (s *server) withTimeout(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.opts.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// tenantTx runs the rest of the chain in a transaction bound to the site's
// tenant. It commits when the handler succeeded (no error, status < 400) and
// rolls back otherwise, panics included — unless the handler asked for a
// refusal to be kept (keepRefusal); either way SET LOCAL has ended with the
// transaction before the connection returns to the pool.
func (s *server) tenantTx(readOnly bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		site := siteOf(c)
		if site == nil || site.Tenant == nil {
			return fiber.ErrNotFound
		}
		if !readOnly && site.Tenant.Frozen() {
			return errMoving
		}
		ctx, txn, err := s.db.Begin(c.UserContext(), site.Tenant, readOnly)
		if err != nil {
			return err
		}
		defer txn.Rollback() //nolint:errcheck // no-op after Commit; the error path reports the cause
		outer := c.UserContext()
		c.SetUserContext(ctx)
		defer c.SetUserContext(outer)
		err = c.Next()
		if err != nil && !readOnly && tenantdb.ReadOnly(err) {
			// PostgreSQL refused a write for want of privilege: a move froze
			// the shop before this instance heard of it — or a bug, which
			// stays a 500. The registry tells which.
			if frozen, ferr := s.db.Frozen(outer, site.Tenant); ferr == nil && frozen {
				moving := *errMoving
				moving.Err = err
				err = &moving
			}
		}
		if err != nil || c.Response().StatusCode() >= fiber.StatusBadRequest {
			if kept, _ := c.Locals(keepRefusalKey).(bool); kept {
				if cerr := txn.Commit(); cerr != nil {
					return cerr // what the refusal was to record is lost: not the refusal's answer
				}
			}
			return err
		}
		return txn.Commit()
	}
}

const keepRefusalKey = "bazaar.keep_refusal"

// keepRefusal has the request's transaction commit although the request is
// refused. A password check uses it: a wrong password answers 401 (or 400)
// and must still count against the account, or an attacker would get every
// guess for free. Call it only where what the service wrote before refusing
// is meant to last — the count of failures, nothing else.
func keepRefusal(c *fiber.Ctx) { c.Locals(keepRefusalKey, true) }

// withSecurityHeaders sets what every answer should carry: no MIME sniffing,
// no framing by other sites (the sign-in, invitation and reset forms cannot
// be clickjacked), and no full URLs — which may carry one-time tokens — in
// the Referer sent to other sites. Handlers may tighten them.
func withSecurityHeaders(c *fiber.Ctx) error {
	setSecurityHeaders(c)
	return c.Next()
}

// setSecurityHeaders is also called by the error handler, which starts the
// response afresh.
func setSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set("Content-Security-Policy", "frame-ancestors 'none'")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
}
