package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/public"
	"github.com/bazaar/bazaar/tenantdb"
)

// health is liveness: the process answers. It touches nothing else, so a slow
// database never gets a healthy process restarted.
func (s *server) health(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyTimeout bounds the readiness checks: a load balancer's probe must
// get an answer, and a database that takes longer is not ready.
const readyTimeout = 2 * time.Second

// ready is readiness: the database answers and the platform schema has every
// migration this binary needs. Tenants whose schema is behind are counted (they
// answer 503 on their own hosts) but do not take the whole instance out. When
// not ready it answers 503 with Retry-After, and says which check failed and
// why in plain words (no address, user or SQL: the cause is in the log).
func (s *server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	checks := fiber.Map{}
	var failed []string
	fail := func(check, why string, err error) {
		checks[check] = why
		failed = append(failed, check+": "+why)
		s.log.WarnContext(ctx, "readiness: "+check+" check failed", "why", why, "err", err)
	}
	if err := s.db.Ping(ctx); err != nil {
		fail("database", "unreachable: "+readinessReason(err), err)
		checks["migrations"] = "not checked"
	} else {
		checks["database"] = "ok"
		current, err := s.db.PlatformCurrent(ctx)
		switch {
		case err != nil:
			fail("migrations", "could not be read: "+readinessReason(err), err)
		case !current:
			fail("migrations", "platform schema is behind: run `bazaar migrate`", nil)
		default:
			checks["migrations"] = "ok"
		}
		if behind, err := s.db.TenantsBehind(ctx); err == nil {
			checks["tenants_behind"] = behind
		}
	}
	if len(failed) > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(unavailableRetry.Seconds())))
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "reason": strings.Join(failed, "; "), "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}

// readinessReason says in plain words why a check's database work failed.
func readinessReason(err error) string {
	if reason, ok := tenantdb.Unavailable(err); ok {
		return reason
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", readyTimeout)
	}
	return "unexpected error (details in this instance's log)"
}

func render(c *fiber.Ctx, name string, data any) error {
	page, err := public.Render(name, data)
	if err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Send(page)
}
