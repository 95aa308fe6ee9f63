package marketplace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importjob"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Starting imports for many vendors at once, the super admins' other half
// of the monitoring (monitor.go): one transaction bound to each vendor, as a
// manual import, and one event in the platform's trail for the whole.

// TriggerAdmin says a super admin started the job (TriggerImports).
const TriggerAdmin = "admin"

// Actor is who starts imports across vendors, as the audit trails record
// them.
type Actor struct {
	UserID    int
	Email     string
	IP        string
	RequestID string
}

// TriggerSelection says which vendors TriggerImports starts: the vendors
// listed, or all of them — exactly one of the two.
type TriggerSelection struct {
	VendorIDs []int `json:"vendor_ids"`
	All       bool  `json:"all"`
}

// MaxTriggerVendors bounds the vendors one TriggerImports lists by id.
const MaxTriggerVendors = 1000

// What became of a vendor in TriggerImports, and why one was skipped.
const (
	OutcomeStarted  = "started"
	OutcomeSkipped  = "skipped"
	OutcomeNotFound = "not_found"
	OutcomeFailed   = "failed"

	SkipAlreadyRunning = "already_running" // a job is queued or running (JobID names it)
	SkipNoFeeds        = "no_feeds"        // no feed configured
	SkipSwitchedOff    = "switched_off"    // the configuration is not active
	SkipSuspended      = "suspended"       // the shop is suspended
	SkipUpgrading      = "upgrading"       // the shop's schema is behind this binary's migrations
)

// TriggerOutcome is one vendor's line of a TriggerReport.
type TriggerOutcome struct {
	VendorID int    `json:"vendor_id"`
	Slug     string `json:"slug,omitempty"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason,omitempty"` // why it was skipped
	JobID    int    `json:"job_id,omitempty"` // the job started, or the one already running
	Message  string `json:"message,omitempty"`
}

// TriggerReport says, per vendor in id order, what TriggerImports did.
type TriggerReport struct {
	Started  int              `json:"started"`
	Skipped  int              `json:"skipped"`
	NotFound int              `json:"not_found"`
	Failed   int              `json:"failed"`
	Vendors  []TriggerOutcome `json:"vendors"`
}

// triggerParallel is how many vendors TriggerImports starts at once.
const triggerParallel = 4

// TriggerImports starts an import for each vendor selected whose import is
// configured and active, as a manual import does (Trigger, in a transaction
// bound to the vendor, one per vendor), recorded in the vendor's trail. A
// vendor with an import queued or running, no feed, an inactive
// configuration, a suspended shop or a schema being upgraded is skipped; an
// id that is no vendor is reported not found. The whole is recorded in the
// platform's trail as imports.trigger_many with the report.
func (s *Service) TriggerImports(ctx context.Context, sel TriggerSelection, by Actor) (TriggerReport, error) {
	bad := map[string]string{}
	switch {
	case sel.All && len(sel.VendorIDs) > 0:
		bad["vendor_ids"] = "give vendor ids or all, not both"
	case !sel.All && len(sel.VendorIDs) == 0:
		bad["vendor_ids"] = "list at least one vendor id, or send all: true"
	case len(sel.VendorIDs) > MaxTriggerVendors:
		bad["vendor_ids"] = fmt.Sprintf("at most %d vendor ids (or all: true)", MaxTriggerVendors)
	}
	for i, id := range sel.VendorIDs {
		if id < 1 {
			bad[fmt.Sprintf("vendor_ids[%d]", i)] = "must be a vendor id (a positive whole number)"
		}
	}
	if err := fault.Fields("invalid selection", bad); err != nil {
		return TriggerReport{}, err
	}

	var tenants []*tenantdb.Tenant // nil where an id is no vendor
	var ids []int
	if sel.All {
		all, err := s.db.Tenants(ctx)
		if err != nil {
			return TriggerReport{}, err
		}
		tenants = all
		for _, t := range all {
			ids = append(ids, t.ID)
		}
	} else {
		ids = slices.Compact(slices.Sorted(slices.Values(sel.VendorIDs)))
		tenants = make([]*tenantdb.Tenant, len(ids))
		for i, id := range ids {
			t, err := s.db.TenantByID(ctx, id)
			if err != nil && !errors.Is(err, fault.ErrNotFound) {
				return TriggerReport{}, err
			}
			tenants[i] = t
		}
	}

	outcomes := make([]TriggerOutcome, len(tenants))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(triggerParallel, max(len(tenants), 1)) {
		wg.Go(func() {
			for i := range work {
				outcomes[i] = s.triggerOne(ctx, ids[i], tenants[i], by)
			}
		})
	}
	for i := range tenants {
		work <- i
	}
	close(work)
	wg.Wait()

	rep := TriggerReport{Vendors: outcomes}
	for _, o := range outcomes {
		switch o.Outcome {
		case OutcomeStarted:
			rep.Started++
		case OutcomeSkipped:
			rep.Skipped++
		case OutcomeNotFound:
			rep.NotFound++
		default:
			rep.Failed++
		}
	}
	if rep.Vendors == nil {
		rep.Vendors = []TriggerOutcome{}
	}
	after := map[string]any{"all": sel.All, "started": rep.Started, "skipped": rep.Skipped,
		"not_found": rep.NotFound, "failed": rep.Failed, "vendors": rep.Vendors}
	if !sel.All {
		after["vendor_ids"] = ids
	}
	if err := audit.Platform(context.WithoutCancel(ctx), s.db.Platform(), audit.Event{
		ActorID: by.UserID, ActorEmail: by.Email, Action: "imports.trigger_many", TargetType: "vendors",
		IP: by.IP, RequestID: by.RequestID, After: after,
	}); err != nil {
		return rep, err
	}
	return rep, nil
}

// triggerOne starts vendor id's import, in a transaction bound to it.
func (s *Service) triggerOne(ctx context.Context, id int, t *tenantdb.Tenant, by Actor) TriggerOutcome {
	o := TriggerOutcome{VendorID: id}
	skip := func(reason, msg string) TriggerOutcome {
		o.Outcome, o.Reason, o.Message = OutcomeSkipped, reason, msg
		return o
	}
	switch {
	case t == nil:
		o.Outcome, o.Message = OutcomeNotFound, fmt.Sprintf("no vendor %d", id)
		return o
	case !t.Active():
		o.Slug = t.Slug
		return skip(SkipSuspended, "the shop is suspended")
	case t.SchemaVersion < s.db.TenantLatest():
		o.Slug = t.Slug
		return skip(SkipUpgrading, "the shop's database is being upgraded: try again shortly")
	}
	o.Slug = t.Slug
	err := s.db.Tx(ctx, t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		cfg, err := loadConfig(ctx, c)
		switch {
		case err != nil:
			return err
		case len(cfg.Feeds) == 0:
			o = skip(SkipNoFeeds, "no feed is configured")
			return nil
		case !cfg.Active:
			o = skip(SkipSwitchedOff, "the import is switched off in its configuration")
			return nil
		}
		running, err := c.ImportJob.Query().Where(importjob.StatusIn(importjob.StatusQueued, importjob.StatusRunning)).First(ctx)
		if err == nil {
			o = skip(SkipAlreadyRunning, fmt.Sprintf("import %d is already %s", running.ID, running.Status))
			o.JobID = running.ID
			return nil
		} else if !tenant.IsNotFound(err) {
			return err
		}
		j, err := s.Trigger(ctx, &by.UserID, false, TriggerAdmin)
		if err != nil {
			return err
		}
		o.Outcome, o.JobID = OutcomeStarted, j.ID
		return audit.Vendor(ctx, audit.Event{ActorID: by.UserID, ActorEmail: by.Email, Action: "imports.trigger",
			TargetType: "import", TargetID: strconv.Itoa(j.ID), IP: by.IP, RequestID: by.RequestID,
			After: map[string]any{"dry_run": false, "trigger": TriggerAdmin}})
	})
	var fe *fault.Error
	switch {
	case err == nil:
		return o
	case errors.As(err, &fe) && fe.Kind == fault.Conflict:
		// Queued by someone else between the look and the insert.
		return skip(SkipAlreadyRunning, fe.Message)
	case errors.As(err, &fe):
		o.Outcome, o.JobID, o.Message = OutcomeFailed, 0, fe.Message
	default:
		s.log.Error("trigger imports: vendor", "tenant", t.Slug, "err", err)
		o.Outcome, o.JobID, o.Message = OutcomeFailed, 0, "internal error (logged)"
	}
	return o
}
