package identity

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/passwordreset"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/mail"
)

var errResetToken = &fault.Error{Kind: fault.Invalid, Code: "invalid_reset_token", Message: "this password reset link is invalid, used or expired; ask for a new one"}

// RequestPasswordReset mails a single-use reset link to the account's
// address, if there is such an active account. The caller answers 202 either
// way, so the answer says nothing about which emails have accounts. link
// turns a token into the URL the mail carries.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, m Meta, link func(token string) string) error {
	// An existing account costs a few writes more than an unknown email:
	// every request takes at least resetFloor, so timing tells nothing.
	defer waitUntil(ctx, time.Now().Add(resetFloor))
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return err
	}
	if ok, wait := s.ips.Allow(m.IP, time.Now()); !ok {
		return errThrottled(wait)
	}
	return s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
		u, err := tx.User.Query().Where(user.Email(email), user.Active(true)).Only(ctx)
		if platform.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: u.ID, ActorEmail: u.Email, Action: "auth.password_reset_requested", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			IP: m.IP, RequestID: m.RequestID, VendorID: m.VendorID,
		}); err != nil {
			return err
		}
		return s.mailResetLink(ctx, tx, u, m.IP, link, func(url string) string {
			return fmt.Sprintf("Hello %s,\r\n\r\nSomeone (hopefully you) asked to reset the password of your Bazaar account.\r\n"+
				"Open this link within %s to choose a new one:\r\n\r\n%s\r\n\r\n"+
				"If it was not you, ignore this mail: your password stays as it is.\r\n",
				firstNonEmpty(u.FirstName, u.Email), s.o.ResetTTL, url)
		})
	})
}

// mailResetLink makes a single-use reset link for u, valid ResetTTL, and
// queues the mail that carries it (body makes the text around the URL) in
// tx: the link exists exactly when its mail does. Only the token's SHA-256
// is stored; no password is ever part of the mail.
func (s *Service) mailResetLink(ctx context.Context, tx *platform.Tx, u *platform.User, ip string, link func(token string) string, body func(url string) string) error {
	token, hash := newSecret()
	if err := tx.PasswordReset.Create().
		SetUserID(u.ID).SetTokenHash(hash).SetExpiresAt(time.Now().Add(s.o.ResetTTL)).SetIP(clip(ip, 64)).
		Exec(ctx); err != nil {
		return err
	}
	return mail.Enqueue(ctx, tx, mail.Message{
		Kind:    "password_reset",
		To:      u.Email,
		Subject: "Reset your Bazaar password",
		Body:    body(link(token)),
	})
}

// ResetBy is who forces a password reset on an account, for its audit
// record: a super admin, and what they did it with (a mass reset job).
type ResetBy struct {
	UserID    int
	Email     string
	IP        string
	RequestID string
	Reason    string // recorded with the event, e.g. "password reset job 12"
}

// ForcePasswordReset is a password reset someone else decided for account
// userID (a super admin's mass reset): the account must choose a new
// password (must_change_password), every session of it ends and every
// access token issued so far is refused on its next request, on every
// instance; and a single-use reset link is mailed through the outbox. The
// password itself is not changed and never travels: the user follows the
// link, or signs in and is held to their own account's routes until they
// choose one. It is recorded as auth.password_reset_requested, with the
// super admin as the actor.
//
// It runs in tx when given — the caller's transaction, so that the reset
// commits with whatever records it — or in a transaction of its own. An
// account that does not exist is not found; an inactive one is a conflict
// (its links would be refused).
func (s *Service) ForcePasswordReset(ctx context.Context, tx *platform.Tx, userID int, by ResetBy, link func(token string) string) error {
	if tx == nil {
		return s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
			return s.ForcePasswordReset(ctx, tx, userID, by, link)
		})
	}
	u, err := tx.User.Query().Where(user.ID(userID)).ForUpdate().Only(ctx)
	if platform.IsNotFound(err) {
		return fault.New(fault.NotFound, "no account %d", userID)
	}
	if err != nil {
		return err
	}
	if !u.Active {
		return fault.New(fault.Conflict, "account %d is deactivated", userID)
	}
	if err := tx.User.UpdateOne(u).SetMustChangePassword(true).Exec(ctx); err != nil {
		return err
	}
	if err := s.RevokeAllSessions(ctx, tx, u.ID, "password_reset_forced"); err != nil {
		return err
	}
	after := map[string]any{"forced": true, "must_change_password": true, "sessions_revoked": true}
	if by.Reason != "" {
		after["reason"] = by.Reason
	}
	if err := audit.Platform(ctx, tx.Client(), audit.Event{
		ActorID: by.UserID, ActorEmail: by.Email, Action: "auth.password_reset_requested", TargetType: "user", TargetID: strconv.Itoa(u.ID),
		Before: map[string]any{"must_change_password": u.MustChangePassword}, After: after, IP: by.IP, RequestID: by.RequestID,
	}); err != nil {
		return err
	}
	return s.mailResetLink(ctx, tx, u, by.IP, link, func(url string) string {
		return fmt.Sprintf("Hello %s,\r\n\r\nA Bazaar administrator has reset the password of your account: you have been "+
			"signed out everywhere, and you must choose a new password before you go on.\r\n"+
			"Open this link within %s to choose it:\r\n\r\n%s\r\n\r\n"+
			"Once it has expired, ask for a new password reset link.\r\n",
			firstNonEmpty(u.FirstName, u.Email), s.o.ResetTTL, url)
	})
}

// ConfirmPasswordReset sets a new password with a reset token, spends it and
// every other outstanding one, and ends every session of the user.
func (s *Service) ConfirmPasswordReset(ctx context.Context, token, password string, m Meta) error {
	if token == "" || len(token) > 100 {
		return errResetToken
	}
	return s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
		pr, err := tx.PasswordReset.Query().Where(passwordreset.TokenHash(HashSecret(token))).ForUpdate().Only(ctx)
		if platform.IsNotFound(err) {
			return errResetToken
		}
		if err != nil {
			return err
		}
		if pr.UsedAt != nil || !time.Now().Before(pr.ExpiresAt) {
			return errResetToken
		}
		u, err := tx.User.Get(ctx, pr.UserID)
		if err != nil {
			return err
		}
		if !u.Active {
			return errResetToken
		}
		if err := ValidatePassword(password, u.Email); err != nil {
			return err
		}
		hash, err := s.hasher.Hash(ctx, password)
		if err != nil {
			return err
		}
		if err := tx.PasswordReset.Update().
			Where(passwordreset.UserID(u.ID), passwordreset.UsedAtIsNil()).
			SetUsedAt(time.Now()).Exec(ctx); err != nil {
			return err
		}
		if err := tx.User.UpdateOne(u).SetPasswordHash(hash).SetMustChangePassword(false).Exec(ctx); err != nil {
			return err
		}
		if err := s.RevokeAllSessions(ctx, tx, u.ID, "password_reset"); err != nil {
			return err
		}
		return audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: u.ID, ActorEmail: u.Email, Action: "auth.password_reset", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			After: map[string]any{"sessions_revoked": true}, IP: m.IP, RequestID: m.RequestID, VendorID: m.VendorID,
		})
	})
}

// resetFloor is the least time a reset request takes, well above the
// difference between a known and an unknown email.
const resetFloor = 200 * time.Millisecond

func waitUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
