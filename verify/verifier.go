package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// refusedHeaders are JOSE header parameters that would bring key material
// or processing rules from the token itself. Sallyport never issues them, so
// a token that carries one is refused rather than ignored.
var refusedHeaders = []string{"jwk", "jku", "x5u", "x5c", "crit"}

// parser decodes tokens and checks signatures; Verifier checks the claims.
// A jwt.Parser is not modified by parsing, so one serves every goroutine.
var parser = jwt.NewParser(
	jwt.WithValidMethods(acceptedAlgorithms()),
	jwt.WithStrictDecoding(),
	jwt.WithoutClaimsValidation(),
)

func acceptedAlgorithms() []string {
	algs := make([]string, 0, len(algorithms))
	for alg := range algorithms {
		algs = append(algs, alg)
	}
	return algs
}

// Verifier checks Sallyport access tokens. Build one with New; it is safe
// for concurrent use. Its background work (the revocation feed and key
// refreshes) happens in Run.
type Verifier struct {
	cfg     config
	issuer  string
	jwksURL string

	keys     atomic.Pointer[keySet]
	fetchSem chan struct{} // held while the key set is fetched
	lastTry  time.Time     // last key fetch attempt; guarded by fetchSem

	cache *cache // nil when off
	feed  *feed  // nil without a revocation feed

	running   atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once

	// signatureChecks counts tokens verified the slow way, for tests.
	signatureChecks atomic.Uint64
}

// New returns a Verifier for the Sallyport server at issuerURL, which must be
// the server's public URL exactly as it appears in the iss claim (a trailing
// slash is ignored). New reads the discovery document and the key set, and
// with WithRevocationFeed polls the feed once; ctx bounds that work only.
// It fails when any of them cannot be read or makes no sense.
func New(ctx context.Context, issuerURL string, opts ...Option) (*Verifier, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	v := &Verifier{
		cfg:      cfg,
		issuer:   strings.TrimRight(issuerURL, "/"),
		fetchSem: make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
	if cfg.cacheSize > 0 {
		v.cache = newCache(cfg.cacheSize)
	}

	jwksURL, err := fetchDiscovery(ctx, cfg.client, v.issuer)
	if err != nil {
		return nil, fmt.Errorf("verify: read discovery of %s: %w", v.issuer, err)
	}
	v.jwksURL = jwksURL
	v.keys.Store(&keySet{})
	if _, err := v.fetchKeys(ctx); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}

	if cfg.feedEnabled {
		v.feed = newFeed(v.issuer+"/api/auth/revocations", cfg)
		if err := v.feed.poll(ctx, cfg.client, cfg.now()); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	return v, nil
}

// Issuer returns the issuer URL tokens must name, without a trailing slash.
func (v *Verifier) Issuer() string { return v.issuer }

// Verify checks raw, a compact JWT with no "Bearer " prefix, and returns its
// claims. The error matches ErrTokenMissing for an empty raw, ErrTokenExpired
// when the token is genuine but expired, ErrSessionRevoked when its session
// was revoked, ErrUnavailable when the Verifier cannot decide (see the
// package documentation), and ErrTokenInvalid for anything else. The
// signature is checked before the claims, so a forged token never reports
// ErrTokenExpired. ctx bounds the fetch of the key set that a token signed
// by an unknown key causes.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if raw == "" {
		return nil, ErrTokenMissing
	}
	if len(raw) > MaxTokenSize {
		return nil, invalidf("token is %d bytes, more than %d", len(raw), MaxTokenSize)
	}

	now := v.cfg.now()
	c, gen, hit := v.cached(raw)
	if !hit {
		var err error
		c, gen, err = v.verifySignature(ctx, raw)
		if err != nil {
			return nil, err
		}
		if err := v.checkStatic(c); err != nil {
			return nil, err
		}
	}
	if err := v.checkTimes(c, now); err != nil {
		return nil, err
	}
	if !hit && v.cache != nil {
		v.cache.put(raw, &entry{claims: c, gen: gen}, func(e *entry) bool {
			return e.gen != gen || v.checkTimes(e.claims, now) != nil
		})
	}
	if v.feed != nil {
		if err := v.feed.check(c.SessionID, now); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// cached returns the claims of raw if it was verified with keys that are
// still current.
func (v *Verifier) cached(raw string) (*Claims, uint64, bool) {
	if v.cache == nil {
		return nil, 0, false
	}
	e, ok := v.cache.get(raw)
	if !ok || e.gen != v.keys.Load().gen {
		return nil, 0, false
	}
	return e.claims, e.gen, true
}

// verifySignature decodes raw and checks its header and signature. It
// returns the generation of the key set that held the key.
func (v *Verifier) verifySignature(ctx context.Context, raw string) (*Claims, uint64, error) {
	v.signatureChecks.Add(1)
	var (
		w   wireClaims
		gen uint64
	)
	keyfunc := func(t *jwt.Token) (any, error) {
		k, g, err := v.keyFor(ctx, t)
		gen = g
		return k.pub, err
	}
	if _, err := parser.ParseWithClaims(raw, &w, keyfunc); err != nil {
		if errors.Is(err, ErrUnavailable) {
			return nil, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, 0, invalid(err)
	}
	return w.claims(), gen, nil
}

// keyFor returns the key that must have signed t: the one its kid names,
// whose algorithm must be the one t claims. An unknown kid makes it fetch
// the key set again, unless that happened too recently.
func (v *Verifier) keyFor(ctx context.Context, t *jwt.Token) (key, uint64, error) {
	for _, name := range refusedHeaders {
		if _, ok := t.Header[name]; ok {
			return key{}, 0, fmt.Errorf("header %q is not accepted", name)
		}
	}
	kid, ok := t.Header["kid"].(string)
	if !ok || kid == "" {
		return key{}, 0, errors.New("missing kid")
	}
	ks := v.keys.Load()
	k, ok := ks.byID[kid]
	if !ok {
		var err error
		if ks, err = v.refetch(ctx, ks); err != nil {
			return key{}, 0, err
		}
		if k, ok = ks.byID[kid]; !ok {
			return key{}, 0, fmt.Errorf("unknown kid %q", clip(kid))
		}
	}
	if alg := t.Method.Alg(); alg != k.alg {
		return key{}, 0, fmt.Errorf("alg %q does not match key %q of %s", clip(alg), kid, k.alg)
	}
	return k, ks.gen, nil
}

// refetch fetches the key set because a token named a kid that seen lacks.
// It returns the current set unfetched when another goroutine replaced seen
// meanwhile, or when the last attempt is more recent than the refetch
// interval.
func (v *Verifier) refetch(ctx context.Context, seen *keySet) (*keySet, error) {
	select {
	case v.fetchSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: wait for key set: %w", ErrUnavailable, ctx.Err())
	}
	defer func() { <-v.fetchSem }()

	if cur := v.keys.Load(); cur != seen {
		return cur, nil
	}
	if v.cfg.now().Sub(v.lastTry) < v.cfg.refetchEvery {
		return seen, nil
	}
	ks, err := v.fetchKeysLocked(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ks, nil
}

// fetchKeys fetches the key set and makes it current.
func (v *Verifier) fetchKeys(ctx context.Context) (*keySet, error) {
	select {
	case v.fetchSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for key set: %w", ctx.Err())
	}
	defer func() { <-v.fetchSem }()
	return v.fetchKeysLocked(ctx)
}

// fetchKeysLocked does the work of fetchKeys; the caller holds fetchSem.
func (v *Verifier) fetchKeysLocked(ctx context.Context) (*keySet, error) {
	now := v.cfg.now()
	v.lastTry = now
	var body []byte
	if err := getJSON(ctx, v.cfg.client, v.jwksURL, "", maxDocSize, &body); err != nil {
		return nil, fmt.Errorf("fetch key set: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("fetch key set from %s: %w", v.jwksURL, err)
	}
	old := v.keys.Load()
	next := &keySet{byID: keys, gen: old.gen, fetched: now}
	if !sameKeys(old.byID, keys) {
		next.gen++
	}
	v.keys.Store(next)
	return next, nil
}

// checkStatic checks the claims that do not depend on the clock.
func (v *Verifier) checkStatic(c *Claims) error {
	if err := checkRequired(c); err != nil {
		return invalid(err)
	}
	if c.Issuer != v.issuer {
		return invalidf("iss %q is not %q", clip(c.Issuer), v.issuer)
	}
	for _, aud := range c.Audience {
		if aud == v.cfg.audience {
			return nil
		}
	}
	return invalidf("aud does not include %q", v.cfg.audience)
}

// checkTimes checks nbf, iat and exp at now. Expiry comes last, so that
// ErrTokenExpired means nothing else is wrong.
func (v *Verifier) checkTimes(c *Claims, now time.Time) error {
	leeway := v.cfg.leeway
	switch {
	case now.Before(c.NotBefore.Add(-leeway)):
		return invalidf("not valid before %s", c.NotBefore.Format(time.RFC3339))
	case now.Before(c.IssuedAt.Add(-leeway)):
		return invalidf("issued in the future at %s", c.IssuedAt.Format(time.RFC3339))
	case !now.Before(c.ExpiresAt.Add(leeway)):
		return fmt.Errorf("%w at %s", ErrTokenExpired, c.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}
