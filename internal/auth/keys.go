package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/token"
)

// KeyInfo describes a stored signing key without its private part.
type KeyInfo struct {
	store.SigningKey
	// Active is true for the key that signs new tokens.
	Active bool
	// Verifying is true while tokens it signed may still be valid; such
	// keys are published in the JWKS.
	Verifying bool
}

// Keys lists the stored signing keys, oldest first.
func (s *Service) Keys(ctx context.Context) ([]KeyInfo, error) {
	stored, err := s.store.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	now := s.now()
	out := make([]KeyInfo, 0, len(stored))
	for _, k := range stored {
		k.Sealed = nil
		out = append(out, KeyInfo{
			SigningKey: k,
			Active:     k.RetiredAt.IsZero(),
			Verifying:  s.verifies(k, now),
		})
	}
	return out, nil
}

// RotateKey makes a new key of the configured algorithm the signer. The
// old key keeps verifying until every token it signed has expired.
func (s *Service) RotateKey(ctx context.Context) (KeyInfo, error) {
	k, err := token.GenerateKey(s.cfg.SigningAlg, s.now())
	if err != nil {
		return KeyInfo{}, fmt.Errorf("generate key: %w", err)
	}
	sealed, err := k.Seal(s.cfg.MasterKey)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("seal key %s: %w", k.ID, err)
	}
	sk := store.SigningKey{
		ID:        k.ID,
		Algorithm: k.Algorithm,
		Sealed:    sealed,
		CreatedAt: k.CreatedAt,
	}
	if err := s.store.AddSigningKey(ctx, sk); err != nil {
		return KeyInfo{}, fmt.Errorf("store key %s: %w", k.ID, err)
	}
	s.emit(Event{Type: "key_rotated", Reason: k.ID})
	if err := s.reloadKeys(ctx, false); err != nil {
		return KeyInfo{}, err
	}
	sk.Sealed = nil
	return KeyInfo{SigningKey: sk, Active: true, Verifying: true}, nil
}

// reloadKeys loads the keys that can still sign or verify into the ring
// when the stored set changed. With bootstrap set it creates the first
// key, or a new one when the configured algorithm changed.
func (s *Service) reloadKeys(ctx context.Context, bootstrap bool) error {
	stored, err := s.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	if bootstrap && needsNewKey(stored, s.cfg.SigningAlg) {
		_, err := s.RotateKey(ctx)
		return err
	}
	now := s.now()
	var ids []string
	var live []store.SigningKey
	for _, k := range stored {
		if !s.verifies(k, now) {
			continue
		}
		live = append(live, k)
		ids = append(ids, k.ID+"/"+k.RetiredAt.String())
	}
	sig := strings.Join(ids, ",")
	s.mu.Lock()
	same := sig == s.keyIDs
	s.mu.Unlock()
	if same {
		return nil
	}
	keys := make([]*token.Key, 0, len(live))
	for _, k := range live {
		opened, err := token.OpenKey(k.ID, k.Algorithm, k.Sealed, s.cfg.MasterKey,
			k.CreatedAt, k.RetiredAt)
		if err != nil {
			err = fmt.Errorf("open key %s (is the master key right?): %w", k.ID, err)
			s.setKeyErr(err)
			return err
		}
		keys = append(keys, opened)
	}
	s.setKeyErr(nil)
	s.ring.Set(keys)
	s.mu.Lock()
	s.keyIDs = sig
	s.mu.Unlock()
	return nil
}

// needsNewKey reports whether there is no active key, or the active one
// uses another algorithm than the configured one.
func needsNewKey(keys []store.SigningKey, alg string) bool {
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			return k.Algorithm != alg
		}
	}
	return true
}

// setKeyErr records whether the last key load failed; while it has, the
// service is not ready, since it would sign with a key the others have
// retired, or could not verify their tokens.
func (s *Service) setKeyErr(err error) {
	s.mu.Lock()
	s.keyErr = err
	s.mu.Unlock()
}

// verifies reports whether tokens signed with k may still be valid at now:
// it is the signer, or retired no longer ago than a token lives.
func (s *Service) verifies(k store.SigningKey, now time.Time) bool {
	return k.RetiredAt.IsZero() || !k.RetiredAt.Before(now.Add(-s.tokenLife()))
}
