package vendor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	entvendor "github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/ent/platform/vendorimport"
	"github.com/bazaar/bazaar/ent/platform/vendorimportrow"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// lockBulk is the advisory lock namespace ("bzbk") of bulk import runs: the
// second key is the import's id, so one run at a time works on an import,
// whichever instance holds it.
const lockBulk = 0x627a626b

// ErrBulkBusy says another run holds the import.
var ErrBulkBusy = errors.New("vendor: the bulk import is being run elsewhere")

// RunBulk onboards the pending rows of bulk import id in file order, one
// vendor at a time, and finishes the import. It resumes where a stopped run
// left off: a row is done once its outcome is recorded, and a vendor
// provisioned for a row is recorded on the row in its provisioning
// transaction, so a run killed between the two steps finishes that vendor
// instead of making another. progress, if given, is told after each row.
func (s *Service) RunBulk(ctx context.Context, id int, progress func(BulkImport)) error {
	conn, err := s.db.LockSession(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockBulk, id).Scan(&got); err != nil {
		return err
	}
	if !got {
		return ErrBulkBusy
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, lockBulk, id) //nolint:errcheck // the session closes anyway

	imp, err := s.db.Platform().VendorImport.Get(ctx, id)
	if platform.IsNotFound(err) {
		return fault.New(fault.NotFound, "no bulk import %d", id)
	}
	if err != nil {
		return err
	}
	if imp.Status != vendorimport.StatusQueued && imp.Status != vendorimport.StatusRunning {
		return nil // finished already
	}
	if imp.Status == vendorimport.StatusQueued {
		if imp, err = imp.Update().SetStatus(vendorimport.StatusRunning).SetStartedAt(time.Now()).Save(ctx); err != nil {
			return err
		}
	}
	if s.o.Spares > 0 {
		defer s.keepSpares(ctx, s.o.Spares)()
	}
	a := Actor{Email: imp.ActorEmail, IP: imp.ActorIP, RequestID: imp.RequestID}
	if imp.CreatedBy != nil {
		a.UserID = *imp.CreatedBy
	}
	// after is the last line handled: each query starts past it, so a long
	// file is walked once rather than rescanned from its first line per row.
	for after := 0; ; {
		row, err := s.db.Platform().VendorImportRow.Query().
			Where(vendorimportrow.ImportID(id), vendorimportrow.LineGT(after), vendorimportrow.OutcomeEQ(vendorimportrow.OutcomePending)).
			Order(vendorimportrow.ByLine()).First(ctx)
		if platform.IsNotFound(err) {
			break
		}
		if err != nil {
			return err
		}
		after = row.Line
		outcome, reason, err := s.onboardRow(ctx, a, row)
		if err != nil {
			return fmt.Errorf("vendor: bulk import %d, line %d: %w", id, row.Line, err)
		}
		if imp, err = s.finishRow(ctx, imp.ID, row, outcome, reason); err != nil {
			return err
		}
		if progress != nil {
			progress(bulkView(imp))
		}
	}
	status := vendorimport.StatusSucceeded
	switch {
	case imp.Failed > 0 && imp.Created+imp.Unchanged == 0:
		status = vendorimport.StatusFailed
	case imp.Failed > 0:
		status = vendorimport.StatusPartiallyFailed
	}
	// (imp came from finishRow's transaction: update through the client.)
	imp, err = s.db.Platform().VendorImport.UpdateOneID(id).SetStatus(status).SetFinishedAt(time.Now()).Save(ctx)
	if err == nil && progress != nil {
		progress(bulkView(imp))
	}
	return err
}

// onboardRow makes the row's vendor — or finds it made — with its feeds and
// Owner. A problem with the row (the subdomain taken meanwhile, the owner's
// account unusable) is its outcome; an error is for the run to retry.
func (s *Service) onboardRow(ctx context.Context, a Actor, row *platform.VendorImportRow) (outcome, reason string, err error) {
	first, last := splitName(row.OwnerName)
	owner := Owner{Email: row.OwnerEmail, FirstName: first, LastName: last, Phone: row.OwnerPhone, PasswordHash: row.PasswordHash}
	in := NewVendor{Name: row.VendorName, Subdomain: row.Subdomain, Owner: &owner,
		Business: Business{Phone: row.OwnerPhone, Address: row.BusinessAddress, City: row.BusinessCity,
			PostalCode: row.BusinessPostalCode, Country: row.BusinessCountry}}
	if row.LetzshopCsvURL != "" {
		in.Feeds = map[string]string{defaultLanguage: row.LetzshopCsvURL}
	}
	nv, feeds, err := s.check(in)
	if err != nil {
		return failedBy(err)
	}

	var t *tenantdb.Tenant
	made := row.VendorID != nil // provisioned by this row before the run stopped
	switch {
	case made:
		if t, err = s.db.TenantByID(ctx, *row.VendorID); err != nil {
			return failedBy(err)
		}
	default:
		existing, err := s.db.Platform().Vendor.Query().Where(entvendor.Slug(nv.Slug)).Only(ctx)
		switch {
		case err == nil && !strings.EqualFold(existing.Name, nv.Name):
			return OutcomeFailed, fmt.Sprintf("subdomain: belongs to another vendor, %q", existing.Name), nil
		case err == nil:
			if t, err = s.db.TenantByID(ctx, existing.ID); err != nil {
				return "", "", err
			}
		case !platform.IsNotFound(err):
			return "", "", err
		default:
			t, err = s.db.Provision(ctx, nv, s.createAudit(a), func(ctx context.Context, tx *platform.Tx, _, after *platform.Vendor) error {
				return tx.VendorImportRow.UpdateOne(row).SetVendorID(after.ID).Exec(ctx)
			})
			if err != nil {
				return failedBy(renameSlug(err))
			}
			made = true
		}
	}
	if made && len(feeds) > 0 {
		if err := s.o.Feeds.Save(ctx, t, a.UserID, feeds); err != nil {
			return "", "", err
		}
	}
	g, err := s.GiveOwner(ctx, a, t, owner)
	if err != nil {
		return failedBy(err)
	}
	switch {
	case made:
		return OutcomeCreated, "owner " + g.Outcome, nil
	case g.Outcome != "unchanged":
		return OutcomeCreated, "the vendor existed; its owner was given now (" + g.Outcome + ")", nil
	}
	return OutcomeSame, "", nil
}

// failedBy makes a problem of the row its outcome, and leaves anything else
// an error.
func failedBy(err error) (string, string, error) {
	fe, ok := fault.As(err)
	if !ok || fe.Kind == fault.Unavailable {
		return "", "", err
	}
	if len(fe.Fields) > 0 {
		named := map[string]string{}
		for k, v := range fe.Fields {
			named[bulkColumn(k)] = v
		}
		return OutcomeFailed, problemText(named), nil
	}
	return OutcomeFailed, fe.Message, nil
}

// finishRow records a row's outcome, forgets its password hash and counts
// it, in one transaction.
func (s *Service) finishRow(ctx context.Context, id int, row *platform.VendorImportRow, outcome, reason string) (*platform.VendorImport, error) {
	var imp *platform.VendorImport
	err := s.platformTx(ctx, func(tx *platform.Tx) error {
		if err := tx.VendorImportRow.UpdateOne(row).SetOutcome(vendorimportrow.Outcome(outcome)).
			SetReason(clip(reason, 1000)).SetPasswordHash("").SetDoneAt(time.Now()).Exec(ctx); err != nil {
			return err
		}
		u := tx.VendorImport.UpdateOneID(id).AddRowsDone(1)
		switch outcome {
		case OutcomeCreated:
			u.AddCreated(1)
		case OutcomeSame:
			u.AddUnchanged(1)
		default:
			u.AddFailed(1)
		}
		var err error
		imp, err = u.Save(ctx)
		return err
	})
	return imp, err
}

// createAudit records a vendor's creation with it.
func (s *Service) createAudit(a Actor) tenantdb.Also {
	return func(ctx context.Context, tx *platform.Tx, _, after *platform.Vendor) error {
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "vendor.create", TargetType: "vendor", TargetID: strconv.Itoa(after.ID),
			VendorID: after.ID, After: auditView(after), IP: a.IP, RequestID: a.RequestID,
		})
	}
}

// UnfinishedBulk lists the bulk imports still queued or running, oldest
// first: the resume check hands each to a run (which skips one another run
// holds).
func (s *Service) UnfinishedBulk(ctx context.Context) ([]int, error) {
	return s.db.Platform().VendorImport.Query().
		Where(vendorimport.StatusIn(vendorimport.StatusQueued, vendorimport.StatusRunning)).
		Order(vendorimport.ByID()).IDs(ctx)
}

// keepSpares tops the spare schemas up beside a bulk run until the returned
// stop is called: while this run claims a spare for each vendor (a rename),
// another backend makes the next one (the DDL), instead of each row paying
// for its schema's DDL itself.
func (s *Service) keepSpares(ctx context.Context, n int) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			made, err := s.db.FillSpares(ctx, n)
			if err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "topping up spare schemas beside a bulk import", "err", err)
			}
			if made == 0 {
				select {
				case <-ctx.Done():
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}
