package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/token"
)

// Logout scopes.
const (
	// ScopeLocal ends the caller's session.
	ScopeLocal = "local"
	// ScopeOthers ends every other session of the caller's user.
	ScopeOthers = "others"
	// ScopeGlobal ends every session of the caller's user.
	ScopeGlobal = "global"
)

// ValidScope reports whether scope is one Logout accepts.
func ValidScope(scope string) bool {
	return scope == ScopeLocal || scope == ScopeOthers || scope == ScopeGlobal
}

// Logout ends sessions of the principal's user as scope says. It is
// idempotent: ending a dead session is not an error.
func (s *Service) Logout(ctx context.Context, p Principal, scope string, c Client) error {
	return s.logout(ctx, p.UserID, p.SessionID, scope, c)
}

// LogoutAccess is Logout for the bearer of an access token, checked once.
// A token that has expired but is otherwise genuine still names its
// session and may end it, though not the user's others. A token that is
// invalid, or of a session already revoked, ends nothing and gives the
// error Authenticate would.
func (s *Service) LogoutAccess(ctx context.Context, raw, scope string, c Client) (Principal,
	error) {
	claims, err := s.verifier.VerifyExpired(raw)
	switch {
	case errors.Is(err, token.ErrExpired):
		scope = ScopeLocal
	case err != nil:
		return Principal{}, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	if s.revoked.has(claims.SessionID, s.now()) {
		return Principal{}, ErrSessionRevoked
	}
	p := principalOf(claims)
	return p, s.Logout(ctx, p, scope, c)
}

// LogoutRefresh is Logout for a caller who holds only a refresh token.
// An unknown or dead token ends nothing and is not an error.
func (s *Service) LogoutRefresh(ctx context.Context, plain, scope string, c Client) error {
	hash, ok := hashRefreshToken(plain)
	if !ok {
		return nil
	}
	tok, sess, err := s.store.RefreshToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up refresh token: %w", err)
	}
	if sess.Revoked() {
		return nil
	}
	if s.checkSession(sess) != nil {
		// An expired session's token proves too little to end the user's
		// other sessions; it may only end its own.
		scope = ScopeLocal
	}
	if !tok.RotatedAt.IsZero() && s.now().Sub(tok.RotatedAt) > s.cfg.RefreshGrace {
		// A spent token ends its own session, as on refresh, and no more.
		return s.endReused(ctx, sess, "logout", c)
	}
	return s.logout(ctx, sess.UserID, sess.ID, scope, c)
}

func (s *Service) logout(ctx context.Context, userID, sid, scope string, c Client) error {
	now := s.now()
	var err error
	switch scope {
	case ScopeLocal:
		_, err = s.endSession(ctx, sid, "logout", now)
	case ScopeOthers:
		_, err = s.endUserSessions(ctx, userID, sid, "logout_others", now)
	case ScopeGlobal:
		_, err = s.endUserSessions(ctx, userID, "", "logout_global", now)
		// The caller's own session may have been revoked in the store by
		// another instance that this one has not polled yet.
		s.revoke(sid, now)
	default:
		return fmt.Errorf("%w: unknown scope %q", ErrInvalidRequest, scope)
	}
	if err != nil {
		return err
	}
	s.emit(Event{Type: "logout", UserID: userID, SessionID: sid, Reason: scope, Client: c})
	return nil
}

// Me returns the principal's user, from a short-lived cache when it can.
func (s *Service) Me(ctx context.Context, p Principal) (store.User, error) {
	if u, ok := s.users.get(p.UserID, s.now()); ok {
		return u, nil
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrSessionRevoked
	}
	if err != nil {
		return store.User{}, fmt.Errorf("look up user %s: %w", p.UserID, err)
	}
	s.users.put(u, s.now())
	return u, nil
}

// Sessions returns the live sessions of the principal's user, newest
// first.
func (s *Service) Sessions(ctx context.Context, p Principal) ([]store.Session, error) {
	all, err := s.store.ListSessions(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("list sessions of user %s: %w", p.UserID, err)
	}
	live := all[:0]
	for _, sess := range all {
		if s.checkSession(sess) == nil && !s.revoked.has(sess.ID, s.now()) {
			live = append(live, sess)
		}
	}
	return live, nil
}

// RevokeSession ends one session of the principal's user. Another user's
// session, or one that does not exist, gives ErrNotFound.
func (s *Service) RevokeSession(ctx context.Context, p Principal, id string, c Client) error {
	sess, err := s.store.SessionByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sess.UserID != p.UserID) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("look up session %s: %w", id, err)
	}
	if _, err := s.endSession(ctx, id, "revoked_by_user", s.now()); err != nil {
		return err
	}
	s.emit(Event{Type: "session_revoked", UserID: p.UserID, SessionID: id, Client: c})
	return nil
}

// ChangePassword replaces the principal's password after checking the
// current one, and ends every other session of the user.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string,
	c Client) error {
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("look up user %s: %w", p.UserID, err)
	}
	ok, _, err := s.hasher.Verify(ctx, u.PasswordHash, current)
	if err != nil && (errors.Is(err, password.ErrBusy) || ctx.Err() != nil) {
		return hashErr(err)
	}
	if err != nil || !ok {
		s.emit(Event{Type: "password_change_failed", UserID: u.ID, SessionID: p.SessionID,
			Reason: "invalid_credentials", Client: c})
		return ErrInvalidCredentials
	}
	if err := password.Validate(next); err != nil {
		return fmt.Errorf("%w: %w", ErrWeakPassword, err)
	}
	hash, err := s.hash(ctx, next)
	if err != nil {
		return err
	}
	now := s.now()
	upd := store.UserUpdate{PasswordHash: &hash, UpdatedAt: now}
	if err := s.store.UpdateUser(ctx, u.ID, upd); err != nil {
		return fmt.Errorf("update password of user %s: %w", u.ID, err)
	}
	s.users.forget(u.ID)
	if _, err := s.endUserSessions(ctx, u.ID, p.SessionID, "password_changed", now); err != nil {
		return err
	}
	s.emit(Event{Type: "password_changed", UserID: u.ID, SessionID: p.SessionID, Client: c})
	return nil
}

// SessionEnd is when the session ends if nothing else happens: the
// earlier of its idle deadline and its absolute end.
func (s *Service) SessionEnd(sess store.Session) time.Time {
	idle := sess.LastUsedAt.Add(s.cfg.SessionIdle)
	if idle.Before(sess.ExpiresAt) {
		return idle
	}
	return sess.ExpiresAt
}

// CurrentRole returns the principal's role as stored now, which may differ
// from the role in the access token after a change; it reads a cache that
// is at most a couple of seconds old.
func (s *Service) CurrentRole(ctx context.Context, p Principal) (string, error) {
	u, err := s.Me(ctx, p)
	if err != nil {
		return "", err
	}
	return u.Role, nil
}
