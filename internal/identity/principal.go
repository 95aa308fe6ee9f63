package identity

import (
	"context"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/session"
	"github.com/bazaar/bazaar/internal/fault"
)

// Principal is the signed-in user behind a request.
type Principal struct {
	UserID     int
	SessionID  int
	Email      string
	SuperAdmin bool
}

// userState is what is checked on every authenticated request, cached per
// user and dropped on every instance when the user's account or sessions
// change (NOTIFY), so a revoked session is refused on its next request.
type userState struct {
	email      string
	active     bool
	superAdmin bool
	validAfter time.Time    // tokens issued before this are refused
	revoked    map[int]bool // sessions revoked recently enough for their tokens to be alive
}

// Authenticate checks an access token and that it still stands for an active
// user and a live session.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	userID, claims, err := s.signer.verify(token)
	if err != nil {
		return nil, err
	}
	st, err := s.users.Get(userID, func() (*userState, error) { return s.loadState(ctx, userID) })
	if err != nil {
		return nil, err
	}
	switch {
	case !st.active, st.revoked[claims.SID]:
		return nil, errBadToken
	case claims.IssuedAt.Time.Before(st.validAfter.Truncate(time.Second)):
		return nil, errBadToken
	}
	return &Principal{UserID: userID, SessionID: claims.SID, Email: st.email, SuperAdmin: st.superAdmin}, nil
}

func (s *Service) loadState(ctx context.Context, userID int) (*userState, error) {
	u, err := s.db.Platform.User.Get(ctx, userID)
	if platform.IsNotFound(err) {
		return &userState{}, nil // deleted: inactive
	}
	if err != nil {
		return nil, err
	}
	now := time.Now()
	// A session revoked longer ago than an access token lives has no live
	// tokens left; only the recent ones need remembering.
	ids, err := s.db.Platform.Session.Query().
		Where(session.UserID(userID), session.RevokedAtGT(now.Add(-s.o.AccessTTL-time.Minute))).
		IDs(ctx)
	if err != nil {
		return nil, err
	}
	st := &userState{
		email: u.Email, active: u.Active, superAdmin: u.PlatformRole == "superadmin",
		validAfter: u.TokensValidAfter, revoked: make(map[int]bool, len(ids)),
	}
	for _, id := range ids {
		st.revoked[id] = true
	}
	return st, nil
}

// Me returns the signed-in user's account.
func (s *Service) Me(ctx context.Context, p *Principal) (*User, error) {
	u, err := s.db.Platform.User.Get(ctx, p.UserID)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.Unauthenticated, "the account no longer exists")
	}
	if err != nil {
		return nil, err
	}
	return userOf(u), nil
}
