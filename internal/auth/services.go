package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/token"
)

// ErrInvalidCredential means a service credential is unknown or malformed.
var ErrInvalidCredential = errors.New("invalid service credential")

// credentialPrefix marks service credentials so they are easy to spot in
// a leaked file and cannot be mistaken for refresh tokens.
const credentialPrefix = "sps_"

var serviceNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$`)

// CreateService registers a service account and returns its credential,
// which is shown this once: only its hash is stored.
func (s *Service) CreateService(ctx context.Context, name string) (string, error) {
	if !serviceNameRE.MatchString(name) {
		return "", fmt.Errorf("%w: service name %q: want 1-64 letters, digits, '.', '_', '-'",
			ErrInvalidRequest, name)
	}
	b := make([]byte, 32)
	rand.Read(b)
	cred := credentialPrefix + base64.RawURLEncoding.EncodeToString(b)
	a := store.ServiceAccount{
		ID:         token.NewID(),
		Name:       name,
		SecretHash: hashCredential(cred),
		CreatedAt:  s.now().UTC().Truncate(time.Millisecond),
	}
	if err := s.store.CreateService(ctx, a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", fmt.Errorf("%w: a service named %q exists", ErrInvalidRequest, name)
		}
		return "", fmt.Errorf("create service %q: %w", name, err)
	}
	return cred, nil
}

// ListServices returns the service accounts, oldest first.
func (s *Service) ListServices(ctx context.Context) ([]store.ServiceAccount, error) {
	return s.store.ListServices(ctx)
}

// DeleteService removes a service account; its credential stops working.
func (s *Service) DeleteService(ctx context.Context, name string) error {
	err := s.store.DeleteService(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: no service %q", ErrNotFound, name)
	}
	return err
}

// AuthenticateService checks a service credential.
func (s *Service) AuthenticateService(ctx context.Context, cred string) (store.ServiceAccount,
	error) {
	if !strings.HasPrefix(cred, credentialPrefix) || len(cred) != len(credentialPrefix)+43 {
		return store.ServiceAccount{}, ErrInvalidCredential
	}
	a, err := s.store.ServiceBySecretHash(ctx, hashCredential(cred))
	if errors.Is(err, store.ErrNotFound) {
		return store.ServiceAccount{}, ErrInvalidCredential
	}
	if err != nil {
		return store.ServiceAccount{}, fmt.Errorf("look up service: %w", err)
	}
	return a, nil
}

// hashCredential is a plain SHA-256: the credential has 256 random bits,
// so a slow hash would add cost and no safety.
func hashCredential(cred string) string {
	sum := sha256.Sum256([]byte(cred))
	return hex.EncodeToString(sum[:])
}

// RevokedSession is one entry of the revocation feed.
type RevokedSession struct {
	SessionID string
	RevokedAt time.Time
	// Until is when the last access token of the session expires; after
	// it the entry no longer matters.
	Until time.Time
}

// feedOverlap makes each feed page start a little before the cursor so a
// revocation written with a slightly older timestamp by another instance
// is not missed. Entries may therefore repeat.
const feedOverlap = 5 * time.Second

// Revocations returns the sessions revoked since the cursor whose tokens
// may still be valid, and the cursor for the next call. A zero cursor
// returns every such session.
func (s *Service) Revocations(ctx context.Context, cursor time.Time) ([]RevokedSession,
	time.Time, error) {
	now := s.now()
	since := cursor.Add(-feedOverlap)
	if floor := now.Add(-s.tokenLife()); since.Before(floor) {
		since = floor
	}
	revs, err := s.store.RevokedSince(ctx, since)
	if err != nil {
		return nil, cursor, fmt.Errorf("list revocations: %w", err)
	}
	next := cursor
	out := make([]RevokedSession, 0, len(revs))
	for _, r := range revs {
		out = append(out, RevokedSession{
			SessionID: r.SessionID,
			RevokedAt: r.RevokedAt,
			Until:     r.RevokedAt.Add(s.tokenLife()),
		})
		if r.RevokedAt.After(next) {
			next = r.RevokedAt
		}
	}
	return out, next, nil
}
