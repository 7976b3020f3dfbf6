package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/sallyport/sallyport/internal/email"
	"github.com/sallyport/sallyport/internal/store"
)

var roleRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// validRole accepts short lowercase role names such as user or admin.
func validRole(role string) error {
	if !roleRE.MatchString(role) {
		return fmt.Errorf("%w: role %q: want 1-32 of a-z, 0-9, _ and -, starting with a letter",
			ErrInvalidRequest, role)
	}
	return nil
}

// UserByEmail finds a user by email, normalizing it first.
func (s *Service) UserByEmail(ctx context.Context, addr string) (store.User, error) {
	norm, err := email.Normalize(addr)
	if err != nil {
		return store.User{}, fmt.Errorf("%w: %w", ErrInvalidEmail, err)
	}
	u, err := s.store.UserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("%w: no user %q", ErrNotFound, norm)
	}
	return u, err
}

// ListUsers returns every user, oldest first.
func (s *Service) ListUsers(ctx context.Context) ([]store.User, error) {
	return s.store.ListUsers(ctx)
}

// SetRole changes a user's role. Tokens already issued keep the old role
// until they expire; the next refresh carries the new one.
func (s *Service) SetRole(ctx context.Context, addr, role string) (store.User, error) {
	if err := validRole(role); err != nil {
		return store.User{}, err
	}
	u, err := s.UserByEmail(ctx, addr)
	if err != nil {
		return store.User{}, err
	}
	upd := store.UserUpdate{Role: &role, UpdatedAt: s.now()}
	if err := s.store.UpdateUser(ctx, u.ID, upd); err != nil {
		return store.User{}, fmt.Errorf("set role of user %s: %w", u.ID, err)
	}
	s.users.forget(u.ID)
	u.Role = role
	s.emit(Event{Type: "role_changed", UserID: u.ID, Reason: role})
	return u, nil
}

// SetDisabled disables or enables a user. Disabling ends every session.
func (s *Service) SetDisabled(ctx context.Context, addr string, disabled bool) (store.User,
	error) {
	u, err := s.UserByEmail(ctx, addr)
	if err != nil {
		return store.User{}, err
	}
	now := s.now()
	upd := store.UserUpdate{Disabled: &disabled, UpdatedAt: now}
	if err := s.store.UpdateUser(ctx, u.ID, upd); err != nil {
		return store.User{}, fmt.Errorf("update user %s: %w", u.ID, err)
	}
	s.users.forget(u.ID)
	u.Disabled = disabled
	if !disabled {
		s.emit(Event{Type: "user_enabled", UserID: u.ID})
		return u, nil
	}
	if _, err := s.endUserSessions(ctx, u.ID, "", "user_disabled", now); err != nil {
		return store.User{}, err
	}
	s.emit(Event{Type: "user_disabled", UserID: u.ID})
	return u, nil
}

// ImportUser stores a user brought from another system with the password
// hash it had there. A bcrypt hash is rehashed to argon2id at the user's
// first successful login.
func (s *Service) ImportUser(ctx context.Context, addr, hash, role string) (store.User,
	error) {
	norm, err := email.Normalize(addr)
	if err != nil {
		return store.User{}, fmt.Errorf("%w: %w", ErrInvalidEmail, err)
	}
	if err := s.hasher.Check(hash); err != nil {
		return store.User{}, fmt.Errorf("%w: the password hash is not a usable bcrypt or "+
			"argon2id hash: %w", ErrInvalidRequest, err)
	}
	if err := validRole(role); err != nil {
		return store.User{}, err
	}
	u, err := s.insertUser(ctx, norm, hash, role)
	if err != nil {
		return store.User{}, err
	}
	s.emit(Event{Type: "user_created", UserID: u.ID, Reason: "imported"})
	return u, nil
}
