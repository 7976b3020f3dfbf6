package token

import (
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Issue signs an access token for c with the ring's signer. The header
// carries alg, kid and typ "JWT". Issue refuses claims that a Verifier would
// refuse for lack of iss, sub, aud, sid or exp, and fills an empty ID with
// NewID. Times are written in whole seconds; zero NotBefore and IssuedAt
// are left out.
func Issue(r *Keyring, c Claims) (string, error) {
	k := r.Signer()
	if k == nil {
		return "", fmt.Errorf("issue token: %w", ErrNoSigningKey)
	}
	if err := checkRequired(c); err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	if c.ID == "" {
		c.ID = NewID()
	}

	method := jwt.GetSigningMethod(k.Algorithm)
	if method == nil {
		return "", fmt.Errorf("issue token: unsupported algorithm %q", k.Algorithm)
	}
	t := jwt.NewWithClaims(method, toWire(c))
	t.Header["kid"] = k.ID
	s, err := t.SignedString(k.Signer)
	if err != nil {
		return "", fmt.Errorf("issue token with key %q: %w", k.ID, err)
	}
	return s, nil
}

// checkRequired reports the first claim that every access token must carry
// and c lacks.
func checkRequired(c Claims) error {
	switch {
	case c.ExpiresAt.IsZero():
		return errors.New("missing exp")
	case c.Issuer == "":
		return errors.New("missing iss")
	case c.Audience == "":
		return errors.New("missing aud")
	case c.Subject == "":
		return errors.New("missing sub")
	case c.SessionID == "":
		return errors.New("missing sid")
	}
	return nil
}
