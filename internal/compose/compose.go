// Package compose joins domains that must not import one another, for cmd
// and for the tests that build the same services: the vendor service gets
// its Owners from the team and its feeds from the marketplace, an import
// brings the catalogue's published products along, and the super admins'
// account oversight ends sessions and forces password resets through
// identity.
package compose

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/account"
	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/marketplace"
	"github.com/bazaar/bazaar/internal/team"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb"
)

// Vendors builds the vendor service with o's links and limits, giving
// Owners through tm, feeds through market, and checking and hashing bulk
// files' initial passwords with identity's policy and hasher.
func Vendors(db *tenantdb.DB, o vendor.Options, tm *team.Service, market *marketplace.Service, hasher *identity.Hasher, log *slog.Logger) *vendor.Service {
	o.Owner, o.Feeds, o.Passwords, o.Figures = ownerWith(tm), feedsWith{db, market}, passwords{hasher}, figuresWith(market)
	return vendor.New(db, o, log)
}

// figuresWith reads each vendor's products and last import from what the
// shops report about themselves (tenant_reports), for the vendor list.
func figuresWith(market *marketplace.Service) vendor.FiguresFunc {
	return func(ctx context.Context, ids []int) (map[int]vendor.Figures, error) {
		fs, err := market.Figures(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[int]vendor.Figures, len(fs))
		for id, f := range fs {
			v := vendor.Figures{Products: int(f.Products)}
			if l := f.LastImport; l != nil {
				v.LastImport = &vendor.LastImport{JobID: l.JobID, Status: l.Status, CreatedAt: l.CreatedAt, FinishedAt: l.FinishedAt}
			}
			out[id] = v
		}
		return out, nil
	}
}

// passwords are identity's policy and hasher.
type passwords struct{ *identity.Hasher }

func (passwords) Validate(password, email string) error {
	return identity.ValidatePassword(password, email)
}

// CatalogSync lets an import bring the catalogue's published products
// along.
func CatalogSync(cat *catalog.Service) marketplace.SyncFunc {
	return func(ctx context.Context, jobID int) (int, error) {
		r, err := cat.Sync(ctx, jobID)
		return r.Drifted, err
	}
}

// ownerWith lets the vendor service give a new vendor its Owner through
// the team's invitations and memberships.
func ownerWith(tm *team.Service) vendor.OwnerFunc {
	return func(ctx context.Context, t *tenantdb.Tenant, by vendor.Actor, o vendor.Owner, link func(string) string) (vendor.OwnerGrant, error) {
		g, err := tm.GrantOwner(ctx, t, team.Actor{UserID: by.UserID, Email: by.Email, IP: by.IP, RequestID: by.RequestID},
			team.NewOwner{Email: o.Email, FirstName: o.FirstName, LastName: o.LastName, PasswordHash: o.PasswordHash}, link)
		return vendor.OwnerGrant(g), err
	}
}

// feedsWith lets the vendor service check and save a new vendor's feeds as
// the marketplace's import configuration (active, daily).
type feedsWith struct {
	db     *tenantdb.DB
	market *marketplace.Service
}

func (f feedsWith) config(feeds []vendor.Feed) marketplace.Config {
	c := marketplace.Config{Schedule: marketplace.ScheduleDaily, Active: true}
	for _, fd := range feeds {
		c.Feeds = append(c.Feeds, schema.FeedURL{Language: fd.Language, URL: fd.URL})
	}
	return c
}

// Check names the marketplace's problems by language (feeds.fr) rather
// than position, as the vendor's feeds are given.
func (f feedsWith) Check(feeds []vendor.Feed) map[string]string {
	bad := map[string]string{}
	for k, msg := range f.market.CheckConfig(f.config(feeds)) {
		var i int
		var rest string
		if n, _ := fmt.Sscanf(k, "feeds[%d].%s", &i, &rest); n == 2 && i < len(feeds) {
			k = "feeds." + feeds[i].Language
			if rest == "language" {
				k += " (language)"
			}
		}
		bad[k] = msg
	}
	return bad
}

func (f feedsWith) Save(ctx context.Context, t *tenantdb.Tenant, by int, feeds []vendor.Feed) error {
	return f.db.Tx(ctx, t, func(ctx context.Context) error {
		_, err := f.market.SetConfig(ctx, by, f.config(feeds))
		return err
	})
}

// Accounts builds the account oversight with o's links, ending sessions and
// forcing password resets through identity.
func Accounts(db *tenantdb.DB, o account.Options, ids *identity.Service, log *slog.Logger) *account.Service {
	o.Accounts = accountsWith{ids}
	return account.New(db, o, log)
}

// accountsWith are identity's operations on an account, for the account
// oversight.
type accountsWith struct{ ids *identity.Service }

func (a accountsWith) RevokeAllSessions(ctx context.Context, tx *platform.Tx, userID int, reason string) error {
	return a.ids.RevokeAllSessions(ctx, tx, userID, reason)
}

func (a accountsWith) ForceReset(ctx context.Context, tx *platform.Tx, userID int, by account.Actor, reason string, link func(string) string) error {
	return a.ids.ForcePasswordReset(ctx, tx, userID,
		identity.ResetBy{UserID: by.UserID, Email: by.Email, IP: by.IP, RequestID: by.RequestID, Reason: reason}, link)
}
