package team

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/invitation"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// AcceptInput accepts an invitation (POST /auth/register). A newcomer sets a
// password and names; someone who already has an account proves it is theirs
// with their current password (or by being signed in as them: AsUser).
type AcceptInput struct {
	Token     string `json:"token"`
	Password  string `json:"password"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	AsUser    int    `json:"-"` // the signed-in user, if any
	IP        string `json:"-"`
	RequestID string `json:"-"`
}

// Accepted is the outcome of accepting.
type Accepted struct {
	UserID     int     `json:"user_id"`
	Email      string  `json:"email"`
	NewAccount bool    `json:"new_account"`
	Role       RoleRef `json:"role"`
}

// ValidatePassword checks a new password (identity.ValidatePassword).
type ValidatePassword func(password, email string) error

func errInvitation(code, msg string) error {
	return &fault.Error{Kind: fault.Gone, Code: code, Message: msg}
}

var errNoInvitation = &fault.Error{Kind: fault.NotFound, Code: "invalid_invitation", Message: "this invitation link is not valid"}

// Accept turns an invitation into a membership of the vendor whose
// transaction is bound to ctx (the host the request came to; an invitation
// of another vendor is not found here). Used, revoked and expired
// invitations change nothing.
func (s *Service) Accept(ctx context.Context, in AcceptInput, validate ValidatePassword) (*Accepted, error) {
	if in.Token == "" || len(in.Token) > 100 {
		return nil, errNoInvitation
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := roleNames(ctx)
	if err != nil {
		return nil, err
	}
	var out Accepted
	err = s.platformTx(ctx, func(tx *platform.Tx) error {
		inv, err := tx.Invitation.Query().
			Where(invitation.TokenHash(hashToken(in.Token)), invitation.VendorID(t.ID)).
			ForUpdate().
			Only(ctx)
		if platform.IsNotFound(err) {
			return errNoInvitation
		}
		if err != nil {
			return err
		}
		switch {
		case inv.AcceptedAt != nil:
			return errInvitation("invitation_used", "this invitation has already been accepted; sign in instead")
		case inv.RevokedAt != nil:
			return errInvitation("invitation_revoked", "this invitation was withdrawn; ask the shop for a new one")
		case !time.Now().Before(inv.ExpiresAt):
			return errInvitation("invitation_expired", "this invitation has expired; ask the shop to resend it")
		}
		roleName, ok := roles[inv.RoleID]
		if !ok {
			return errInvitation("invitation_role_gone", "the role this invitation offered no longer exists; ask the shop for a new invitation")
		}
		u, err := tx.User.Query().Where(user.Email(inv.Email)).Only(ctx)
		switch {
		case platform.IsNotFound(err):
			if u, err = s.newAccount(ctx, tx, inv.Email, in, validate); err != nil {
				return err
			}
			out.NewAccount = true
		case err != nil:
			return err
		case in.AsUser == u.ID:
			// signed in as the invitee: proven
		default:
			ok, _, err := s.passwords.Verify(ctx, in.Password, u.PasswordHash)
			if err != nil {
				return err
			}
			if !ok || !u.Active {
				return &fault.Error{Kind: fault.Unauthenticated, Code: "invalid_credentials",
					Message: "an account with this email exists: give its password (or sign in) to accept"}
			}
		}
		if err := s.join(ctx, tx, t, inv, u); err != nil {
			return err
		}
		out.UserID, out.Email, out.Role = u.ID, u.Email, RoleRef{ID: inv.RoleID, Name: roleName}
		return audit.Vendor(ctx, audit.Event{
			ActorID: u.ID, ActorEmail: u.Email, Action: "team.invite_accepted", TargetType: "invitation", TargetID: strconv.Itoa(inv.ID),
			After: map[string]any{"user_id": u.ID, "role": roleName, "role_id": inv.RoleID, "new_account": out.NewAccount},
			IP:    in.IP, RequestID: in.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *Service) newAccount(ctx context.Context, tx *platform.Tx, email string, in AcceptInput, validate ValidatePassword) (*platform.User, error) {
	f := map[string]string{}
	first, last := strings.TrimSpace(in.FirstName), strings.TrimSpace(in.LastName)
	if first == "" || len(first) > 100 {
		f["first_name"] = "must be 1 to 100 characters"
	}
	if len(last) > 100 {
		f["last_name"] = "must be at most 100 characters"
	}
	if err := validate(in.Password, email); err != nil {
		if fe, ok := fault.As(err); ok {
			for k, v := range fe.Fields {
				f[k] = v
			}
		} else {
			return nil, err
		}
	}
	if err := fault.Fields("the registration is not valid", f); err != nil {
		return nil, err
	}
	hash, err := s.passwords.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	return tx.User.Create().SetEmail(email).SetFirstName(first).SetLastName(last).SetPasswordHash(hash).Save(ctx)
}

// join makes u a member with the invitation's role (reactivating an earlier
// membership) and spends the invitation.
func (s *Service) join(ctx context.Context, tx *platform.Tx, t *tenantdb.Tenant, inv *platform.Invitation, u *platform.User) error {
	existing, err := tx.Membership.Query().Where(membership.VendorID(t.ID), membership.UserID(u.ID)).ForUpdate().Only(ctx)
	switch {
	case platform.IsNotFound(err):
		err = tx.Membership.Create().SetUserID(u.ID).SetVendorID(t.ID).SetRoleID(inv.RoleID).SetInvitedBy(inv.InvitedBy).Exec(ctx)
	case err != nil:
	case existing.Active:
		return &fault.Error{Kind: fault.Conflict, Code: "already_member", Message: "you are already on this team"}
	default:
		err = tx.Membership.UpdateOne(existing).SetRoleID(inv.RoleID).SetActive(true).SetInvitedBy(inv.InvitedBy).Exec(ctx)
	}
	if err != nil {
		return err
	}
	if err := tx.Invitation.UpdateOne(inv).SetAcceptedAt(time.Now()).SetAcceptedBy(u.ID).Exec(ctx); err != nil {
		return err
	}
	return s.membersChanged(ctx, tx, t.ID)
}
