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
	if ok, wait := s.ips.allow(m.IP, time.Now()); !ok {
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
		token, hash := newSecret()
		if err := tx.PasswordReset.Create().
			SetUserID(u.ID).SetTokenHash(hash).SetExpiresAt(time.Now().Add(s.o.ResetTTL)).SetIP(clip(m.IP, 64)).
			Exec(ctx); err != nil {
			return err
		}
		if err := audit.Platform(ctx, tx.Client(), audit.Event{
			ActorID: u.ID, ActorEmail: u.Email, Action: "auth.password_reset_requested", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			IP: m.IP, RequestID: m.RequestID, VendorID: m.VendorID,
		}); err != nil {
			return err
		}
		return mail.Enqueue(ctx, tx, mail.Message{
			Kind:    "password_reset",
			To:      u.Email,
			Subject: "Reset your Bazaar password",
			Body: fmt.Sprintf("Hello %s,\r\n\r\nSomeone (hopefully you) asked to reset the password of your Bazaar account.\r\n"+
				"Open this link within %s to choose a new one:\r\n\r\n%s\r\n\r\n"+
				"If it was not you, ignore this mail: your password stays as it is.\r\n",
				firstNonEmpty(u.FirstName, u.Email), s.o.ResetTTL, link(token)),
		})
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
