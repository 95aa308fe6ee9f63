package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
)

// adminHandlers are the super admins' routes on the admin site.
type adminHandlers struct {
	audit *audit.Service
}

func (h *adminHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/admin/audit", SuperAdmin, noTx, h.platformAudit},
	}
}

// platformAudit answers GET /api/v1/admin/audit: platform audit events,
// newest first; ?action= filters.
func (h *adminHandlers) platformAudit(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, audit.Limits, bad, "before")
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.audit.PlatformEvents(c.UserContext(), audit.Filter{Action: strings.Clone(c.Query("action"))}, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}
