package token

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verification limits and defaults.
const (
	// MaxTokenSize is the length in bytes beyond which Verify refuses a
	// token without parsing it.
	MaxTokenSize = 8 << 10

	// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
	DefaultLeeway = 30 * time.Second

	// DefaultCacheSize is the number of verified tokens a Verifier keeps.
	DefaultCacheSize = 10000
)

// refusedHeaders are JOSE header parameters that would bring key material or
// processing rules from the token itself. Sallyport never issues them, so a
// token that carries one is refused rather than ignored.
var refusedHeaders = []string{"jwk", "jku", "x5u", "x5c", "crit"}

// parser decodes tokens and checks signatures; Verifier checks the claims.
// A Parser is not modified by parsing, so one serves every goroutine.
var parser = jwt.NewParser(
	jwt.WithValidMethods([]string{ES256, EdDSA, RS256}),
	jwt.WithStrictDecoding(),
	jwt.WithoutClaimsValidation(),
)

// VerifierOptions configure a Verifier.
type VerifierOptions struct {
	// Issuer and Audience must equal the token's iss and one of its aud
	// values. Left empty, they match no token.
	Issuer   string
	Audience string

	// Leeway is the clock skew allowed on exp, nbf and iat: zero means
	// DefaultLeeway and a negative value means none.
	Leeway time.Duration

	// CacheSize bounds the verified-token cache: zero means
	// DefaultCacheSize and a negative value turns the cache off.
	CacheSize int

	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Verifier checks access tokens against the keys in a Keyring. It is safe
// for concurrent use. It caches the claims of tokens it has verified, so a
// repeated token costs no signature check; a cached token is still checked
// against the clock on every use, and is checked afresh after Keyring.Set
// changes the keys. The zero value is not usable; call NewVerifier.
type Verifier struct {
	ring     *Keyring
	issuer   string
	audience string
	leeway   time.Duration
	now      func() time.Time
	cache    *cache // nil when off

	// signatureChecks counts tokens verified the slow way, for tests.
	signatureChecks atomic.Uint64
}

// NewVerifier returns a Verifier that trusts the keys in r, as they are at
// each call of Verify. A nil r trusts no key.
func NewVerifier(r *Keyring, o VerifierOptions) *Verifier {
	v := &Verifier{
		ring:     r,
		issuer:   o.Issuer,
		audience: o.Audience,
		leeway:   o.Leeway,
		now:      o.Now,
	}
	switch {
	case v.leeway == 0:
		v.leeway = DefaultLeeway
	case v.leeway < 0:
		v.leeway = 0
	}
	if v.now == nil {
		v.now = time.Now
	}
	switch {
	case o.CacheSize == 0:
		v.cache = newCache(DefaultCacheSize)
	case o.CacheSize > 0:
		v.cache = newCache(o.CacheSize)
	}
	return v
}

// Verify checks raw, a compact JWT without any "Bearer " prefix, and returns
// its claims. The error matches ErrExpired when the token is genuine and
// valid except that exp has passed by more than the leeway, and ErrInvalid
// for every other fault. The signature is always checked before the claims,
// so a forged token never reports ErrExpired.
func (v *Verifier) Verify(raw string) (Claims, error) {
	c, err := v.verify(raw)
	if err != nil {
		return Claims{}, err
	}
	return c, nil
}

// VerifyExpired is Verify for a token that may have expired: when the
// signature and every other check pass and only exp is past, it returns
// the claims together with ErrExpired. It is for acts that an expired
// token may still prove the right to, such as ending its own session.
func (v *Verifier) VerifyExpired(raw string) (Claims, error) {
	c, err := v.verify(raw)
	if err != nil && !errors.Is(err, ErrExpired) {
		return Claims{}, err
	}
	return c, err
}

// verify runs every check and returns the claims it decoded even when
// the only fault is expiry; other failures give empty claims.
func (v *Verifier) verify(raw string) (Claims, error) {
	if len(raw) > MaxTokenSize {
		return Claims{}, invalidf("token is %d bytes, more than %d", len(raw), MaxTokenSize)
	}
	if strings.Count(raw, ".") != 2 {
		return Claims{}, invalidf("token is not three dot-separated parts")
	}

	ring := v.ring.load()
	if v.cache != nil {
		if c, ok := v.cache.get(raw, ring.gen); ok {
			if err := v.checkClaims(c, v.now()); err != nil {
				return c, err
			}
			return c, nil
		}
	}

	c, err := v.verifySignature(raw, ring)
	if err != nil {
		return Claims{}, err
	}
	now := v.now()
	if err := v.checkClaims(c, now); err != nil {
		return c, err
	}
	if v.cache != nil {
		v.cache.put(raw, c, ring.gen, func(e *cacheEntry) bool {
			return e.gen != ring.gen || v.checkClaims(e.claims, now) != nil
		})
	}
	return c, nil
}

// verifySignature decodes raw and checks its header and signature against
// the keys in ring.
func (v *Verifier) verifySignature(raw string, ring *ringState) (Claims, error) {
	v.signatureChecks.Add(1)
	var w wireClaims
	keyfunc := func(t *jwt.Token) (any, error) {
		k, err := ring.keyFor(t)
		if err != nil {
			return nil, err
		}
		return k.Signer.Public(), nil
	}
	if _, err := parser.ParseWithClaims(raw, &w, keyfunc); err != nil {
		return Claims{}, invalid(err)
	}
	return w.claims(v.audience), nil
}

// keyFor returns the key that must have signed t: the one its kid names,
// whose algorithm must be the one t claims.
func (s *ringState) keyFor(t *jwt.Token) (*Key, error) {
	for _, name := range refusedHeaders {
		if _, ok := t.Header[name]; ok {
			return nil, fmt.Errorf("header %q is not accepted", name)
		}
	}
	kid, ok := t.Header["kid"].(string)
	if !ok || kid == "" {
		return nil, errors.New("missing kid")
	}
	k := s.byID[kid]
	if k == nil {
		return nil, fmt.Errorf("unknown kid %q", clip(kid))
	}
	if alg := t.Method.Alg(); alg != k.Algorithm {
		return nil, fmt.Errorf("alg %q does not match key %q of %s", clip(alg), kid, k.Algorithm)
	}
	return k, nil
}

// checkClaims checks c, whose signature is valid, at time now. Expiry is
// checked last, so ErrExpired means nothing else is wrong.
func (v *Verifier) checkClaims(c Claims, now time.Time) error {
	if err := checkRequired(c); err != nil {
		return invalid(err)
	}
	switch {
	case c.Issuer != v.issuer:
		return invalidf("iss %q is not %q", clip(c.Issuer), v.issuer)
	case c.Audience != v.audience:
		return invalidf("aud %q does not include %q", clip(c.Audience), v.audience)
	case now.Before(c.NotBefore.Add(-v.leeway)):
		return invalidf("not valid before %s", c.NotBefore.Format(time.RFC3339))
	case now.Before(c.IssuedAt.Add(-v.leeway)):
		return invalidf("issued in the future at %s", c.IssuedAt.Format(time.RFC3339))
	case !now.Before(c.ExpiresAt.Add(v.leeway)):
		return fmt.Errorf("%w at %s", ErrExpired, c.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

// clip shortens s, which may come from a hostile token, for an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
