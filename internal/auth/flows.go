package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sallyport/sallyport/internal/email"
	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/token"
)

// DefaultRole is the role of users who sign up themselves.
const DefaultRole = "user"

// Grant is what a successful sign-up, login or refresh hands out.
type Grant struct {
	AccessToken string
	ExpiresAt   time.Time
	// ExpiresIn is the access token's lifetime as issued.
	ExpiresIn    time.Duration
	RefreshToken string
	User         store.User
	Session      store.Session
}

// Signup creates a user with the default role and opens a session.
func (s *Service) Signup(ctx context.Context, addr, pw string, c Client) (Grant, error) {
	u, err := s.CreateUser(ctx, addr, pw, DefaultRole)
	if err != nil {
		return Grant{}, err
	}
	g, err := s.openSession(ctx, u, c)
	if err != nil {
		return Grant{}, err
	}
	s.emit(Event{Type: "signup", UserID: u.ID, SessionID: g.Session.ID, Client: c})
	return g, nil
}

// CreateUser validates and stores a new user with the given role.
func (s *Service) CreateUser(ctx context.Context, addr, pw, role string) (store.User, error) {
	norm, err := email.Normalize(addr)
	if err != nil {
		return store.User{}, fmt.Errorf("%w: %w", ErrInvalidEmail, err)
	}
	if err := password.Validate(pw); err != nil {
		return store.User{}, fmt.Errorf("%w: %w", ErrWeakPassword, err)
	}
	if err := validRole(role); err != nil {
		return store.User{}, err
	}
	// Checking first spares a hash for a taken address; the insert below
	// still decides races.
	if _, err := s.store.UserByEmail(ctx, norm); err == nil {
		return store.User{}, ErrEmailTaken
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("look up user: %w", err)
	}
	hash, err := s.hash(ctx, pw)
	if err != nil {
		return store.User{}, err
	}
	return s.insertUser(ctx, norm, hash, role)
}

// insertUser stores a new user whose email is normalized and whose role
// and password hash are checked.
func (s *Service) insertUser(ctx context.Context, norm, hash, role string) (store.User,
	error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	u := store.User{
		ID:           token.NewID(),
		Email:        norm,
		PasswordHash: hash,
		Role:         role,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.User{}, ErrEmailTaken
		}
		return store.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// Login checks email and password and opens a session. An unknown email
// and a wrong password give the same error after the same hashing work.
func (s *Service) Login(ctx context.Context, addr, pw string, c Client) (Grant, error) {
	u, err := s.checkPassword(ctx, addr, pw)
	if err != nil {
		reason := "error"
		switch {
		case errors.Is(err, ErrInvalidCredentials):
			reason = "invalid_credentials"
		case errors.Is(err, ErrBusy):
			reason = "busy"
		case errors.Is(err, store.ErrUnavailable):
			reason = "unavailable"
		}
		s.emit(Event{Type: "login_failed", UserID: u.ID, Reason: reason, Client: c})
		return Grant{}, err
	}
	if u.Disabled {
		s.emit(Event{Type: "login_failed", UserID: u.ID, Reason: "account_disabled", Client: c})
		return Grant{}, ErrAccountDisabled
	}
	g, err := s.openSession(ctx, u, c)
	if err != nil {
		return Grant{}, err
	}
	s.emit(Event{Type: "login", UserID: u.ID, SessionID: g.Session.ID, Client: c})
	return g, nil
}

// checkPassword finds the user by email and verifies the password,
// rehashing it when its hash is outdated. On a wrong password it still
// returns the user (for logging) with ErrInvalidCredentials.
func (s *Service) checkPassword(ctx context.Context, addr, pw string) (store.User, error) {
	norm, err := email.Normalize(addr)
	if err != nil || len(pw) > 1024 {
		// Not an address any account can have; no hash can match.
		return store.User{}, ErrInvalidCredentials
	}
	u, err := s.store.UserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.hasher.VerifyDummy(ctx, pw); err != nil {
			return store.User{}, hashErr(err)
		}
		return store.User{}, ErrInvalidCredentials
	}
	if err != nil {
		return store.User{}, fmt.Errorf("look up user: %w", err)
	}
	ok, rehash, err := s.hasher.Verify(ctx, u.PasswordHash, pw)
	if err != nil && (errors.Is(err, password.ErrBusy) || ctx.Err() != nil) {
		return u, hashErr(err)
	}
	if err != nil || !ok {
		return u, ErrInvalidCredentials
	}
	if rehash {
		s.rehash(ctx, u, pw)
	}
	return u, nil
}

// rehash upgrades an outdated hash (an imported bcrypt one, say). A
// failure leaves the old hash, which still works, so it is not an error.
func (s *Service) rehash(ctx context.Context, u store.User, pw string) {
	h, err := s.hash(ctx, pw)
	if err != nil {
		return
	}
	_ = s.store.UpdateUser(ctx, u.ID, store.UserUpdate{PasswordHash: &h, UpdatedAt: s.now()})
	s.users.forget(u.ID)
}

func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	h, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return "", hashErr(err)
	}
	return h, nil
}

func hashErr(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return fmt.Errorf("%w: %w", ErrBusy, err)
	}
	return fmt.Errorf("hash password: %w", err)
}

// openSession starts a session for u and issues its first tokens.
func (s *Service) openSession(ctx context.Context, u store.User, c Client) (Grant, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	plain, hash, err := newRefreshToken()
	if err != nil {
		return Grant{}, err
	}
	sess := store.Session{
		ID:         token.NewID(),
		UserID:     u.ID,
		UserAgent:  c.UserAgent,
		IP:         c.IP,
		CreatedAt:  now,
		LastUsedAt: now,
		ExpiresAt:  now.Add(s.cfg.SessionMax),
	}
	first := store.RefreshToken{Hash: hash, SessionID: sess.ID, CreatedAt: now}
	if err := s.store.CreateSession(ctx, sess, first); err != nil {
		return Grant{}, fmt.Errorf("create session: %w", err)
	}
	return s.grant(u, sess, plain)
}

// grant issues an access token for the session.
func (s *Service) grant(u store.User, sess store.Session, refresh string) (Grant, error) {
	now := s.now()
	exp := now.Add(s.cfg.AccessTTL)
	raw, err := token.Issue(s.ring, token.Claims{
		Issuer:    s.cfg.Issuer,
		Subject:   u.ID,
		Audience:  s.cfg.Audience,
		ExpiresAt: exp,
		NotBefore: now,
		IssuedAt:  now,
		ID:        token.NewID(),
		SessionID: sess.ID,
		Role:      u.Role,
		Email:     u.Email,
	})
	if err != nil {
		return Grant{}, fmt.Errorf("issue access token: %w", err)
	}
	return Grant{
		AccessToken:  raw,
		ExpiresAt:    exp,
		ExpiresIn:    s.cfg.AccessTTL,
		RefreshToken: refresh,
		User:         u,
		Session:      sess,
	}, nil
}

// Refresh trades a refresh token for new tokens, rotating it. Within the
// grace window a rotated token yields the same child again, so racing
// tabs all end up holding the session's one live token; later, its use
// is taken as theft and revokes the session.
func (s *Service) Refresh(ctx context.Context, plain string, c Client) (Grant, error) {
	hash, ok := hashRefreshToken(plain)
	if !ok {
		return Grant{}, ErrInvalidRefreshToken
	}
	tok, sess, err := s.store.RefreshToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return Grant{}, ErrInvalidRefreshToken
	}
	if err != nil {
		return Grant{}, fmt.Errorf("look up refresh token: %w", err)
	}
	if err := s.checkSession(sess); err != nil {
		return Grant{}, err
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return Grant{}, fmt.Errorf("look up user of session %s: %w", sess.ID, err)
	}
	if u.Disabled {
		return Grant{}, ErrSessionRevoked
	}
	won := false
	if tok.RotatedAt.IsZero() {
		tok, won, err = s.rotate(ctx, tok, plain)
		if err != nil {
			return Grant{}, err
		}
	}
	if !won && s.now().Sub(tok.RotatedAt) > s.cfg.RefreshGrace {
		if err := s.endReused(ctx, sess, "", c); err != nil {
			return Grant{}, err
		}
		return Grant{}, ErrRefreshTokenReused
	}
	child := deriveChild(s.refreshKey, plain, tok.ChildNonce)
	g, err := s.grant(u, sess, child)
	if err != nil {
		return Grant{}, err
	}
	s.emit(Event{Type: "refresh", UserID: u.ID, SessionID: sess.ID, Client: c})
	return g, nil
}

// rotate marks tok rotated with a fresh nonce and stores its child, and
// reports whether this call did it. When another request won the race it
// returns the token as that one left it.
func (s *Service) rotate(ctx context.Context, tok store.RefreshToken,
	plain string) (store.RefreshToken, bool, error) {
	nonce := make([]byte, 32)
	rand.Read(nonce)
	child := deriveChild(s.refreshKey, plain, nonce)
	childHash, _ := hashRefreshToken(child)
	res, err := s.store.RotateRefreshToken(ctx, store.Rotation{
		ParentHash: tok.Hash,
		Nonce:      nonce,
		Child: store.RefreshToken{
			Hash:      childHash,
			SessionID: tok.SessionID,
			CreatedAt: s.now().UTC(),
		},
		At: s.now().UTC(),
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.RefreshToken{}, false, ErrInvalidRefreshToken
	}
	if err != nil {
		return store.RefreshToken{}, false, fmt.Errorf("rotate refresh token: %w", err)
	}
	return res.Parent, res.Rotated, nil
}

// checkSession refuses revoked, idle and expired sessions.
func (s *Service) checkSession(sess store.Session) error {
	now := s.now()
	switch {
	case sess.Revoked():
		return ErrSessionRevoked
	case !now.Before(sess.ExpiresAt),
		!now.Before(sess.LastUsedAt.Add(s.cfg.SessionIdle)):
		return ErrSessionExpired
	}
	return nil
}

// Principal is the caller identified by a verified access token.
type Principal struct {
	UserID    string
	SessionID string
	Role      string
	Email     string
	ExpiresAt time.Time
}

// Authenticate verifies an access token and checks that its session has
// not been revoked. The common case costs no signature check (the
// verifier caches) and no database read.
func (s *Service) Authenticate(raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, ErrTokenMissing
	}
	c, err := s.verifier.Verify(raw)
	switch {
	case errors.Is(err, token.ErrExpired):
		return Principal{}, fmt.Errorf("%w: %w", ErrTokenExpired, err)
	case err != nil:
		return Principal{}, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	if s.revoked.has(c.SessionID, s.now()) {
		return Principal{}, ErrSessionRevoked
	}
	return principalOf(c), nil
}

// principalOf is the caller that verified claims describe.
func principalOf(c token.Claims) Principal {
	return Principal{
		UserID:    c.Subject,
		SessionID: c.SessionID,
		Role:      c.Role,
		Email:     c.Email,
		ExpiresAt: c.ExpiresAt,
	}
}

// refreshTokenLen is the length of a refresh token: 32 bytes, base64url.
const refreshTokenLen = 43

// newRefreshToken returns a random refresh token and its hash.
func newRefreshToken() (plain, hash string, err error) {
	b := make([]byte, 32)
	rand.Read(b)
	plain = base64.RawURLEncoding.EncodeToString(b)
	hash, _ = hashRefreshToken(plain)
	return plain, hash, nil
}

// hashRefreshToken returns the stored form of a refresh token, or false
// when plain cannot be one of ours.
func hashRefreshToken(plain string) (string, bool) {
	if len(plain) != refreshTokenLen {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(plain); err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:]), true
}

// deriveChild computes the token that replaces parent. It depends on a
// server secret, the parent's plaintext (which the store never holds) and
// a random nonce, so it is unpredictable to anyone without all three, yet
// every holder of the parent gets the same child during the grace window.
func deriveChild(key []byte, parent string, nonce []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(parent))
	m.Write(nonce)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
