package web

import (
	"bufio"
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/page"
)

func (s *server) importConfig(c *fiber.Ctx) error {
	cfg, err := s.market.GetConfig(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(cfg)
}

func (s *server) setImportConfig(c *fiber.Ctx) error {
	var in marketplace.Config
	if err := bind(c, &in); err != nil {
		return err
	}
	in.UpdatedAt = nil
	before, err := s.market.GetConfig(c.UserContext())
	if err != nil {
		return err
	}
	cfg, err := s.market.SetConfig(c.UserContext(), s.actor(c).UserID, in)
	if err != nil {
		return err
	}
	if err := s.record(c, "imports.configure", "import_config", 0, before, cfg); err != nil {
		return err
	}
	return c.JSON(cfg)
}

// triggerImport answers POST /api/v1/marketplace/import with 202 and the
// queued job; ?dry_run=true (or {"dry_run": true}) previews it.
func (s *server) triggerImport(c *fiber.Ctx) error {
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
	by := s.actor(c).UserID
	j, err := s.market.Trigger(c.UserContext(), &by, in.DryRun, marketplace.TriggerManual)
	if err != nil {
		return err
	}
	if err := s.record(c, "imports.trigger", "import", j.ID, nil, map[string]any{"dry_run": j.DryRun}); err != nil {
		return err
	}
	c.Location("/api/v1/marketplace/imports/" + strconv.Itoa(j.ID))
	return c.Status(fiber.StatusAccepted).JSON(j)
}

// listImports answers GET /api/v1/marketplace/imports: the history, newest
// first.
func (s *server) listImports(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, marketplace.JobLimits, bad, "before")
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := s.market.Jobs(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (s *server) getImport(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	j, err := s.market.Job(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(j)
}

func (s *server) cancelImport(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	j, err := s.market.Cancel(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := s.record(c, "imports.cancel", "import", id, nil, nil); err != nil {
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
func (s *server) stagedProducts(c *fiber.Ctx) error {
	p, r, err := stagedParams(c)
	if err != nil {
		return err
	}
	pg, err := s.market.StagedProducts(c.UserContext(), p, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// importProducts answers GET /api/v1/marketplace/imports/{id}/products: the
// staging view restricted to what that import read.
func (s *server) importProducts(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.market.Job(c.UserContext(), id); err != nil {
		return err
	}
	p, r, err := stagedParams(c)
	if err != nil {
		return err
	}
	p.JobID = id
	pg, err := s.market.StagedProducts(c.UserContext(), p, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (s *server) stagedProduct(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := s.market.StagedProduct(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// selectStaged answers POST /api/v1/marketplace/products/select with
// {"ids": [...], "selected": true|false} or {"filter": {...}, "selected": ...}.
func (s *server) selectStaged(c *fiber.Ctx) error {
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
	n, err := s.market.Select(c.UserContext(), in.IDs, filter, *in.Selected)
	if err != nil {
		return err
	}
	if err := s.record(c, "imports.select", "", 0, nil, map[string]any{"selected": *in.Selected, "changed": n, "ids": len(in.IDs), "by_filter": filter != nil}); err != nil {
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
func (s *server) importChanges(c *fiber.Ctx) error {
	id, r, err := reportParams(c)
	if err != nil {
		return err
	}
	pg, err := s.market.Changes(c.UserContext(), id, c.Query("action"), c.Query("language"), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// importErrorsCSV answers GET /api/v1/marketplace/imports/{id}/errors.csv:
// every refused line, streamed after the handler returns (chunks read in
// short transactions of their own), so a large report is never held whole.
func (s *server) importErrorsCSV(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	t := siteOf(c).Tenant
	if err := s.db.ReadTx(c.UserContext(), t, func(ctx context.Context) error {
		_, err := s.market.Job(ctx, id)
		return err
	}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="import-`+strconv.Itoa(id)+`-errors.csv"`)
	timeout, log, reqID := s.opts.RequestTimeout, s.log, requestID(c)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		// The request's context ends with the handler: this one is the
		// stream's own, bounded like a request.
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := s.market.WriteRowErrorsCSV(ctx, t, id, w); err != nil {
			log.Error("row errors download cut short", "request_id", reqID, "err", err)
		}
	})
	return nil
}

// importErrors lists refused lines as JSON.
func (s *server) importErrors(c *fiber.Ctx) error {
	id, r, err := reportParams(c)
	if err != nil {
		return err
	}
	pg, err := s.market.RowErrors(c.UserContext(), id, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// importDisagreements answers GET
// /api/v1/marketplace/imports/{id}/disagreements.
func (s *server) importDisagreements(c *fiber.Ctx) error {
	id, r, err := reportParams(c)
	if err != nil {
		return err
	}
	pg, err := s.market.Disagreements(c.UserContext(), id, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}
