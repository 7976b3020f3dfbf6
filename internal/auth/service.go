// Package auth holds Sallyport's domain logic: sign-up, login, sessions,
// rotating refresh tokens, revocation, password changes and the signing
// keys. It knows nothing of HTTP; package httpapi puts it on the wire.
package auth

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/token"
)

// Config is what Service needs to know of the server's settings.
type Config struct {
	// Issuer is the iss claim: the server's public URL.
	Issuer string
	// Audience is the aud claim.
	Audience string
	// AccessTTL is the lifetime of an access token.
	AccessTTL time.Duration
	// RefreshGrace is how long a rotated refresh token keeps yielding the
	// same child token before its use counts as reuse.
	RefreshGrace time.Duration
	// Leeway is the clock skew allowed when checking token times.
	Leeway time.Duration
	// SessionIdle ends sessions not refreshed for this long.
	SessionIdle time.Duration
	// SessionMax ends sessions this long after they began.
	SessionMax time.Duration
	// SigningAlg is the algorithm of keys the service generates.
	SigningAlg string
	// MasterKey seals private signing keys and keys refresh-token
	// derivation; 32 bytes.
	MasterKey []byte
}

// Event describes one auth event, for logs and metrics. It never holds a
// password or a token.
type Event struct {
	// Type is one of signup, login, login_failed, refresh, reuse_detected,
	// logout, session_revoked, password_changed, password_change_failed,
	// role_changed, user_created, user_disabled, user_enabled,
	// key_rotated.
	Type      string
	UserID    string
	SessionID string
	// Reason says why, for failures and revocations.
	Reason string
	Client Client
}

// Client describes the caller of a request, as far as the HTTP layer knows.
type Client struct {
	IP        string
	UserAgent string
}

// Service runs the auth flows. Create it with New, call Start before use;
// its methods are safe for concurrent use.
type Service struct {
	cfg        Config
	store      store.Store
	hasher     *password.Hasher
	ring       *token.Keyring
	verifier   *token.Verifier
	revoked    *revocations
	users      *userCache
	refreshKey []byte
	events     func(Event)
	now        func() time.Time

	mu         sync.Mutex // guards keyIDs, keyErr and cursor
	keyIDs     string
	keyErr     error
	cursor     time.Time
	lastReload time.Time
}

// Option changes a Service built by New.
type Option func(*Service)

// WithEvents calls fn for every auth event. fn must not block.
func WithEvents(fn func(Event)) Option { return func(s *Service) { s.events = fn } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New builds a Service on st. It does not touch the store; call Start.
func New(cfg Config, st store.Store, h *password.Hasher, opts ...Option) (*Service, error) {
	if len(cfg.MasterKey) != 32 {
		return nil, errors.New("auth: master key must be 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, cfg.MasterKey, nil, "sallyport refresh-token child v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive refresh key: %w", err)
	}
	s := &Service{
		cfg:        cfg,
		store:      st,
		hasher:     h,
		ring:       token.NewKeyring(),
		revoked:    newRevocations(),
		users:      newUserCache(),
		refreshKey: key,
		events:     func(Event) {},
		now:        time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = -1 // the verifier reads 0 as its default; we mean none
	}
	s.verifier = token.NewVerifier(s.ring, token.VerifierOptions{
		Issuer:   cfg.Issuer,
		Audience: cfg.Audience,
		Leeway:   leeway,
		Now:      s.now,
	})
	return s, nil
}

// Keyring returns the keys the service signs and verifies with.
func (s *Service) Keyring() *token.Keyring { return s.ring }

// Store returns the store the service runs on.
func (s *Service) Store() store.Store { return s.store }

// Load reads the signing keys and the revocations whose tokens may still
// be valid, and writes nothing: it is for commands that only look.
func (s *Service) Load(ctx context.Context) error {
	if err := s.reloadKeys(ctx, false); err != nil {
		return err
	}
	return s.pollRevocations(ctx)
}

// Start loads the signing keys (creating the first one when there is
// none, or a new one when the configured algorithm changed), the
// revocations whose tokens may still be valid, and removes dead records
// once. Only the server calls it.
func (s *Service) Start(ctx context.Context) error {
	if err := s.reloadKeys(ctx, true); err != nil {
		return err
	}
	if err := s.pollRevocations(ctx); err != nil {
		return err
	}
	_, err := s.Cleanup(ctx)
	return err
}

// Run keeps the service in step with the store until ctx ends: it polls
// for revocations and key changes made by other processes every interval
// and removes dead records every hour. Errors are passed to onErr.
func (s *Service) Run(ctx context.Context, interval time.Duration, onErr func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	lastCleanup := s.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := s.pollRevocations(ctx); err != nil {
			onErr(err)
		}
		if err := s.reloadKeys(ctx, false); err != nil {
			onErr(err)
		}
		if s.now().Sub(lastCleanup) >= time.Hour {
			lastCleanup = s.now()
			if _, err := s.Cleanup(ctx); err != nil {
				onErr(err)
			}
		}
		s.revoked.prune(s.now())
	}
}

// tokenLife is how long after issue an access token can still be accepted.
func (s *Service) tokenLife() time.Duration { return s.cfg.AccessTTL + s.cfg.Leeway }

// pollRevocations adds sessions revoked since the last poll, by any
// process, to the in-memory set. It reads them as the revocation feed
// does, which starts each page a little before the cursor so that clock
// skew between instances cannot hide a revocation.
func (s *Service) pollRevocations(ctx context.Context) error {
	s.mu.Lock()
	since := s.cursor
	s.mu.Unlock()
	revs, next, err := s.Revocations(ctx, since)
	if err != nil {
		return err
	}
	for _, r := range revs {
		s.revoked.add(r.SessionID, r.Until)
	}
	s.mu.Lock()
	if next.After(s.cursor) {
		s.cursor = next
	}
	s.mu.Unlock()
	return nil
}

// revoke records a revocation in memory at once, so this instance refuses
// the session's access tokens before the next poll.
func (s *Service) revoke(sid string, at time.Time) {
	s.revoked.add(sid, at.Add(s.tokenLife()))
}

// endSession revokes a session in the store and in memory, and reports
// whether the store changed. A session that is gone is not an error.
func (s *Service) endSession(ctx context.Context, sid, reason string,
	now time.Time) (bool, error) {
	changed, err := s.store.RevokeSession(ctx, sid, reason, now)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("revoke session %s: %w", sid, err)
	}
	s.revoke(sid, now)
	return changed, nil
}

// endUserSessions revokes the user's live sessions but except (which may
// be empty), in the store and in memory, and returns their ids.
func (s *Service) endUserSessions(ctx context.Context, userID, except, reason string,
	now time.Time) ([]string, error) {
	ids, err := s.store.RevokeUserSessions(ctx, userID, except, reason, now)
	if err != nil {
		return nil, fmt.Errorf("revoke sessions of user %s: %w", userID, err)
	}
	for _, id := range ids {
		s.revoke(id, now)
	}
	return ids, nil
}

// endReused ends a session whose spent refresh token came back after the
// grace window: as far as we can tell, it was stolen.
func (s *Service) endReused(ctx context.Context, sess store.Session, reason string,
	c Client) error {
	if _, err := s.endSession(ctx, sess.ID, "refresh_token_reused", s.now()); err != nil {
		return err
	}
	s.emit(Event{Type: "reuse_detected", UserID: sess.UserID, SessionID: sess.ID,
		Reason: reason, Client: c})
	return nil
}

// Cleanup removes expired and revoked sessions, spent refresh tokens and
// retired keys that can no longer verify anything, and reports how many
// records went.
func (s *Service) Cleanup(ctx context.Context) (int64, error) {
	now := s.now()
	keep := s.tokenLife() + time.Minute
	if keep < 24*time.Hour {
		keep = 24 * time.Hour
	}
	n, err := s.store.DeleteExpired(ctx, store.Cleanup{
		Now:               now,
		IdleBefore:        now.Add(-s.cfg.SessionIdle),
		RevokedBefore:     now.Add(-keep),
		SpentBefore:       now.Add(-s.cfg.SessionIdle),
		KeysRetiredBefore: now.Add(-s.tokenLife()),
	})
	if err != nil {
		return 0, fmt.Errorf("clean up: %w", err)
	}
	return n, nil
}

// Ready reports whether the store is reachable and the signing keys in it
// could be opened at the last try.
func (s *Service) Ready(ctx context.Context) error {
	s.mu.Lock()
	keyErr := s.keyErr
	s.mu.Unlock()
	if keyErr != nil {
		return keyErr
	}
	return s.store.Ping(ctx)
}

// RevokedCount returns how many revoked sessions are held in memory.
func (s *Service) RevokedCount() int { return s.revoked.len() }

func (s *Service) emit(e Event) { s.events(e) }
