package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/marketplace"
)

// monitorHandlers are the super admins' view of imports across vendors, on
// the admin site: the listing of every vendor's import jobs (read from the
// summaries the vendors' schemas report platform-side, never by visiting
// them) and starting imports for many vendors at once.
type monitorHandlers struct {
	caller
	market *marketplace.Service
}

func (h *monitorHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/admin/marketplace/import-jobs", SuperAdmin, noTx, h.importJobs},
		{"POST", "/api/v1/admin/marketplace/trigger-imports", SuperAdmin, noTx, h.triggerImports},
	}
}

// importJobs answers GET /api/v1/admin/marketplace/import-jobs: import jobs
// across vendors, newest first; ?status=, ?vendor= (an id) and ?since= (RFC
// 3339) filter.
func (h *monitorHandlers) importJobs(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, marketplace.MonitorLimits, bad)
	f := marketplace.JobFilter{Status: strings.Clone(c.Query("status"))}
	if v := c.Query("vendor"); v != "" {
		id, err := strconv.Atoi(v)
		if err != nil || id < 1 {
			bad["vendor"] = "must be a vendor id (a positive whole number)"
		}
		f.VendorID = id
	}
	if v := c.Query("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			bad["since"] = "must be a time in RFC 3339 form, such as 2026-12-01T00:00:00Z"
		}
		f.Since = t
	}
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.market.AllJobs(c.UserContext(), f, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// triggerImports answers POST /api/v1/admin/marketplace/trigger-imports
// {"vendor_ids": [...]} or {"all": true} with 202 and what became of each
// vendor: started (with its job), skipped (and why: one already running, no
// feed…), not found. The platform's trail records it.
func (h *monitorHandlers) triggerImports(c *fiber.Ctx) error {
	var in marketplace.TriggerSelection
	if err := bind(c, &in); err != nil {
		return err
	}
	a := h.actor(c)
	rep, err := h.market.TriggerImports(c.UserContext(), in, marketplace.Actor{UserID: a.UserID, Email: a.Email, IP: a.IP, RequestID: a.RequestID})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(rep)
}
