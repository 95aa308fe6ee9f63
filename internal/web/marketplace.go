package web

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/page"
)

// marketHandlers run the marketplace import: its configuration, the jobs and
// their reports, and the staging area products are selected from. Every
// change goes into the shop's audit trail.
type marketHandlers struct {
	caller
	market *marketplace.Service
	// The row-errors download streams after its handler has returned, from
	// read transactions of its own, bounded like a request and logged.
	db             Database
	log            *slog.Logger
	requestTimeout time.Duration
	writeTimeout   time.Duration // http.write_timeout, moved on as the download streams
}

// routes: literal paths come before the :id ones they would otherwise match.
func (h *marketHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/marketplace/config", Permission(authz.ImportsView), readTx, h.importConfig},
		{"PUT", "/api/v1/marketplace/config", Permission(authz.ImportsConfigure), writeTx, h.setImportConfig},
		{"POST", "/api/v1/marketplace/import", Permission(authz.ImportsTrigger), writeTx, h.triggerImport},
		{"GET", "/api/v1/marketplace/imports", Permission(authz.ImportsView), readTx, h.listImports},
		{"GET", "/api/v1/marketplace/imports/:id", Permission(authz.ImportsView), readTx, h.getImport},
		{"POST", "/api/v1/marketplace/imports/:id/cancel", Permission(authz.ImportsTrigger), writeTx, h.cancelImport},
		{"GET", "/api/v1/marketplace/imports/:id/products", Permission(authz.ImportsView), readTx, h.importProducts},
		{"GET", "/api/v1/marketplace/imports/:id/changes", Permission(authz.ImportsView), readTx, h.importChanges},
		{"GET", "/api/v1/marketplace/imports/:id/errors", Permission(authz.ImportsView), readTx, h.importErrors},
		{"GET", "/api/v1/marketplace/imports/:id/errors.csv", Permission(authz.ImportsView), noTx, h.importErrorsCSV},
		{"GET", "/api/v1/marketplace/imports/:id/disagreements", Permission(authz.ImportsView), readTx, h.importDisagreements},
		{"GET", "/api/v1/marketplace/products", Permission(authz.ImportsView), readTx, h.stagedProducts},
		{"POST", "/api/v1/marketplace/products/select", Permission(authz.ProductsCreate), writeTx, h.selectStaged},
		{"GET", "/api/v1/marketplace/products/:id", Permission(authz.ImportsView), readTx, h.stagedProduct},
	}
}

func (h *marketHandlers) importConfig(c *fiber.Ctx) error {
	cfg, err := h.market.GetConfig(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(cfg)
}

func (h *marketHandlers) setImportConfig(c *fiber.Ctx) error {
	var in marketplace.Config
	if err := bind(c, &in); err != nil {
		return err
	}
	in.UpdatedAt = nil
	before, err := h.market.GetConfig(c.UserContext())
	if err != nil {
		return err
	}
	cfg, err := h.market.SetConfig(c.UserContext(), h.actor(c).UserID, in)
	if err != nil {
		return err
	}
	if err := h.record(c, "imports.configure", "import_config", 0, before, cfg); err != nil {
		return err
	}
	return c.JSON(cfg)
}

// triggerImport answers POST /api/v1/marketplace/import with 202 and the
// queued job; ?dry_run=true (or {"dry_run": true}) previews it.
func (h *marketHandlers) triggerImport(c *fiber.Ctx) error {
	var in struct {
		DryRun bool `json:"dry_run"`
	}
	if len(c.Body()) > 0 {
		if err := bind(c, &in); err != nil {
			return err
		}
	}
	if q := c.Query("dry_run"); q != "" {
		b, err := strconv.ParseBool(q)
		if err != nil {
			return fault.Fields("invalid parameters", map[string]string{"dry_run": "must be true or false"})
		}
		in.DryRun = b
	}
	by := h.actor(c).UserID
	j, err := h.market.Trigger(c.UserContext(), &by, in.DryRun, marketplace.TriggerManual)
	if err != nil {
		return err
	}
	if err := h.record(c, "imports.trigger", "import", j.ID, nil, map[string]any{"dry_run": j.DryRun}); err != nil {
		return err
	}
	c.Location("/api/v1/marketplace/imports/" + strconv.Itoa(j.ID))
	return c.Status(fiber.StatusAccepted).JSON(j)
}

// listImports answers GET /api/v1/marketplace/imports: the history, newest
// first.
func (h *marketHandlers) listImports(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, marketplace.JobLimits, bad, "before")
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.market.Jobs(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (h *marketHandlers) getImport(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	j, err := h.market.Job(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(j)
}

func (h *marketHandlers) cancelImport(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	j, err := h.market.Cancel(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := h.record(c, "imports.cancel", "import", id, nil, nil); err != nil {
		return err
	}
	return c.JSON(j)
}

// stagedParams reads the staging view's filters and page.
func stagedParams(c *fiber.Ctx) (marketplace.StagedParams, page.Request, error) {
	bad := map[string]string{}
	p := marketplace.StagedParams{
		Query: c.Query("q"), Availability: c.Query("availability"), Brand: c.Query("brand"), Category: c.Query("category"),
		Selected: queryBool(c, "selected", bad), Published: queryBool(c, "published", bad), Missing: queryBool(c, "missing", bad),
	}
	if ch := queryBool(c, "changed", bad); ch != nil {
		p.Changed = *ch
	}
	r := pageRequest(c, marketplace.StagedLimits, bad, "after")
	return p, r, fault.Fields("invalid listing parameters", bad)
}

// stagedProducts answers GET /api/v1/marketplace/products (the staging area).
func (h *marketHandlers) stagedProducts(c *fiber.Ctx) error {
	p, r, err := stagedParams(c)
	if err != nil {
		return err
	}
	pg, err := h.market.StagedProducts(c.UserContext(), p, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// importProducts answers GET /api/v1/marketplace/imports/{id}/products: the
// staging view restricted to what that import read.
func (h *marketHandlers) importProducts(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := h.market.Job(c.UserContext(), id); err != nil {
		return err
	}
	p, r, err := stagedParams(c)
	if err != nil {
		return err
	}
	p.JobID = id
	pg, err := h.market.StagedProducts(c.UserContext(), p, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (h *marketHandlers) stagedProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := h.market.StagedProduct(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// selectStaged answers POST /api/v1/marketplace/products/select with
// {"ids": [...], "selected": true|false} or {"filter": {...}, "selected": ...}.
func (h *marketHandlers) selectStaged(c *fiber.Ctx) error {
	var in struct {
		IDs      []int `json:"ids"`
		Selected *bool `json:"selected"`
		Filter   *struct {
			Query        string `json:"q"`
			Availability string `json:"availability"`
			Brand        string `json:"brand"`
			Category     string `json:"category"`
			Published    *bool  `json:"published"`
			Missing      *bool  `json:"missing"`
			Changed      bool   `json:"changed"`
		} `json:"filter"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.Selected == nil {
		return fault.Fields("invalid selection", map[string]string{"selected": "is required (true or false)"})
	}
	var filter *marketplace.StagedParams
	if f := in.Filter; f != nil {
		filter = &marketplace.StagedParams{Query: f.Query, Availability: f.Availability, Brand: f.Brand, Category: f.Category,
			Published: f.Published, Missing: f.Missing, Changed: f.Changed}
	}
	n, err := h.market.Select(c.UserContext(), in.IDs, filter, *in.Selected)
	if err != nil {
		return err
	}
	if err := h.record(c, "imports.select", "", 0, nil, map[string]any{"selected": *in.Selected, "changed": n, "ids": len(in.IDs), "by_filter": filter != nil}); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"changed": n})
}

// reportParams reads a job report's id and page.
func reportParams(c *fiber.Ctx) (int, page.Request, error) {
	id, err := idParam(c)
	if err != nil {
		return 0, page.Request{}, err
	}
	bad := map[string]string{}
	r := pageRequest(c, marketplace.ReportLimits, bad, "after")
	return id, r, fault.Fields("invalid listing parameters", bad)
}

// importChanges answers GET /api/v1/marketplace/imports/{id}/changes
// (?action=, ?language= filter).
func (h *marketHandlers) importChanges(c *fiber.Ctx) error {
	id, r, err := reportParams(c)
	if err != nil {
		return err
	}
	pg, err := h.market.Changes(c.UserContext(), id, c.Query("action"), c.Query("language"), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// importErrorsCSV answers GET /api/v1/marketplace/imports/{id}/errors.csv:
// every refused line, streamed after the handler returns (chunks read in
// short transactions of their own), so a large report is never held whole.
func (h *marketHandlers) importErrorsCSV(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	t := siteOf(c).Tenant
	if err := h.db.ReadTx(c.UserContext(), t, func(ctx context.Context) error {
		_, err := h.market.Job(ctx, id)
		return err
	}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="import-`+strconv.Itoa(id)+`-errors.csv"`)
	download(c, h.log, h.writeTimeout, h.requestTimeout, "row errors download", func(ctx context.Context, w io.Writer) error {
		return h.market.WriteRowErrorsCSV(ctx, t, id, w)
	})
	return nil
}

// importErrors lists refused lines as JSON.
func (h *marketHandlers) importErrors(c *fiber.Ctx) error {
	id, r, err := reportParams(c)
	if err != nil {
		return err
	}
	pg, err := h.market.RowErrors(c.UserContext(), id, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// importDisagreements answers GET
// /api/v1/marketplace/imports/{id}/disagreements.
func (h *marketHandlers) importDisagreements(c *fiber.Ctx) error {
	id, r, err := reportParams(c)
	if err != nil {
		return err
	}
	pg, err := h.market.Disagreements(c.UserContext(), id, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}
