package team

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// Invitation is a pending invitation as clients see it (never its token).
type Invitation struct {
	ID         int       `json:"id"`
	Email      string    `json:"email"`
	Role       RoleRef   `json:"role"`
	InvitedBy  int       `json:"invited_by"`
	ExpiresAt  time.Time `json:"expires_at"`
	Expired    bool      `json:"expired"`
	SendCount  int       `json:"send_count"`
	LastSentAt time.Time `json:"last_sent_at"`
	CreatedAt  time.Time `json:"created_at"`
}

func invitationOf(i *platform.Invitation, roles map[int]string) Invitation {
	return Invitation{
		ID: i.ID, Email: i.Email, Role: RoleRef{ID: i.RoleID, Name: roles[i.RoleID]}, InvitedBy: i.InvitedBy,
		ExpiresAt: i.ExpiresAt, Expired: !time.Now().Before(i.ExpiresAt), SendCount: i.SendCount, LastSentAt: i.LastSentAt, CreatedAt: i.CreatedAt,
	}
}

// InviteInput asks someone to join.
type InviteInput struct {
	Email  string `json:"email"`
	RoleID int    `json:"role_id"`
	Role   string `json:"role"` // a role name, when role_id is absent
}

// Link turns an invitation token into the URL mailed to the invitee.
type Link func(token string) string

// Invite creates an invitation and queues its mail in the same transaction.
// The invited role's permissions must all be held by the actor.
func (s *Service) Invite(ctx context.Context, a Actor, in InviteInput, link Link) (*Invitation, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	f := map[string]string{}
	if msg := mail.AddressProblem(email); msg != "" {
		f["email"] = msg
	}
	if in.RoleID == 0 && strings.TrimSpace(in.Role) == "" {
		f["role"] = "is required (a role name, or role_id)"
	}
	if err := fault.Fields("the invitation is not valid", f); err != nil {
		return nil, err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	r, err := roleByRef(ctx, in.RoleID, in.Role)
	if err != nil {
		return nil, err
	}
	if lacking := a.holdsAll(r.Permissions); len(lacking) > 0 {
		return nil, errEscalation(lacking)
	}
	roles := map[int]string{r.ID: r.Name}
	var out Invitation
	err = s.platformTx(ctx, func(tx *platform.Tx) error {
		member, err := tx.Membership.Query().
			Where(membership.VendorID(t.ID), membership.HasUserWith(user.Email(email))).
			Exist(ctx)
		if err != nil {
			return err
		}
		if member {
			return &fault.Error{Kind: fault.Conflict, Code: "already_member", Message: "this person is already on the team"}
		}
		pending, err := tx.Invitation.Query().
			Where(invitation.VendorID(t.ID), invitation.Email(email), invitation.AcceptedAtIsNil(), invitation.RevokedAtIsNil(), invitation.ExpiresAtGT(time.Now())).
			Exist(ctx)
		if err != nil {
			return err
		}
		if pending {
			return &fault.Error{Kind: fault.Conflict, Code: "already_invited", Message: "an invitation to this email is pending; resend or revoke it"}
		}
		inv, err := s.invite(ctx, tx, t, email, r.ID, a.UserID, func(token string) mail.Message {
			return s.invitationMail(t, a, email, r.Name, link(token))
		})
		if err != nil {
			return err
		}
		out = invitationOf(inv, roles)
		return audit.Vendor(ctx, audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "team.invite", TargetType: "invitation", TargetID: strconv.Itoa(inv.ID),
			After: map[string]any{"email": email, "role": r.Name, "role_id": r.ID, "expires_at": inv.ExpiresAt},
			IP:    a.IP, RequestID: a.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// invite records an invitation to email with role roleID and queues its
// mail (made from the token, which only the mail holds) in tx.
func (s *Service) invite(ctx context.Context, tx *platform.Tx, t *tenantdb.Tenant, email string, roleID, by int,
	message func(token string) mail.Message) (*platform.Invitation, error) {
	token, hash := newToken()
	inv, err := tx.Invitation.Create().
		SetVendorID(t.ID).SetEmail(email).SetRoleID(roleID).SetInvitedBy(by).
		SetTokenHash(hash).SetExpiresAt(time.Now().Add(s.o.InviteTTL)).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return inv, mail.Enqueue(ctx, tx, message(token))
}

func (s *Service) invitationMail(t *tenantdb.Tenant, a Actor, email, roleName, url string) mail.Message {
	return mail.Message{
		Kind:    "invitation",
		To:      email,
		Subject: fmt.Sprintf("You are invited to join %s on Bazaar", t.Name),
		Body: fmt.Sprintf("Hello,\r\n\r\n%s invites you to join the team of %s as %s.\r\n\r\n"+
			"Accept the invitation within %s:\r\n\r\n%s\r\n\r\n"+
			"If you did not expect this mail, ignore it.\r\n",
			a.Email, t.Name, roleName, humanDuration(s.o.InviteTTL), url),
	}
}

// invitationList pages the pending invitations by id.
var invitationList = page.ByID{List: "invitations", Bounds: ListLimits}

// Invitations lists the vendor's pending invitations (expired ones included,
// marked, so they can be resent) in id order, a page at a time.
func (s *Service) Invitations(ctx context.Context, r page.Request) (page.Page[Invitation], error) {
	bad := map[string]string{}
	limit, after := invitationList.Start(r, bad)
	if err := page.Invalid(bad); err != nil {
		return page.Page[Invitation]{}, err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return page.Page[Invitation]{}, err
	}
	roles, err := roleNames(ctx)
	if err != nil {
		return page.Page[Invitation]{}, err
	}
	rows, err := s.db.Platform().Invitation.Query().
		Where(invitation.VendorID(t.ID), invitation.AcceptedAtIsNil(), invitation.RevokedAtIsNil(), invitation.IDGT(after)).
		Order(invitation.ByID()).
		Limit(limit + 1).
		All(ctx)
	if err != nil {
		return page.Page[Invitation]{}, err
	}
	return page.Of(rows, limit, func(i *platform.Invitation) Invitation { return invitationOf(i, roles) },
		func(last *platform.Invitation) string { return invitationList.Cursor(last.ID) }), nil
}

// pendingForUpdate locks one pending invitation of the vendor and checks the
// actor may hand out its role.
func (s *Service) pendingForUpdate(ctx context.Context, tx *platform.Tx, t *tenantdb.Tenant, a Actor, id int) (*platform.Invitation, error) {
	inv, err := tx.Invitation.Query().
		Where(invitation.ID(id), invitation.VendorID(t.ID), invitation.AcceptedAtIsNil(), invitation.RevokedAtIsNil()).
		ForUpdate().
		Only(ctx)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no such pending invitation")
	}
	if err != nil {
		return nil, err
	}
	if r, err := roleByRef(ctx, inv.RoleID, ""); err == nil {
		if lacking := a.holdsAll(r.Permissions); len(lacking) > 0 {
			return nil, errEscalation(lacking)
		}
	}
	return inv, nil
}

// ResendInvitation mails a fresh link (the old one stops working) and renews
// the expiry.
func (s *Service) ResendInvitation(ctx context.Context, a Actor, id int, link Link) (*Invitation, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := roleNames(ctx)
	if err != nil {
		return nil, err
	}
	var out Invitation
	err = s.platformTx(ctx, func(tx *platform.Tx) error {
		inv, err := s.pendingForUpdate(ctx, tx, t, a, id)
		if err != nil {
			return err
		}
		token, hash := newToken()
		inv, err = tx.Invitation.UpdateOne(inv).
			SetTokenHash(hash).SetExpiresAt(time.Now().Add(s.o.InviteTTL)).
			AddSendCount(1).SetLastSentAt(time.Now()).
			Save(ctx)
		if err != nil {
			return err
		}
		if err := mail.Enqueue(ctx, tx, s.invitationMail(t, a, inv.Email, roles[inv.RoleID], link(token))); err != nil {
			return err
		}
		out = invitationOf(inv, roles)
		return audit.Vendor(ctx, audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "team.invite_resent", TargetType: "invitation", TargetID: strconv.Itoa(inv.ID),
			After: map[string]any{"email": inv.Email, "send_count": inv.SendCount, "expires_at": inv.ExpiresAt}, IP: a.IP, RequestID: a.RequestID,
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeInvitation makes a pending invitation unusable.
func (s *Service) RevokeInvitation(ctx context.Context, a Actor, id int) error {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return err
	}
	return s.platformTx(ctx, func(tx *platform.Tx) error {
		inv, err := s.pendingForUpdate(ctx, tx, t, a, id)
		if err != nil {
			return err
		}
		if err := tx.Invitation.UpdateOne(inv).SetRevokedAt(time.Now()).Exec(ctx); err != nil {
			return err
		}
		return audit.Vendor(ctx, audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "team.invite_revoked", TargetType: "invitation", TargetID: strconv.Itoa(inv.ID),
			Before: map[string]any{"email": inv.Email, "role_id": inv.RoleID}, IP: a.IP, RequestID: a.RequestID,
		})
	})
}

func newToken() (string, []byte) {
	b := make([]byte, 32) // 256 bits
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func humanDuration(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
