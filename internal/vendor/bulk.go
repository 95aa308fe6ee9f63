package vendor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	entvendor "github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/ent/platform/vendorimportrow"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
)

// What a row of a bulk file comes to.
const (
	WouldCreate    = "create"    // dry run: a new vendor
	WouldKeep      = "unchanged" // the vendor exists as the row describes it
	RowInvalid     = "invalid"   // dry run: the row is refused, its problems named
	OutcomePending = "pending"
	OutcomeCreated = "created"
	OutcomeSame    = "unchanged"
	OutcomeFailed  = "failed"
)

// BulkCheck is one row of a bulk file as checked: what would come of it,
// and every problem, by column.
type BulkCheck struct {
	Line      int               `json:"line"`
	Subdomain string            `json:"subdomain"`
	Outcome   string            `json:"outcome"`
	Problems  map[string]string `json:"problems,omitempty"`
}

// BulkReport is a dry run: every row, and the counts.
type BulkReport struct {
	Rows      int         `json:"rows"`
	Create    int         `json:"create"`
	Unchanged int         `json:"unchanged"`
	Invalid   int         `json:"invalid"`
	Lines     []BulkCheck `json:"lines"`
}

// CheckBulk checks every row of a bulk file without writing anything: the
// subdomain's rules and its uniqueness in the file and against existing
// vendors (one with the same subdomain and name is the row done before:
// unchanged; another name is a conflict), the owner's e-mail, the country,
// the feed URL through the download guard and the initial password against
// the password policy.
func (s *Service) CheckBulk(ctx context.Context, rows []BulkRow) (BulkReport, error) {
	checks, err := s.checkBulk(ctx, rows)
	if err != nil {
		return BulkReport{}, err
	}
	r := BulkReport{Rows: len(rows), Lines: checks}
	for _, c := range checks {
		switch c.Outcome {
		case WouldCreate:
			r.Create++
		case WouldKeep:
			r.Unchanged++
		default:
			r.Invalid++
		}
	}
	return r, nil
}

func (s *Service) checkBulk(ctx context.Context, rows []BulkRow) ([]BulkCheck, error) {
	slugs := make([]string, 0, len(rows))
	for _, r := range rows {
		slugs = append(slugs, r.Subdomain)
	}
	existing, err := s.db.Platform().Vendor.Query().Where(entvendor.SlugIn(slugs...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("vendor: bulk check: %w", err)
	}
	names := map[string]string{}
	for _, v := range existing {
		names[v.Slug] = v.Name
	}
	firstLine := map[string]int{}
	out := make([]BulkCheck, len(rows))
	for i, r := range rows {
		bad := s.checkBulkRow(r)
		if prev, dup := firstLine[r.Subdomain]; dup && r.Subdomain != "" {
			bad["subdomain"] = fmt.Sprintf("is on line %d already", prev)
		} else {
			firstLine[r.Subdomain] = r.Line
		}
		outcome := WouldCreate
		if name, ok := names[r.Subdomain]; ok && bad["subdomain"] == "" {
			if strings.EqualFold(name, r.VendorName) {
				outcome = WouldKeep
			} else {
				bad["subdomain"] = fmt.Sprintf("belongs to another vendor, %q", name)
			}
		}
		if len(bad) > 0 {
			outcome = RowInvalid
		}
		out[i] = BulkCheck{Line: r.Line, Subdomain: r.Subdomain, Outcome: outcome, Problems: bad}
	}
	return out, nil
}

// checkBulkRow names the problems of one row by column, as Create would.
func (s *Service) checkBulkRow(r BulkRow) map[string]string {
	in := NewVendor{Name: r.VendorName, Subdomain: r.Subdomain,
		Business: Business{Phone: r.OwnerPhone, Address: r.Address, City: r.City, PostalCode: r.PostalCode, Country: r.Country}}
	if r.FeedURL != "" {
		in.Feeds = map[string]string{defaultLanguage: r.FeedURL}
	}
	first, last := splitName(r.OwnerName)
	in.Owner = &Owner{Email: r.OwnerEmail, FirstName: first, LastName: last, Phone: r.OwnerPhone}
	bad := map[string]string{}
	if _, _, err := s.check(in); err != nil {
		fe, ok := fault.As(err)
		if !ok {
			bad["row"] = "could not be checked"
			return bad
		}
		for k, v := range fe.Fields {
			bad[bulkColumn(k)] = v
		}
	}
	if r.OwnerEmail == "" {
		bad["owner_email"] = "is required"
	}
	if len(r.OwnerName) > 200 {
		bad["owner_name"] = "must be at most 200 characters"
	}
	if r.Password != "" {
		if s.o.Passwords == nil {
			bad["initial_password"] = "cannot be accepted here"
		} else if err := s.o.Passwords.Validate(r.Password, strings.ToLower(r.OwnerEmail)); err != nil {
			bad["initial_password"] = passwordProblem(err)
		}
	}
	return bad
}

// bulkColumn names a problem of Create by the bulk file's column.
func bulkColumn(field string) string {
	switch {
	case field == "name":
		return "vendor_name"
	case field == "business_phone":
		return "owner_phone"
	case field == "owner.email":
		return "owner_email"
	case strings.HasPrefix(field, "owner."):
		return "owner_name"
	case strings.HasPrefix(field, "feeds"):
		return "letzshop_csv_url"
	}
	return field
}

// passwordProblem is what the policy says of a password — never the
// password.
func passwordProblem(err error) string {
	if fe, ok := fault.As(err); ok {
		for _, v := range fe.Fields {
			return v
		}
		return fe.Message
	}
	return "is not accepted"
}

// splitName splits "Marie-Claire Dupont Weber" into first name "Marie-Claire
// Dupont" and last name "Weber".
func splitName(n string) (first, last string) {
	n = strings.Join(strings.Fields(n), " ")
	if i := strings.LastIndexByte(n, ' '); i > 0 {
		return n[:i], n[i+1:]
	}
	return n, ""
}

// BulkImport is a bulk vendor import as super admins follow it.
type BulkImport struct {
	ID         int        `json:"id"`
	Status     string     `json:"status"`
	FileName   string     `json:"file_name"`
	Rows       int        `json:"rows"`
	RowsDone   int        `json:"rows_done"`
	Created    int        `json:"created"`
	Unchanged  int        `json:"unchanged"`
	Failed     int        `json:"failed"`
	ActorEmail string     `json:"actor_email,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

func bulkView(i *platform.VendorImport) BulkImport {
	return BulkImport{ID: i.ID, Status: string(i.Status), FileName: i.FileName, Rows: i.Rows, RowsDone: i.RowsDone,
		Created: i.Created, Unchanged: i.Unchanged, Failed: i.Failed, ActorEmail: i.ActorEmail,
		CreatedAt: i.CreatedAt, StartedAt: i.StartedAt, FinishedAt: i.FinishedAt}
}

// StartBulk records a bulk import of rows and queues its run: rows that
// fail their checks are recorded failed, with their problems, at once; the
// others wait for the run. Initial passwords are hashed here, before
// anything is written, and only the hashes are kept — until each owner's
// account is made. The file's name and SHA-256 are kept, never the file.
func (s *Service) StartBulk(ctx context.Context, a Actor, fileName string, sum [32]byte, rows []BulkRow) (*BulkImport, error) {
	checks, err := s.checkBulk(ctx, rows)
	if err != nil {
		return nil, err
	}
	hashes, err := s.hashPasswords(ctx, rows, checks)
	if err != nil {
		return nil, err
	}
	var out *platform.VendorImport
	err = s.platformTx(ctx, func(tx *platform.Tx) error {
		c := tx.VendorImport.Create().SetActorEmail(a.Email).SetActorIP(clip(a.IP, 64)).SetRequestID(clip(a.RequestID, 64)).
			SetFileName(clip(fileName, 255)).SetFileSha256(hex.EncodeToString(sum[:])).SetRows(len(rows))
		if a.UserID != 0 {
			c.SetCreatedBy(a.UserID)
		}
		imp, err := c.Save(ctx)
		if err != nil {
			return err
		}
		failed := 0
		creates := make([]*platform.VendorImportRowCreate, len(rows))
		for i, r := range rows {
			rc := tx.VendorImportRow.Create().SetImportID(imp.ID).SetLine(r.Line).
				SetVendorName(clip(r.VendorName, 200)).SetSubdomain(clip(r.Subdomain, 63)).
				SetOwnerName(clip(r.OwnerName, 200)).SetOwnerEmail(clip(r.OwnerEmail, 254)).SetOwnerPhone(clip(r.OwnerPhone, 50)).
				SetBusinessAddress(clip(r.Address, 300)).SetBusinessCity(clip(r.City, 100)).
				SetBusinessPostalCode(clip(r.PostalCode, 20)).SetBusinessCountry(clip(r.Country, 2)).
				SetLetzshopCsvURL(clip(r.FeedURL, 2000)).SetPasswordHash(hashes[i])
			if checks[i].Outcome == RowInvalid {
				failed++
				rc.SetOutcome(vendorimportrow.OutcomeFailed).SetReason(clip(problemText(checks[i].Problems), 1000)).SetDoneAt(time.Now())
			}
			creates[i] = rc
		}
		for chunk := range slices.Chunk(creates, 500) {
			if err := tx.VendorImportRow.CreateBulk(chunk...).Exec(ctx); err != nil {
				return err
			}
		}
		if imp, err = imp.Update().SetFailed(failed).SetRowsDone(failed).Save(ctx); err != nil {
			return err
		}
		out = imp
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "vendor.bulk_import", TargetType: "vendor_import", TargetID: fmt.Sprint(imp.ID),
			After: map[string]any{"file_name": fileName, "file_sha256": hex.EncodeToString(sum[:]), "rows": len(rows), "invalid": failed},
			IP:    a.IP, RequestID: a.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	if s.queue != nil {
		if err := s.queue.EnqueueBulk(ctx, out.ID); err != nil {
			// The import is recorded; the resume check will queue it.
			s.log.ErrorContext(ctx, "queue a bulk vendor import", "import", out.ID, "err", err)
		}
	}
	v := bulkView(out)
	return &v, nil
}

// hashPasswords hashes the initial passwords of the rows that passed their
// checks, a few at once (the hasher bounds its own concurrency).
func (s *Service) hashPasswords(ctx context.Context, rows []BulkRow, checks []BulkCheck) ([]string, error) {
	hashes := make([]string, len(rows))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		slots    = make(chan struct{}, 4)
	)
	for i, r := range rows {
		if r.Password == "" || checks[i].Outcome == RowInvalid {
			continue
		}
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			h, err := s.o.Passwords.Hash(ctx, r.Password)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			hashes[i] = h
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("vendor: hash initial passwords: %w", firstErr)
	}
	return hashes, nil
}

// problemText joins a row's problems, column by column, in column order.
func problemText(problems map[string]string) string {
	keys := slices.Sorted(maps.Keys(problems))
	slices.SortStableFunc(keys, func(a, b string) int {
		return slices.Index(BulkColumns, a) - slices.Index(BulkColumns, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + problems[k]
	}
	return strings.Join(parts, "; ")
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ReadBulk reads a bulk file with the service's limits (ReadBulkFile) and
// returns its rows and its SHA-256.
func (s *Service) ReadBulk(r io.Reader) ([]BulkRow, [32]byte, error) {
	lim := s.o.Bulk
	h := sha256.New()
	rows, err := ReadBulkFile(io.TeeReader(r, h), lim)
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return rows, sum, err
}
