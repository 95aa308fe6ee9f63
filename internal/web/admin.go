package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/vendor"
)

// adminHandlers are the super admins' routes on the admin site: the
// platform's audit trail.
type adminHandlers struct {
	audit        *audit.Service
	vendors      *vendor.Service // a vendor filter may name a slug
	log          *slog.Logger
	writeTimeout time.Duration // http.write_timeout, which an export moves on as it writes
}

func (h *adminHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/admin/audit", SuperAdmin, noTx, h.platformAudit},
		{"GET", "/api/v1/admin/audit/export", SuperAdmin, noTx, h.exportAudit},
	}
}

// exportTimeout bounds a streamed export of the trail as a whole: it reads
// a thousand events at a time and holds no transaction, so a long trail may
// take longer than a request; a client that stops reading is dropped by
// http.write_timeout all the same (see download).
const exportTimeout = 10 * time.Minute

// platformAudit answers GET /api/v1/admin/audit: platform audit events,
// newest first, filtered (auditFilter), a page at a time.
func (h *adminHandlers) platformAudit(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, audit.Limits, bad, "before")
	f, err := h.auditFilter(c, bad)
	if err != nil {
		return err
	}
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.audit.PlatformEvents(c.UserContext(), f, r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// exportAudit answers GET /api/v1/admin/audit/export: the filtered trail as
// CSV, streamed after the handler returns.
func (h *adminHandlers) exportAudit(c *fiber.Ctx) error {
	bad := map[string]string{}
	f, err := h.auditFilter(c, bad)
	if err != nil {
		return err
	}
	if err := fault.Fields("invalid export parameters", bad); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="bazaar-audit-`+time.Now().UTC().Format("20060102T150405Z")+`.csv"`)
	download(c, h.log, h.writeTimeout, exportTimeout, "audit export", func(ctx context.Context, w io.Writer) error {
		return h.audit.ExportPlatform(ctx, f, w)
	})
	return nil
}

// auditFilter reads the trail's filters, naming each bad one in bad:
// action (one, or a family ending in "."), actor (a user id or an e-mail),
// vendor (an id or a slug), since and until (RFC 3339; until exclusive).
func (h *adminHandlers) auditFilter(c *fiber.Ctx, bad map[string]string) (audit.Filter, error) {
	f := audit.Filter{Action: strings.Clone(c.Query("action"))}
	if a := strings.TrimSpace(c.Query("actor")); a != "" {
		if id, err := strconv.Atoi(a); err == nil && id > 0 {
			f.ActorID = id
		} else if len(a) > 254 {
			bad["actor"] = "must be a user id or an e-mail address"
		} else {
			f.ActorEmail = strings.ToLower(a)
		}
	}
	if v := strings.TrimSpace(c.Query("vendor")); v != "" {
		if id, err := strconv.Atoi(v); err == nil && id > 0 {
			f.VendorID = id
		} else if id, err := h.vendors.BySlug(c.UserContext(), strings.Clone(v)); err == nil {
			f.VendorID = id
		} else if errors.Is(err, fault.ErrNotFound) || errors.Is(err, fault.ErrInvalid) {
			bad["vendor"] = "is neither a vendor id nor the slug of a vendor"
		} else {
			return f, err
		}
	}
	for name, at := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := c.Query(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				bad[name] = "must be a time in RFC 3339 form, such as 2026-12-01T00:00:00Z"
				continue
			}
			*at = t
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		bad["until"] = "must be after since"
	}
	return f, nil
}
