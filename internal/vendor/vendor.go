// Package vendor is the platform's side of a vendor: creating it with its
// first Owner, its registry details and shop settings, suspending, resuming
// and deleting it, and listing vendors with their figures. The super admins'
// API and the `bazaar tenant` commands both go through it, and every change
// it makes is recorded in the platform audit trail with who made it.
package vendor

import (
	"log/slog"

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

// Options configure the Service.
type Options struct{}

// Service manages vendors on the platform.
type Service struct {
	db  *tenantdb.DB
	o   Options
	log *slog.Logger
}

// New builds the Service.
func New(db *tenantdb.DB, o Options, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, o: o, log: log}
}
