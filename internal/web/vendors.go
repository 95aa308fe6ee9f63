package web

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/team"
	"github.com/bazaar/bazaar/internal/vendor"
)

// vendorHandlers are the super admins' vendor management on the admin site.
type vendorHandlers struct {
	caller
	vendors        *vendor.Service
	team           *team.Service
	log            *slog.Logger
	requestTimeout time.Duration // bounds a streamed report, as a request
	writeTimeout   time.Duration // http.write_timeout, moved on as a report streams
}

func (h *vendorHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/admin/vendors", SuperAdmin, noTx, h.list},
		{"POST", "/api/v1/admin/vendors", SuperAdmin, noTx, h.create},
		{"POST", "/api/v1/admin/vendors/bulk-import", SuperAdmin, noTx, h.bulkImport},
		{"GET", "/api/v1/admin/vendors/bulk-imports/:id", SuperAdmin, noTx, h.bulk},
		{"GET", "/api/v1/admin/vendors/bulk-imports/:id/lines", SuperAdmin, noTx, h.bulkLines},
		{"GET", "/api/v1/admin/vendors/bulk-imports/:id/report.csv", SuperAdmin, noTx, h.bulkReport},
		{"GET", "/api/v1/admin/vendors/:id", SuperAdmin, noTx, h.get},
		{"PUT", "/api/v1/admin/vendors/:id", SuperAdmin, noTx, h.update},
		{"POST", "/api/v1/admin/vendors/:id/suspend", SuperAdmin, noTx, h.suspend},
		{"POST", "/api/v1/admin/vendors/:id/resume", SuperAdmin, noTx, h.resume},
		{"POST", "/api/v1/admin/vendors/:id/owner", SuperAdmin, noTx, h.owner},
		{"DELETE", "/api/v1/admin/vendors/:id", SuperAdmin, noTx, h.delete},
		{"GET", "/api/v1/admin/vendors/:id/members", SuperAdmin, noTx, h.members},
	}
}

// list answers GET /api/v1/admin/vendors: q, status, sort, limit, cursor.
func (h *vendorHandlers) list(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, vendor.ListLimits, bad)
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.vendors.List(c.UserContext(), vendor.ListParams{
		Query: strings.Clone(c.Query("q")), Status: strings.Clone(c.Query("status")), Sort: strings.Clone(c.Query("sort")), Request: r,
	})
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// create answers POST /api/v1/admin/vendors: the vendor, its feeds, its
// first Owner.
func (h *vendorHandlers) create(c *fiber.Ctx) error {
	var in vendor.NewVendor
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := h.vendors.Create(c.UserContext(), h.vendorActor(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/admin/vendors/" + strconv.Itoa(out.Vendor.ID))
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (h *vendorHandlers) get(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := h.vendors.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// update answers PUT /api/v1/admin/vendors/:id: name and business details;
// fields left out are kept.
func (h *vendorHandlers) update(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var e vendor.Edit
	if err := bind(c, &e); err != nil {
		return err
	}
	v, err := h.vendors.Update(c.UserContext(), h.vendorActor(c), id, e)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *vendorHandlers) suspend(c *fiber.Ctx) error {
	id, why, err := idAndReason(c, false)
	if err != nil {
		return err
	}
	v, err := h.vendors.Suspend(c.UserContext(), h.vendorActor(c), id, why)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *vendorHandlers) resume(c *fiber.Ctx) error {
	id, why, err := idAndReason(c, true)
	if err != nil {
		return err
	}
	v, err := h.vendors.Resume(c.UserContext(), h.vendorActor(c), id, why)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// owner answers POST /api/v1/admin/vendors/:id/owner: gives the vendor an
// Owner (an existing account at once, a new e-mail by invitation) — for a
// vendor created without one, or whose Owner left.
func (h *vendorHandlers) owner(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var o vendor.Owner
	if err := bind(c, &o); err != nil {
		return err
	}
	g, err := h.vendors.SetOwner(c.UserContext(), h.vendorActor(c), id, o)
	if err != nil {
		return err
	}
	return c.JSON(g)
}

// delete answers DELETE /api/v1/admin/vendors/:id?confirm=<slug>.
func (h *vendorHandlers) delete(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := h.vendors.Delete(c.UserContext(), h.vendorActor(c), id, strings.Clone(c.Query("confirm"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// members answers GET /api/v1/admin/vendors/:id/members: the vendor's team
// as its Owner sees it (limit, cursor).
func (h *vendorHandlers) members(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	r, err := teamPage(c)
	if err != nil {
		return err
	}
	t, err := h.vendors.Tenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	pg, err := h.team.MembersOf(c.UserContext(), t, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// bulkImport answers POST /api/v1/admin/vendors/bulk-import: a bulk vendor
// CSV as the multipart field "file". With ?dry_run=true every row is
// checked and reported and nothing is written (200); otherwise the import
// is recorded and queued (202, Location of its progress).
func (h *vendorHandlers) bulkImport(c *fiber.Ctx) error {
	bad := map[string]string{}
	dry := queryBool(c, "dry_run", bad)
	if err := fault.Fields("invalid parameters", bad); err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fault.Fields("no file", map[string]string{"file": "send the CSV as the multipart form field \"file\""})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	rows, sum, err := h.vendors.ReadBulk(f)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if dry != nil && *dry {
		report, err := h.vendors.CheckBulk(ctx, rows)
		if err != nil {
			return err
		}
		return c.JSON(report)
	}
	imp, err := h.vendors.StartBulk(ctx, h.vendorActor(c), strings.Clone(fh.Filename), sum, rows)
	if err != nil {
		return err
	}
	c.Location("/api/v1/admin/vendors/bulk-imports/" + strconv.Itoa(imp.ID))
	return c.Status(fiber.StatusAccepted).JSON(imp)
}

// bulk answers GET /api/v1/admin/vendors/bulk-imports/:id: status, counts,
// progress.
func (h *vendorHandlers) bulk(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	imp, err := h.vendors.Bulk(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(imp)
}

// bulkLines answers GET /api/v1/admin/vendors/bulk-imports/:id/lines: the
// rows and their outcomes (?outcome=, limit, cursor).
func (h *vendorHandlers) bulkLines(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	bad := map[string]string{}
	r := pageRequest(c, vendor.BulkLineLimits, bad)
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.vendors.BulkLinesPage(c.UserContext(), id, strings.Clone(c.Query("outcome")), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// bulkReport answers GET /api/v1/admin/vendors/bulk-imports/:id/report.csv,
// streamed after the handler returns.
func (h *vendorHandlers) bulkReport(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := h.vendors.Bulk(c.UserContext(), id); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="vendor-import-`+strconv.Itoa(id)+`.csv"`)
	download(c, h.log, h.writeTimeout, h.requestTimeout, "bulk import report", func(ctx context.Context, w io.Writer) error {
		return h.vendors.WriteBulkReport(ctx, id, w)
	})
	return nil
}
