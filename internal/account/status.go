package account

import (
	"context"
	"strconv"
	"strings"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
)

// maxReason bounds the reason of a deactivation or reactivation.
const maxReason = 500

var (
	errSelf           = &fault.Error{Kind: fault.Forbidden, Code: "own_account", Message: "you cannot deactivate your own account"}
	errLastSuperAdmin = &fault.Error{Kind: fault.Conflict, Code: "last_super_admin", Message: "the platform keeps at least one active super admin"}
)

// Deactivate stops account id: it can no longer sign in, every session of
// it ends, and every access token it holds is refused on its very next
// request on every instance (the per-request check reads the account's
// active flag with its session). Its memberships are kept. The reason is
// required and recorded. Nobody deactivates themselves, and the platform
// keeps one active super admin: the active super admins' rows are locked
// first, so two of them deactivating each other at once cannot both
// succeed. Deactivating an inactive account changes nothing.
func (s *Service) Deactivate(ctx context.Context, a Actor, id int, reason string) (*Detail, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, fault.Fields("a deactivation needs a reason", map[string]string{"reason": "is required"})
	case len(reason) > maxReason:
		return nil, fault.Fields("the reason is too long", map[string]string{"reason": "must be at most 500 characters"})
	case id == a.UserID:
		return nil, errSelf
	}
	err := s.platformTx(ctx, func(tx *platform.Tx) error {
		admins, err := tx.User.Query().Where(user.PlatformRoleEQ(user.PlatformRoleSuperadmin), user.Active(true)).
			Order(user.ByID()).ForUpdate().IDs(ctx)
		if err != nil {
			return err
		}
		u, err := s.lockAccount(ctx, tx, id)
		if err != nil || !u.Active {
			return err
		}
		if u.PlatformRole == user.PlatformRoleSuperadmin && len(admins) <= 1 {
			return errLastSuperAdmin
		}
		if err := tx.User.UpdateOne(u).SetActive(false).Exec(ctx); err != nil {
			return err
		}
		if err := s.o.Accounts.RevokeAllSessions(ctx, tx, id, "deactivated"); err != nil {
			return err
		}
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "user.deactivate", TargetType: "user", TargetID: strconv.Itoa(id),
			Before: map[string]any{"active": true},
			After:  map[string]any{"active": false, "sessions_revoked": true, "reason": reason},
			IP:     a.IP, RequestID: a.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Reactivate lets account id sign in again (its sessions stay ended); the
// reason is optional and recorded. Reactivating an active account changes
// nothing.
func (s *Service) Reactivate(ctx context.Context, a Actor, id int, reason string) (*Detail, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > maxReason {
		return nil, fault.Fields("the reason is too long", map[string]string{"reason": "must be at most 500 characters"})
	}
	err := s.platformTx(ctx, func(tx *platform.Tx) error {
		u, err := s.lockAccount(ctx, tx, id)
		if err != nil || u.Active {
			return err
		}
		if err := tx.User.UpdateOne(u).SetActive(true).Exec(ctx); err != nil {
			return err
		}
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "user.reactivate", TargetType: "user", TargetID: strconv.Itoa(id),
			Before: map[string]any{"active": false}, After: map[string]any{"active": true, "reason": reason},
			IP: a.IP, RequestID: a.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

func (s *Service) lockAccount(ctx context.Context, tx *platform.Tx, id int) (*platform.User, error) {
	u, err := tx.User.Query().Where(user.ID(id)).ForUpdate().Only(ctx)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no account %d", id)
	}
	return u, err
}
