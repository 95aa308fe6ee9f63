package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/public"
)

// health is liveness: the process answers. It touches nothing else, so a slow
// database never gets a healthy process restarted.
func (s *server) health(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// ready is readiness: the database answers and the platform schema has every
// migration this binary needs. Tenants whose schema is behind are counted (they
// answer 503 on their own hosts) but do not take the whole instance out.
func (s *server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ok := true
	if err := s.db.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness: database unreachable", "err", err)
		checks["database"], ok = "unreachable", false
	} else {
		checks["database"] = "ok"
		current, err := s.db.PlatformCurrent(ctx)
		switch {
		case err != nil:
			checks["migrations"], ok = "unknown", false
		case !current:
			checks["migrations"], ok = "platform schema is behind: run `bazaar migrate`", false
		default:
			checks["migrations"] = "ok"
		}
		if behind, err := s.db.TenantsBehind(ctx); err == nil {
			checks["tenants_behind"] = behind
		}
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}

func render(c *fiber.Ctx, name string, data any) error {
	page, err := public.Render(name, data)
	if err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Send(page)
}
