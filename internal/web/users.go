package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/account"
	"github.com/bazaar/bazaar/internal/fault"
)

// userHandlers are the super admins' oversight of accounts on the admin
// site: finding accounts, one with its memberships, deactivating and
// reactivating it, and mass password resets.
type userHandlers struct {
	caller
	accounts *account.Service
}

func (h *userHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/admin/users", SuperAdmin, noTx, h.list},
		{"POST", "/api/v1/admin/users/password-reset", SuperAdmin, noTx, h.startReset},
		{"GET", "/api/v1/admin/users/password-resets/:id", SuperAdmin, noTx, h.reset},
		{"GET", "/api/v1/admin/users/:id", SuperAdmin, noTx, h.get},
		{"POST", "/api/v1/admin/users/:id/deactivate", SuperAdmin, noTx, h.deactivate},
		{"POST", "/api/v1/admin/users/:id/reactivate", SuperAdmin, noTx, h.reactivate},
	}
}

// list answers GET /api/v1/admin/users: q, status, limit, cursor; newest
// first.
func (h *userHandlers) list(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, account.ListLimits, bad)
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.accounts.List(c.UserContext(), account.ListParams{
		Query: strings.Clone(c.Query("q")), Status: strings.Clone(c.Query("status")), Request: r,
	})
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// get answers GET /api/v1/admin/users/:id: the account, its memberships,
// its live sessions.
func (h *userHandlers) get(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	d, err := h.accounts.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// deactivate answers POST /api/v1/admin/users/:id/deactivate {reason}.
func (h *userHandlers) deactivate(c *fiber.Ctx) error {
	id, why, err := idAndReason(c, false)
	if err != nil {
		return err
	}
	d, err := h.accounts.Deactivate(c.UserContext(), h.accountActor(c), id, why)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// reactivate answers POST /api/v1/admin/users/:id/reactivate {reason?}.
func (h *userHandlers) reactivate(c *fiber.Ctx) error {
	id, why, err := idAndReason(c, true)
	if err != nil {
		return err
	}
	d, err := h.accounts.Reactivate(c.UserContext(), h.accountActor(c), id, why)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// startReset answers POST /api/v1/admin/users/password-reset
// {"user_ids": [...]} | {"vendor_id": n} | {"all": true, "confirm": "reset
// every password"}: the job is recorded and queued (202, Location of its
// progress).
func (h *userHandlers) startReset(c *fiber.Ctx) error {
	var in account.ResetSelection
	if err := bind(c, &in); err != nil {
		return err
	}
	job, err := h.accounts.StartReset(c.UserContext(), h.accountActor(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/admin/users/password-resets/" + strconv.Itoa(job.ID))
	return c.Status(fiber.StatusAccepted).JSON(job)
}

// reset answers GET /api/v1/admin/users/password-resets/:id: status and
// counts as they move.
func (h *userHandlers) reset(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	job, err := h.accounts.Reset(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(job)
}
