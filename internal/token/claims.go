package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims of an access token. Times are whole seconds in the
// token; Verify returns them in UTC. Audience is one value: Sallyport issues
// one audience per token, and Verify accepts a token whose aud array holds
// the expected audience.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub: the user ID
	Audience  string    // aud
	ExpiresAt time.Time // exp
	NotBefore time.Time // nbf, omitted when zero
	IssuedAt  time.Time // iat, omitted when zero
	ID        string    // jti
	SessionID string    // sid
	Role      string    // role
	Email     string    // email
}

// wireClaims is the JSON form of Claims. It implements jwt.Claims only so
// that golang-jwt can decode into it; Verifier checks the claims itself.
type wireClaims struct {
	Issuer    string      `json:"iss,omitempty"`
	Subject   string      `json:"sub,omitempty"`
	Audience  audience    `json:"aud,omitempty"`
	ExpiresAt numericDate `json:"exp,omitzero"`
	NotBefore numericDate `json:"nbf,omitzero"`
	IssuedAt  numericDate `json:"iat,omitzero"`
	ID        string      `json:"jti,omitempty"`
	SessionID string      `json:"sid,omitempty"`
	Role      string      `json:"role,omitempty"`
	Email     string      `json:"email,omitempty"`
}

func toWire(c Claims) *wireClaims {
	w := &wireClaims{
		Issuer:    c.Issuer,
		Subject:   c.Subject,
		ExpiresAt: numericDate{c.ExpiresAt},
		NotBefore: numericDate{c.NotBefore},
		IssuedAt:  numericDate{c.IssuedAt},
		ID:        c.ID,
		SessionID: c.SessionID,
		Role:      c.Role,
		Email:     c.Email,
	}
	if c.Audience != "" {
		w.Audience = audience{c.Audience}
	}
	return w
}

// claims returns the Claims, with the audience set to want when the token
// names it among several.
func (w *wireClaims) claims(want string) Claims {
	c := Claims{
		Issuer:    w.Issuer,
		Subject:   w.Subject,
		ExpiresAt: w.ExpiresAt.Time,
		NotBefore: w.NotBefore.Time,
		IssuedAt:  w.IssuedAt.Time,
		ID:        w.ID,
		SessionID: w.SessionID,
		Role:      w.Role,
		Email:     w.Email,
	}
	if w.Audience.contains(want) {
		c.Audience = want
	} else if len(w.Audience) > 0 {
		c.Audience = w.Audience[0]
	}
	return c
}

// The jwt.Claims methods. Verifier parses with claim validation off, so
// golang-jwt never calls them to decide anything.

func (w *wireClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return w.ExpiresAt.jwt(), nil
}

func (w *wireClaims) GetIssuedAt() (*jwt.NumericDate, error) { return w.IssuedAt.jwt(), nil }

func (w *wireClaims) GetNotBefore() (*jwt.NumericDate, error) { return w.NotBefore.jwt(), nil }

func (w *wireClaims) GetIssuer() (string, error) { return w.Issuer, nil }

func (w *wireClaims) GetSubject() (string, error) { return w.Subject, nil }

func (w *wireClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings(w.Audience), nil
}

// maxNumericDate is the last second of the year 9999, a bound that keeps
// every accepted date representable and comparable.
const maxNumericDate = 253402300799

// numericDate is a JWT NumericDate: seconds since the Unix epoch. Unlike
// jwt.NumericDate it refuses a number written as a JSON string, negative
// values and values past the year 9999. The zero Time means absent.
type numericDate struct {
	time.Time
}

func (d numericDate) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, d.Unix(), 10), nil
}

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		d.Time = time.Time{}
		return nil
	}
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return fmt.Errorf("numeric date %.20s is not a number", b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return fmt.Errorf("numeric date %.20s out of range", b)
	}
	sec, frac := math.Modf(f)
	d.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

func (d numericDate) jwt() *jwt.NumericDate {
	if d.IsZero() {
		return nil
	}
	return jwt.NewNumericDate(d.Time)
}

// audience is the aud claim: one string, or an array of strings.
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

func (a *audience) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*a = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	case len(b) > 0 && b[0] == '[':
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*a = list
		return nil
	}
	return errors.New("aud is neither a string nor an array of strings")
}

func (a audience) contains(s string) bool {
	for _, v := range a {
		if v == s {
			return true
		}
	}
	return false
}
