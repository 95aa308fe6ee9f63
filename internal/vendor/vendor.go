// Package vendor is the platform's side of a vendor: creating it with its
// first Owner, its registry details and shop settings, suspending, resuming
// and deleting it, and listing vendors with their figures. The super admins'
// API and the `bazaar tenant` commands both go through it, and every change
// it makes is recorded in the platform audit trail, in the change's own
// transaction, with who made it.
//
// The vendor's Owner, its import configuration and its catalogue figures
// belong to other domains (team, marketplace); cmd composes them in through
// Options, so this package imports none of them.
package vendor

import (
	"context"
	"log/slog"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/tenantdb"
)

// Actor is who makes a change: a super admin over HTTP, or an operator at the
// command line (UserID 0, Email naming the operating-system user).
type Actor struct {
	UserID    int
	Email     string
	IP        string
	RequestID string
}

// Owner is the person a new vendor is given as its first Owner.
type Owner struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Phone     string `json:"phone"`
	// PasswordHash is a bulk file's initial password, hashed on arrival: a
	// new e-mail then gets an account with it (to be changed at first
	// sign-in) instead of an invitation. Never read from a request.
	PasswordHash string `json:"-"`
}

// OwnerGrant is what giving a vendor its Owner did: "member" (an existing
// account became Owner), "invited" (an invitation was mailed) or
// "unchanged".
type OwnerGrant struct {
	Outcome      string `json:"outcome"`
	Email        string `json:"email"`
	UserID       int    `json:"user_id,omitempty"`
	InvitationID int    `json:"invitation_id,omitempty"`
}

// OwnerFunc gives vendor t its Owner, in transactions of its own, recording
// the grant in the platform audit trail; link makes the URL an invitation
// mail carries from its token (the team's GrantOwner).
type OwnerFunc func(ctx context.Context, t *tenantdb.Tenant, by Actor, o Owner, link func(token string) string) (OwnerGrant, error)

// Feed is one language's catalogue file.
type Feed struct {
	Language string `json:"language"`
	URL      string `json:"url"`
}

// Feeds checks and saves a vendor's import configuration (the
// marketplace's).
type Feeds interface {
	// Check names each problem of feeds by its path under "feeds"
	// (feeds.fr), without touching anything.
	Check(feeds []Feed) map[string]string
	// Save makes feeds the vendor's active daily import, in a transaction
	// of its own bound to t.
	Save(ctx context.Context, t *tenantdb.Tenant, by int, feeds []Feed) error
}

// Figures are what the platform knows of a vendor's activity without
// visiting its schema.
type Figures struct {
	Members    int         `json:"members"`
	Products   int         `json:"products"`
	LastImport *LastImport `json:"last_import"`
}

// LastImport is the vendor's newest import job.
type LastImport struct {
	JobID      int        `json:"job_id"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// FiguresFunc reads the catalogue and import figures of vendors from the
// platform side (Members is filled in here).
type FiguresFunc func(ctx context.Context, vendorIDs []int) (map[int]Figures, error)

// Passwords checks and hashes a bulk file's initial passwords (identity's
// policy and hasher).
type Passwords interface {
	Validate(password, email string) error
	Hash(ctx context.Context, password string) (string, error)
}

// Enqueuer starts the queue job that runs a bulk vendor import.
type Enqueuer interface {
	EnqueueBulk(ctx context.Context, importID int) error
}

// Options configure the Service. Owner and Feeds are needed to create
// vendors with an owner and feeds; Figures, to list products and imports;
// Passwords and Bulk, for bulk vendor files.
type Options struct {
	Links     Links
	Owner     OwnerFunc
	Feeds     Feeds
	Figures   FiguresFunc
	Passwords Passwords
	Bulk      BulkLimits
	// Spares is how many spare schemas a bulk run keeps ready beside it
	// (tenant.spare_schemas); 0 leaves them to the server's top-up.
	Spares int
	// MaxDomains bounds the custom domains one shop may hold
	// (tenant.max_custom_domains); 0 is no bound (the command line's).
	MaxDomains int
}

// Service manages vendors on the platform.
type Service struct {
	db    *tenantdb.DB
	o     Options
	log   *slog.Logger
	queue Enqueuer // nil: bulk imports are run by the caller (the command line)
}

// New builds the Service.
func New(db *tenantdb.DB, o Options, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, o: o, log: log}
}

// UseQueue makes bulk imports run on the queue (serve).
func (s *Service) UseQueue(q Enqueuer) { s.queue = q }

// platformTx runs fn in a platform transaction, committing when it returns
// nil.
func (s *Service) platformTx(ctx context.Context, fn func(tx *platform.Tx) error) error {
	tx, err := s.db.Platform().Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
