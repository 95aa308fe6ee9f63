package identity

import (
	"context"
	"strconv"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/refreshtoken"
	"github.com/bazaar/bazaar/ent/platform/session"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
)

// Tokens are what a sign-in or refresh hands the client.
type Tokens struct {
	AccessToken      string    `json:"access_token"`
	AccessExpiresAt  time.Time `json:"access_expires_at"`
	RefreshToken     string    `json:"-"` // set as a cookie for browsers; in the body only when asked
	RefreshExpiresAt time.Time `json:"-"`
	SessionID        int       `json:"-"`
}

var errRefresh = &fault.Error{Kind: fault.Unauthenticated, Code: "invalid_refresh_token", Message: "the session has ended; sign in again"}

// StartSession opens a session for a user who has just proven who they are
// (by accepting an invitation, say).
func (s *Service) StartSession(ctx context.Context, userID int, m Meta) (*Tokens, error) {
	var t *Tokens
	err := s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) (err error) {
		t, err = s.startSession(ctx, tx, userID, m, time.Now())
		return err
	})
	return t, err
}

func (s *Service) startSession(ctx context.Context, tx *platform.Tx, userID int, m Meta, now time.Time) (*Tokens, error) {
	sess, err := tx.Session.Create().
		SetUserID(userID).
		SetIP(clip(m.IP, 64)).
		SetUserAgent(clip(m.UserAgent, 300)).
		SetExpiresAt(now.Add(s.o.SessionTTL)).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, tx, sess, now)
}

// issue writes a new refresh token for sess and signs an access token.
func (s *Service) issue(ctx context.Context, tx *platform.Tx, sess *platform.Session, now time.Time) (*Tokens, error) {
	refresh, hash := newSecret()
	exp := now.Add(s.o.RefreshTTL)
	if sess.ExpiresAt.Before(exp) {
		exp = sess.ExpiresAt
	}
	if err := tx.RefreshToken.Create().SetSessionID(sess.ID).SetTokenHash(hash).SetExpiresAt(exp).Exec(ctx); err != nil {
		return nil, err
	}
	access, accessExp, err := s.signer.issue(sess.UserID, sess.ID, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, AccessExpiresAt: accessExp, RefreshToken: refresh, RefreshExpiresAt: exp, SessionID: sess.ID}, nil
}

// Refresh exchanges a refresh token for a new pair. The presented token is
// spent; presenting a spent token again means two parties hold it — one of
// them a thief — so the whole session is revoked and the event audited.
func (s *Service) Refresh(ctx context.Context, token string, m Meta) (*Tokens, error) {
	if token == "" || len(token) > 100 {
		return nil, errRefresh
	}
	now := time.Now()
	var out *Tokens
	var reused bool
	err := s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
		rt, err := tx.RefreshToken.Query().
			Where(refreshtoken.TokenHash(HashSecret(token))).
			WithSession().
			ForUpdate().
			Only(ctx)
		if platform.IsNotFound(err) {
			return errRefresh
		}
		if err != nil {
			return err
		}
		sess := rt.Edges.Session
		u, err := tx.User.Get(ctx, sess.UserID)
		if err != nil {
			return err
		}
		switch {
		case sess.RevokedAt != nil, !now.Before(sess.ExpiresAt), !u.Active:
			return errRefresh
		case rt.UsedAt != nil:
			reused = true
			if err := s.revokeSession(ctx, tx, sess, "refresh_token_reuse"); err != nil {
				return err
			}
			return audit.Platform(ctx, tx.Client(), audit.Event{
				ActorID: sess.UserID, Action: "auth.refresh_token_reused", TargetType: "session", TargetID: strconv.Itoa(sess.ID),
				After: map[string]any{"revoked": true, "token_used_at": rt.UsedAt}, IP: m.IP, RequestID: m.RequestID, VendorID: m.VendorID,
			})
		case !now.Before(rt.ExpiresAt):
			return errRefresh
		}
		if err := tx.RefreshToken.UpdateOne(rt).SetUsedAt(now).Exec(ctx); err != nil {
			return err
		}
		if err := tx.Session.UpdateOne(sess).SetLastUsedAt(now).Exec(ctx); err != nil {
			return err
		}
		out, err = s.issue(ctx, tx, sess, now)
		return err
	})
	if reused && err == nil {
		return nil, errRefresh // the revocation committed; the client must sign in again
	}
	return out, err
}

// Logout revokes the session of a refresh token. An unknown or spent token
// is not an error: the session is over either way.
func (s *Service) Logout(ctx context.Context, refreshToken string, m Meta) error {
	return s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
		sess, err := tx.Session.Query().
			Where(session.HasRefreshTokensWith(refreshtoken.TokenHash(HashSecret(refreshToken)))).
			ForUpdate().
			Only(ctx)
		if platform.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.revokeSession(ctx, tx, sess, "logout")
	})
}

// LogoutSession revokes the session behind an access token.
func (s *Service) LogoutSession(ctx context.Context, p *Principal) error {
	return s.withTx(ctx, func(ctx context.Context, tx *platform.Tx) error {
		sess, err := tx.Session.Query().Where(session.ID(p.SessionID), session.UserID(p.UserID)).ForUpdate().Only(ctx)
		if platform.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.revokeSession(ctx, tx, sess, "logout")
	})
}

func (s *Service) revokeSession(ctx context.Context, tx *platform.Tx, sess *platform.Session, reason string) error {
	if sess.RevokedAt != nil {
		return nil
	}
	return tx.Session.UpdateOne(sess).SetRevokedAt(time.Now()).SetRevokedReason(reason).Exec(ctx)
}

// RevokeAllSessions ends every session of a user (a password reset, an
// administrator's decision). Access tokens die with their sessions.
func (s *Service) RevokeAllSessions(ctx context.Context, tx *platform.Tx, userID int, reason string) error {
	now := time.Now()
	if err := tx.Session.Update().
		Where(session.UserID(userID), session.RevokedAtIsNil()).
		SetRevokedAt(now).SetRevokedReason(reason).
		Exec(ctx); err != nil {
		return err
	}
	return tx.User.UpdateOneID(userID).SetTokensValidAfter(now).Exec(ctx)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
