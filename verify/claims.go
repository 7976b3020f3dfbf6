package verify

import (
	"errors"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims of a verified Sallyport access token. Times are in
// UTC; NotBefore and IssuedAt are zero when the token has none.
//
// Verify returns the same *Claims for every use of the same token while it
// is cached, so callers must not modify them.
type Claims struct {
	Issuer    string    // iss: the server's public URL
	Subject   string    // sub: the user ID
	Audience  []string  // aud
	ExpiresAt time.Time // exp
	NotBefore time.Time // nbf
	IssuedAt  time.Time // iat
	ID        string    // jti: the token ID
	SessionID string    // sid: the session the token belongs to
	Role      string    // role, such as "user" or "admin"
	Email     string    // email
}

// HasRole reports whether the token's role is one of roles.
func (c *Claims) HasRole(roles ...string) bool {
	return c != nil && c.Role != "" && slices.Contains(roles, c.Role)
}

// wireClaims is the JSON form of Claims. Verifier parses with golang-jwt's
// claim validation off and checks the claims itself, so that a cached token
// gets exactly the same checks as a fresh one.
type wireClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid,omitempty"`
	Role      string `json:"role,omitempty"`
	Email     string `json:"email,omitempty"`
}

func (w *wireClaims) claims() *Claims {
	return &Claims{
		Issuer:    w.Issuer,
		Subject:   w.Subject,
		Audience:  slices.Clone([]string(w.Audience)),
		ExpiresAt: timeOf(w.ExpiresAt),
		NotBefore: timeOf(w.NotBefore),
		IssuedAt:  timeOf(w.IssuedAt),
		ID:        w.ID,
		SessionID: w.SessionID,
		Role:      w.Role,
		Email:     w.Email,
	}
}

func timeOf(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.UTC()
}

// checkRequired reports the first claim every Sallyport access token
// carries and c lacks. A token without sid could never be revoked, so it is
// refused too.
func checkRequired(c *Claims) error {
	switch {
	case c.ExpiresAt.IsZero():
		return errors.New("missing exp")
	case c.Issuer == "":
		return errors.New("missing iss")
	case len(c.Audience) == 0:
		return errors.New("missing aud")
	case c.Subject == "":
		return errors.New("missing sub")
	case c.SessionID == "":
		return errors.New("missing sid")
	}
	return nil
}
