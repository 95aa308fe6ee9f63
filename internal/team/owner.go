package team

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/invitation"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/tenantdb"
)

// NewOwner is the person a new vendor is given as its Owner.
type NewOwner struct {
	Email     string
	FirstName string // greets them in the invitation mail
	LastName  string
	// PasswordHash, when set, is an initial password's hash (a bulk file's
	// initial_password, hashed on arrival): a new e-mail then gets an
	// account with it at once, to be changed at first sign-in, instead of
	// an invitation.
	PasswordHash string
}

// What GrantOwner did.
const (
	OwnerMember    = "member"    // an existing account became Owner
	OwnerInvited   = "invited"   // an Owner invitation was mailed
	OwnerAccount   = "account"   // an account was made with the initial password, to be changed at first sign-in
	OwnerUnchanged = "unchanged" // they were Owner, or invited as Owner, already
)

// OwnerGrant is the outcome of GrantOwner.
type OwnerGrant struct {
	Outcome      string `json:"outcome"`
	Email        string `json:"email"`
	UserID       int    `json:"user_id,omitempty"`
	InvitationID int    `json:"invitation_id,omitempty"`
}

// GrantOwner gives vendor t an Owner for a super admin or an operator (by):
// an existing account becomes Owner at once; a new e-mail gets an Owner
// invitation, committed with its mail in the outbox — a link to set a
// password, never a password. Asked again for the same person it changes
// nothing, so an interrupted onboarding can simply be repeated. Either way
// the grant is recorded in the platform audit trail in its transaction.
//
// It takes the tenant and opens its own transactions: the caller is bound to
// no vendor (the admin site, the command line).
func (s *Service) GrantOwner(ctx context.Context, t *tenantdb.Tenant, by Actor, o NewOwner, link Link) (OwnerGrant, error) {
	email := strings.ToLower(strings.TrimSpace(o.Email))
	if msg := mail.AddressProblem(email); msg != "" {
		return OwnerGrant{}, fault.Fields("the owner is not valid", map[string]string{"owner.email": msg})
	}
	var ownerID int
	if err := s.db.ReadTx(ctx, t, func(ctx context.Context) error {
		r, err := ownerRole(ctx)
		if err == nil {
			ownerID = r.ID
		}
		return err
	}); err != nil {
		return OwnerGrant{}, fmt.Errorf("team: owner role of %q: %w", t.Slug, err)
	}
	g := OwnerGrant{Email: email}
	err := s.platformTx(ctx, func(tx *platform.Tx) error {
		u, err := tx.User.Query().Where(user.Email(email)).Only(ctx)
		switch {
		case platform.IsNotFound(err) && o.PasswordHash != "":
			err = s.accountOwner(ctx, tx, t, by, email, o, ownerID, &g)
		case platform.IsNotFound(err):
			err = s.inviteOwner(ctx, tx, t, by, email, o.FirstName, ownerID, link, &g)
		case err == nil:
			err = s.makeOwner(ctx, tx, t, by, u, ownerID, &g)
		}
		if err != nil || g.Outcome == OwnerUnchanged {
			return err
		}
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: by.UserID, ActorEmail: by.Email, Action: "vendor.owner_grant", TargetType: "vendor", TargetID: strconv.Itoa(t.ID),
			VendorID: t.ID, After: map[string]any{"email": email, "outcome": g.Outcome, "user_id": g.UserID, "invitation_id": g.InvitationID},
			IP: by.IP, RequestID: by.RequestID,
		})
	})
	if err != nil {
		return OwnerGrant{}, err
	}
	if g.Outcome == OwnerMember || g.Outcome == OwnerAccount {
		s.policies.Invalidate(t.ID) // other instances follow the version bumped in the transaction
	}
	return g, nil
}

// makeOwner makes an existing account an active Owner of t.
func (s *Service) makeOwner(ctx context.Context, tx *platform.Tx, t *tenantdb.Tenant, by Actor, u *platform.User, ownerID int, g *OwnerGrant) error {
	g.UserID = u.ID
	m, err := tx.Membership.Query().Where(membership.VendorID(t.ID), membership.UserID(u.ID)).ForUpdate().Only(ctx)
	switch {
	case platform.IsNotFound(err):
		c := tx.Membership.Create().SetUserID(u.ID).SetVendorID(t.ID).SetRoleID(ownerID)
		if by.UserID != 0 {
			c.SetInvitedBy(by.UserID)
		}
		err = c.Exec(ctx)
	case err != nil:
		return err
	case m.Active && m.RoleID == ownerID:
		g.Outcome = OwnerUnchanged
		return nil
	default:
		err = tx.Membership.UpdateOne(m).SetRoleID(ownerID).SetActive(true).Exec(ctx)
	}
	if err != nil {
		return err
	}
	g.Outcome = OwnerMember
	return s.membersChanged(ctx, tx, t.ID)
}

// accountOwner makes an account with the initial password's hash, which
// its user must change at first sign-in, and makes it Owner of t.
func (s *Service) accountOwner(ctx context.Context, tx *platform.Tx, t *tenantdb.Tenant, by Actor, email string, o NewOwner, ownerID int, g *OwnerGrant) error {
	u, err := tx.User.Create().SetEmail(email).SetFirstName(clipName(o.FirstName)).SetLastName(clipName(o.LastName)).
		SetPasswordHash(o.PasswordHash).SetMustChangePassword(true).Save(ctx)
	if err != nil {
		return err
	}
	if err := s.makeOwner(ctx, tx, t, by, u, ownerID, g); err != nil {
		return err
	}
	g.Outcome = OwnerAccount
	return nil
}

func clipName(n string) string {
	n = strings.TrimSpace(n)
	if len(n) > 100 || hasControl(n) {
		return ""
	}
	return n
}

// inviteOwner mails an Owner invitation to an e-mail that has no account,
// unless one is pending already.
func (s *Service) inviteOwner(ctx context.Context, tx *platform.Tx, t *tenantdb.Tenant, by Actor, email, firstName string, ownerID int, link Link, g *OwnerGrant) error {
	pending, err := tx.Invitation.Query().
		Where(invitation.VendorID(t.ID), invitation.Email(email), invitation.RoleID(ownerID),
			invitation.AcceptedAtIsNil(), invitation.RevokedAtIsNil(), invitation.ExpiresAtGT(time.Now())).
		First(ctx)
	if err == nil {
		g.Outcome, g.InvitationID = OwnerUnchanged, pending.ID
		return nil
	}
	if !platform.IsNotFound(err) {
		return err
	}
	inv, err := s.invite(ctx, tx, t, email, ownerID, by.UserID, func(token string) mail.Message {
		return s.ownerMail(t, email, firstName, link(token))
	})
	if err != nil {
		return err
	}
	g.Outcome, g.InvitationID = OwnerInvited, inv.ID
	return nil
}

func (s *Service) ownerMail(t *tenantdb.Tenant, email, firstName, url string) mail.Message {
	hello := "Hello,"
	if n := strings.TrimSpace(firstName); n != "" && !hasControl(n) {
		hello = "Hello " + n + ","
	}
	return mail.Message{
		Kind:    "owner_invitation",
		To:      email,
		Subject: fmt.Sprintf("Your shop %s on Bazaar is ready", t.Name),
		Body: fmt.Sprintf("%s\r\n\r\nThe shop %s has been opened for you on Bazaar, and you are its Owner.\r\n\r\n"+
			"Create your account and choose your password within %s:\r\n\r\n%s\r\n\r\n"+
			"If you did not expect this mail, ignore it.\r\n",
			hello, t.Name, humanDuration(s.o.InviteTTL), url),
	}
}

// hasControl reports a control character (a greeting taken from input must
// not shape the mail).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
