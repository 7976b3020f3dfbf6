package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"time"
)

// Limits on documents fetched from the issuer.
const (
	maxDocSize  = 1 << 20 // discovery document and key set
	maxFeedSize = 8 << 20 // one page of the revocation feed
	minRSABits  = 2048
)

// algorithms maps each accepted JWS algorithm to the key type it needs.
// HMAC and none are absent on purpose: a public key must never be usable as
// a shared secret.
var algorithms = map[string]struct{ kty, crv string }{
	"ES256": {"EC", "P-256"},
	"ES384": {"EC", "P-384"},
	"ES512": {"EC", "P-521"},
	"EdDSA": {"OKP", "Ed25519"},
	"RS256": {"RSA", ""},
	"RS384": {"RSA", ""},
	"RS512": {"RSA", ""},
	"PS256": {"RSA", ""},
	"PS384": {"RSA", ""},
	"PS512": {"RSA", ""},
}

// key is a public key with the one algorithm it verifies.
type key struct {
	alg string
	pub crypto.PublicKey
}

// keySet is an immutable snapshot of the issuer's keys. gen changes when a
// key is removed or replaced, which makes cached tokens be checked afresh.
type keySet struct {
	byID    map[string]key
	gen     uint64
	fetched time.Time
}

// discovery is the part of the openid-configuration document used here.
type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// jwk is one JSON Web Key as published by the issuer.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// fetchDiscovery reads the issuer's discovery document and returns the key
// set's URL. The document must name exactly the expected issuer.
func fetchDiscovery(ctx context.Context, c *http.Client, issuer string) (string, error) {
	var d discovery
	if err := getJSON(ctx, c, issuer+"/.well-known/openid-configuration", "", maxDocSize,
		&d); err != nil {
		return "", err
	}
	if d.Issuer != issuer {
		return "", fmt.Errorf("discovery names issuer %q, want %q", clip(d.Issuer), issuer)
	}
	u, err := url.Parse(d.JWKSURI)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("discovery has jwks_uri %q, want an http or https URL",
			clip(d.JWKSURI))
	}
	return d.JWKSURI, nil
}

// parseJWKS decodes a key set, leaving out keys that cannot be pinned to one
// accepted algorithm: keys for another use, without kid or alg, with an alg
// that does not suit the key, or too weak. The first key with a given kid
// wins. A set with no usable key is an error.
func parseJWKS(data []byte) (map[string]key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decode key set: %w", err)
	}
	keys := make(map[string]key, len(set.Keys))
	var skipped []error
	for _, raw := range set.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, err)
			continue
		}
		if _, dup := keys[j.Kid]; dup {
			continue
		}
		k, err := parseJWK(j)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %q: %w", clip(j.Kid), err))
			continue
		}
		keys[j.Kid] = k
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("key set has no usable key: %w", errors.Join(skipped...))
	}
	return keys, nil
}

// parseJWK turns j into a key pinned to j.Alg.
func parseJWK(j jwk) (key, error) {
	if j.Use != "" && j.Use != "sig" {
		return key{}, fmt.Errorf("use %q is not sig", clip(j.Use))
	}
	if j.Kid == "" {
		return key{}, errors.New("no kid")
	}
	want, ok := algorithms[j.Alg]
	if !ok {
		return key{}, fmt.Errorf("alg %q is not accepted", clip(j.Alg))
	}
	if j.Kty != want.kty || j.Crv != want.crv {
		return key{}, fmt.Errorf("kty %q crv %q do not suit alg %s",
			clip(j.Kty), clip(j.Crv), j.Alg)
	}
	var (
		pub crypto.PublicKey
		err error
	)
	switch j.Kty {
	case "EC":
		pub, err = ecKey(j)
	case "OKP":
		pub, err = edKey(j)
	case "RSA":
		pub, err = rsaKey(j)
	}
	if err != nil {
		return key{}, err
	}
	return key{alg: j.Alg, pub: pub}, nil
}

func ecKey(j jwk) (*ecdsa.PublicKey, error) {
	curve := map[string]elliptic.Curve{
		"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521(),
	}[j.Crv]
	size := (curve.Params().BitSize + 7) / 8
	x, errX := b64(j.X)
	y, errY := b64(j.Y)
	if errX != nil || errY != nil || len(x) != size || len(y) != size {
		return nil, fmt.Errorf("x and y must be %d bytes of base64url each", size)
	}
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("parse EC key: %w", err)
	}
	return pub, nil
}

func edKey(j jwk) (ed25519.PublicKey, error) {
	x, err := b64(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("x must be %d bytes of base64url", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), nil
}

func rsaKey(j jwk) (*rsa.PublicKey, error) {
	n, errN := b64(j.N)
	e, errE := b64(j.E)
	if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("n and e must be base64url, e at most 4 bytes")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if pub.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("RSA key of %d bits, want at least %d", pub.N.BitLen(), minRSABits)
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return nil, fmt.Errorf("RSA exponent %d is not an odd number above 1", pub.E)
	}
	return pub, nil
}

func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// sameKeys reports whether every key of old is in next, unchanged. Keys
// added to next do not matter: tokens verified with old keys stay good.
func sameKeys(old, next map[string]key) bool {
	for id, a := range old {
		b, ok := next[id]
		if !ok || a.alg != b.alg {
			return false
		}
		pub, ok := a.pub.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(b.pub) {
			return false
		}
	}
	return true
}

// errStatus is an HTTP answer other than 200 from the issuer.
type errStatus struct {
	url    string
	status int
	code   string
}

func (e *errStatus) Error() string {
	if e.code != "" {
		return fmt.Sprintf("GET %s: status %d, error %q", e.url, e.status, clip(e.code))
	}
	return fmt.Sprintf("GET %s: status %d", e.url, e.status)
}

// getJSON fetches u and decodes a 200 answer of at most limit bytes into v.
// A non-empty credential goes in the Authorization header.
func getJSON(ctx context.Context, c *http.Client, u, credential string, limit int64,
	v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err // already names the method and URL
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("GET %s: read body: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return &errStatus{url: u, status: resp.StatusCode, code: e.Error}
	}
	if int64(len(body)) > limit {
		return fmt.Errorf("GET %s: body larger than %d bytes", u, limit)
	}
	if raw, ok := v.(*[]byte); ok {
		*raw = body
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: decode body: %w", u, err)
	}
	return nil
}
