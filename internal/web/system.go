package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/system"
)

// systemHandlers are the super admins' view of the platform as a whole, on
// the admin site: its health and its analytics over days.
type systemHandlers struct {
	system *system.Service
}

func (h *systemHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/admin/system/health", SuperAdmin, noTx, h.health},
		{"GET", "/api/v1/admin/system/analytics", SuperAdmin, noTx, h.analytics},
	}
}

// health answers GET /api/v1/admin/system/health: every section with its
// status and why, and the worst as the whole's. It answers 200 whatever
// the platform's state — the state is the answer; readiness
// (/api/v1/health/ready) is what a load balancer asks.
func (h *systemHandlers) health(c *fiber.Ctx) error {
	return c.JSON(h.system.Health(c.UserContext()))
}

// analytics answers GET /api/v1/admin/system/analytics?from=&to= (UTC
// days, YYYY-MM-DD; the last 30 days by default, at most 366).
func (h *systemHandlers) analytics(c *fiber.Ctx) error {
	a, err := h.system.Analytics(c.UserContext(), strings.Clone(c.Query("from")), strings.Clone(c.Query("to")))
	if err != nil {
		return err
	}
	return c.JSON(a)
}
