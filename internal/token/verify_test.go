package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestVerifyHostileTokens feeds the verifier valid tokens and every kind of
// forged, malformed or misused token we know of.
func TestVerifyHostileTokens(t *testing.T) {
	ring, ks := testRing(t)
	es, ed, rs := ks.es, ks.ed, ks.rs
	claims := goodClaims()
	valid := signed(t, es, goodHeader(es), claims)
	parts := strings.Split(valid, ".")

	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := func(k *Key) []byte {
		der, err := x509.MarshalPKIXPublicKey(k.Signer.Public())
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	unsigned := func(header any) string {
		return segment(t, header) + "." + segment(t, claims) + "."
	}
	hdr := func(k *Key, kv ...any) map[string]any { return with(goodHeader(k), kv...) }
	clm := func(kv ...any) map[string]any { return with(claims, kv...) }
	ago := func(d time.Duration) int64 { return testNow.Add(-d).Unix() }
	ahead := func(d time.Duration) int64 { return testNow.Add(d).Unix() }

	// tamper replaces the payload of a signed token, keeping its signature.
	tamper := func(token string, c map[string]any) string {
		p := strings.Split(token, ".")
		return p[0] + "." + segment(t, c) + "." + p[2]
	}
	expired := signed(t, es, goodHeader(es), clm("exp", ago(time.Hour)))

	derSig := func() string {
		input := parts[0] + "." + parts[1]
		h := sha256.Sum256([]byte(input))
		sig, err := ecdsa.SignASN1(rand.Reader, es.Signer.(*ecdsa.PrivateKey), h[:])
		if err != nil {
			t.Fatal(err)
		}
		return input + "." + b64(sig)
	}()

	// nonCanonical changes the unused low bits of the last base64 character
	// of an Ed25519 signature, which a lax decoder would ignore.
	nonCanonical := func() string {
		tok := signed(t, ed, goodHeader(ed), claims)
		last := tok[len(tok)-1]
		alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(alphabet, last)
		return tok[:len(tok)-1] + string(alphabet[i^1])
	}()

	tests := []struct {
		name  string
		token string
		want  error // nil, ErrInvalid or ErrExpired
	}{
		{"valid ES256", valid, nil},
		{"valid EdDSA", signed(t, ed, goodHeader(ed), claims), nil},
		{"valid RS256", signed(t, rs, goodHeader(rs), claims), nil},
		{"valid without typ", signed(t, es, hdr(es, "typ", nil), claims), nil},
		{"valid without iat, nbf, jti", signed(t, es, goodHeader(es),
			clm("iat", nil, "nbf", nil, "jti", nil)), nil},
		{"valid with fractional exp", signed(t, es, goodHeader(es),
			clm("exp", float64(ahead(time.Minute))+0.5)), nil},
		{"valid with aud array", signed(t, es, goodHeader(es),
			clm("aud", []string{"other", testAudience})), nil},

		// Shape.
		{"empty", "", ErrInvalid},
		{"one part", "abc", ErrInvalid},
		{"two parts", parts[0] + "." + parts[1], ErrInvalid},
		{"four parts", valid + ".", ErrInvalid},
		{"only dots", strings.Repeat(".", MaxTokenSize), ErrInvalid},
		{"over 8 KiB, validly signed", signed(t, es, goodHeader(es),
			clm("pad", strings.Repeat("x", MaxTokenSize))), ErrInvalid},
		{"bearer prefix left on", "Bearer " + valid, ErrInvalid},
		{"surrounding space", " " + valid + " ", ErrInvalid},
		{"header not base64", "!!!." + parts[1] + "." + parts[2], ErrInvalid},
		{"header not JSON", b64([]byte("alg")) + "." + parts[1] + "." + parts[2], ErrInvalid},
		{"header a JSON array", segment(t, `["ES256"]`) + "." + parts[1] + "." + parts[2],
			ErrInvalid},
		{"payload not JSON", signed(t, es, goodHeader(es), "not json"), ErrInvalid},
		{"padded signature", valid + "==", ErrInvalid},
		{"non-canonical base64", nonCanonical, ErrInvalid},

		// Signature.
		{"stripped signature", parts[0] + "." + parts[1] + ".", ErrInvalid},
		{"all-zero ECDSA signature", parts[0] + "." + parts[1] + "." + b64(make([]byte, 64)),
			ErrInvalid},
		{"ECDSA signature in DER", derSig, ErrInvalid},
		{"tampered payload", tamper(valid, clm("role", "admin")), ErrInvalid},
		{"tampered header", segment(t, hdr(es, "typ", "jwt")) + "." + parts[1] + "." + parts[2],
			ErrInvalid},
		{"expired and tampered", tamper(expired, clm("exp", ago(time.Hour), "sub", "x")),
			ErrInvalid},
		{"signed by a key outside the ring", signed(t, ks.outsider, goodHeader(ks.outsider),
			claims), ErrInvalid},
		{"signed by another key under a known kid", signed(t, ks.outsider, goodHeader(es),
			claims), ErrInvalid},

		// Algorithm.
		{"alg none", unsigned(hdr(es, "alg", "none")), ErrInvalid},
		{"alg None", unsigned(hdr(es, "alg", "None")), ErrInvalid},
		{"alg NONE", unsigned(hdr(es, "alg", "NONE")), ErrInvalid},
		{"alg nOnE", unsigned(hdr(es, "alg", "nOnE")), ErrInvalid},
		{"alg none without kid", unsigned(map[string]any{"alg": "none"}), ErrInvalid},
		{"alg none signed by golang-jwt", forge(t, jwt.SigningMethodNone,
			jwt.UnsafeAllowNoneSignatureType, hdr(es, "alg", "none"), claims), ErrInvalid},
		{"alg missing", signed(t, es, hdr(es, "alg", nil), claims), ErrInvalid},
		{"alg lower case", signed(t, es, hdr(es, "alg", "es256"), claims), ErrInvalid},
		{"alg not a string", signed(t, es, hdr(es, "alg", 256), claims), ErrInvalid},
		{"HS256 keyed with the EC public key", forge(t, jwt.SigningMethodHS256, publicPEM(es),
			hdr(es, "alg", "HS256"), claims), ErrInvalid},
		{"HS256 keyed with the RSA public key", forge(t, jwt.SigningMethodHS256, publicPEM(rs),
			hdr(rs, "alg", "HS256"), claims), ErrInvalid},
		{"RS256 under the ES256 kid", forge(t, jwt.SigningMethodRS256, otherRSA,
			hdr(es, "alg", RS256), claims), ErrInvalid},
		{"RS256 under the EdDSA kid", forge(t, jwt.SigningMethodRS256, rs.Signer,
			hdr(ed, "alg", RS256), claims), ErrInvalid},
		{"ES256 under the RS256 kid", forge(t, jwt.SigningMethodES256, es.Signer,
			hdr(rs, "alg", ES256), claims), ErrInvalid},
		{"EdDSA under the ES256 kid", forge(t, jwt.SigningMethodEdDSA, ed.Signer,
			hdr(es, "alg", EdDSA), claims), ErrInvalid},
		{"PS256 with the ring's RSA key", forge(t, jwt.SigningMethodPS256, rs.Signer,
			hdr(rs, "alg", "PS256"), claims), ErrInvalid},
		{"ES384 under the ES256 kid", forge(t, jwt.SigningMethodES384, p384,
			hdr(es, "alg", "ES384"), claims), ErrInvalid},

		// Key selection.
		{"kid missing", signed(t, es, hdr(es, "kid", nil), claims), ErrInvalid},
		{"kid empty", signed(t, es, hdr(es, "kid", ""), claims), ErrInvalid},
		{"kid a number", signed(t, es, hdr(es, "kid", 7), claims), ErrInvalid},
		{"kid unknown", signed(t, es, hdr(es, "kid", "no-such-key"), claims), ErrInvalid},
		{"jwk header", signed(t, es, hdr(es, "jwk", map[string]any{"kty": "EC"}), claims),
			ErrInvalid},
		{"jku header", signed(t, es, hdr(es, "jku", "https://evil.test/jwks"), claims),
			ErrInvalid},
		{"x5u header", signed(t, es, hdr(es, "x5u", "https://evil.test/cert"), claims),
			ErrInvalid},
		{"x5c header", signed(t, es, hdr(es, "x5c", []string{"MIIB"}), claims), ErrInvalid},
		{"crit header", signed(t, es, hdr(es, "crit", []string{"exp"}), claims), ErrInvalid},
		{"null jku header", signed(t, es, hdr(es, "jku", json.RawMessage("null")), claims),
			ErrInvalid},

		// Required claims and their types.
		{"exp missing", signed(t, es, goodHeader(es), clm("exp", nil)), ErrInvalid},
		{"iss missing", signed(t, es, goodHeader(es), clm("iss", nil)), ErrInvalid},
		{"aud missing", signed(t, es, goodHeader(es), clm("aud", nil)), ErrInvalid},
		{"sub missing", signed(t, es, goodHeader(es), clm("sub", nil)), ErrInvalid},
		{"sid missing", signed(t, es, goodHeader(es), clm("sid", nil)), ErrInvalid},
		{"sub empty", signed(t, es, goodHeader(es), clm("sub", "")), ErrInvalid},
		{"exp a string", signed(t, es, goodHeader(es),
			clm("exp", "9999999999")), ErrInvalid},
		{"exp a bool", signed(t, es, goodHeader(es), clm("exp", true)), ErrInvalid},
		{"exp negative", signed(t, es, goodHeader(es), clm("exp", -1)), ErrInvalid},
		{"exp past year 9999", signed(t, es, goodHeader(es), clm("exp", 1e20)), ErrInvalid},
		{"nbf a string", signed(t, es, goodHeader(es), clm("nbf", "0")), ErrInvalid},
		{"sub a number", signed(t, es, goodHeader(es), clm("sub", 42)), ErrInvalid},
		{"sid an object", signed(t, es, goodHeader(es), clm("sid", map[string]any{})),
			ErrInvalid},

		// Issuer and audience.
		{"wrong iss", signed(t, es, goodHeader(es), clm("iss", "https://evil.test")),
			ErrInvalid},
		{"iss differs in case", signed(t, es, goodHeader(es),
			clm("iss", strings.ToUpper(testIssuer))), ErrInvalid},
		{"wrong aud", signed(t, es, goodHeader(es), clm("aud", "other")), ErrInvalid},
		{"aud array without ours", signed(t, es, goodHeader(es),
			clm("aud", []string{"a", "b"})), ErrInvalid},
		{"aud empty array", signed(t, es, goodHeader(es), clm("aud", []string{})), ErrInvalid},
		{"aud a number", signed(t, es, goodHeader(es), clm("aud", 1)), ErrInvalid},

		// Time, with the default leeway of 30 s.
		{"exp within leeway", signed(t, es, goodHeader(es), clm("exp", ago(29*time.Second))),
			nil},
		{"exp at leeway", signed(t, es, goodHeader(es), clm("exp", ago(30*time.Second))),
			ErrExpired},
		{"expired", expired, ErrExpired},
		{"exp zero", signed(t, es, goodHeader(es), clm("exp", 0)), ErrExpired},
		{"expired and wrong iss", signed(t, es, goodHeader(es),
			clm("exp", ago(time.Hour), "iss", "x")), ErrInvalid},
		{"nbf within leeway", signed(t, es, goodHeader(es), clm("nbf", ahead(30*time.Second))),
			nil},
		{"nbf beyond leeway", signed(t, es, goodHeader(es), clm("nbf", ahead(31*time.Second))),
			ErrInvalid},
		{"iat within leeway", signed(t, es, goodHeader(es), clm("iat", ahead(30*time.Second))),
			nil},
		{"iat beyond leeway", signed(t, es, goodHeader(es), clm("iat", ahead(31*time.Second))),
			ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh verifier each time, so that no row sees another's
			// cache; each token is verified twice to exercise the cache.
			v := testVerifier(ring, VerifierOptions{})
			for round := range 2 {
				got, err := v.Verify(tt.token)
				checkVerifyError(t, err, tt.want)
				if tt.want != nil && got != (Claims{}) {
					t.Errorf("round %d: got claims %+v with an error, want none", round, got)
				}
				if tt.want == nil && (got.Subject != "user-1" || got.Audience != testAudience) {
					t.Errorf("round %d: got sub %q aud %q, want %q %q",
						round, got.Subject, got.Audience, "user-1", testAudience)
				}
			}
		})
	}
}

// checkVerifyError fails unless err matches want (nil, ErrInvalid or
// ErrExpired) and not the other sentinel.
func checkVerifyError(t *testing.T, err, want error) {
	t.Helper()
	switch want {
	case nil:
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
	case ErrInvalid, ErrExpired:
		if !errors.Is(err, want) {
			t.Fatalf("got error %v, want one matching %v", err, want)
		}
		other := ErrExpired
		if want == ErrExpired {
			other = ErrInvalid
		}
		if errors.Is(err, other) {
			t.Fatalf("got error %v, which also matches %v", err, other)
		}
	}
}

// TestKeyForPinsAlgorithm checks the pin on its own: golang-jwt would also
// refuse most mismatches because the key has the wrong type, so the table
// above cannot tell whether the pin is there.
func TestKeyForPinsAlgorithm(t *testing.T) {
	ring, ks := testRing(t)
	state := ring.load()
	for _, k := range []*Key{ks.es, ks.ed, ks.rs} {
		for _, alg := range []string{ES256, EdDSA, RS256, "PS256", "ES384", "HS256", "none"} {
			method := jwt.GetSigningMethod(alg)
			if method == nil {
				t.Fatalf("golang-jwt has no method %q", alg)
			}
			tok := &jwt.Token{Header: goodHeader(k), Method: method}
			tok.Header["alg"] = alg
			got, err := state.keyFor(tok)
			if alg == k.Algorithm {
				if err != nil || got != k {
					t.Errorf("alg %s, kid of %s: got %v, %v; want the key", alg, k.Algorithm,
						got, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("alg %s, kid of %s key: got no error, want one", alg, k.Algorithm)
			}
		}
	}
}

// TestVerifySignatureBeforeClaims checks the order golang-jwt v5 follows: an
// expired token with a forged payload must fail on its signature, so that a
// forger cannot learn anything from, or be told to refresh by, ErrExpired.
func TestVerifySignatureBeforeClaims(t *testing.T) {
	ring, ks := testRing(t)
	v := testVerifier(ring, VerifierOptions{})
	exp := testNow.Add(-time.Hour).Unix()
	genuine := signed(t, ks.es, goodHeader(ks.es), with(goodClaims(), "exp", exp))
	p := strings.Split(genuine, ".")
	forged := p[0] + "." + segment(t, with(goodClaims(), "exp", exp, "sub", "admin")) + "." + p[2]

	if _, err := v.Verify(genuine); !errors.Is(err, ErrExpired) {
		t.Fatalf("genuine expired token: got %v, want ErrExpired", err)
	}
	_, err := v.Verify(forged)
	if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		t.Errorf("forged expired token: got %v, want jwt.ErrTokenSignatureInvalid", err)
	}
	if errors.Is(err, ErrExpired) || errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("forged expired token: got %v, which reports expiry", err)
	}
}

// TestVerifyClaims checks that Issue and Verify agree on every claim, for
// every algorithm.
func TestVerifyClaims(t *testing.T) {
	ks := testKeys()
	want := Claims{
		Issuer:    testIssuer,
		Subject:   "user-1",
		Audience:  testAudience,
		ExpiresAt: testNow.Add(15 * time.Minute),
		NotBefore: testNow.Add(-time.Second),
		IssuedAt:  testNow.Add(-time.Second),
		ID:        "token-1",
		SessionID: "session-1",
		Role:      "admin",
		Email:     "ada@example.test",
	}
	for _, k := range []*Key{ks.es, ks.ed, ks.rs} {
		t.Run(k.Algorithm, func(t *testing.T) {
			ring := NewKeyring()
			ring.Set([]*Key{k})
			raw, err := Issue(ring, want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := testVerifier(ring, VerifierOptions{}).Verify(raw)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestVerifierOptions(t *testing.T) {
	ring, ks := testRing(t)
	expiredBy := func(d time.Duration) string {
		c := with(goodClaims(), "exp", testNow.Add(-d).Unix())
		return signed(t, ks.es, goodHeader(ks.es), c)
	}
	tests := []struct {
		name  string
		opts  VerifierOptions
		token string
		want  error
	}{
		{"default leeway allows 29 s", VerifierOptions{}, expiredBy(29 * time.Second), nil},
		{"default leeway ends at 30 s", VerifierOptions{}, expiredBy(30 * time.Second),
			ErrExpired},
		{"leeway 2 min allows 119 s", VerifierOptions{Leeway: 2 * time.Minute},
			expiredBy(119 * time.Second), nil},
		{"negative leeway allows nothing", VerifierOptions{Leeway: -1},
			expiredBy(0), ErrExpired},
		{"negative leeway, 1 s left", VerifierOptions{Leeway: -1},
			expiredBy(-time.Second), nil},
		{"other issuer", VerifierOptions{Issuer: "https://other.test"}, expiredBy(-time.Minute),
			ErrInvalid},
		{"other audience", VerifierOptions{Audience: "other"}, expiredBy(-time.Minute),
			ErrInvalid},
		{"cache off", VerifierOptions{CacheSize: -1}, expiredBy(-time.Minute), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testVerifier(ring, tt.opts).Verify(tt.token)
			checkVerifyError(t, err, tt.want)
		})
	}

	t.Run("empty issuer and audience match nothing", func(t *testing.T) {
		v := NewVerifier(ring, VerifierOptions{Now: fixedNow})
		c := with(goodClaims(), "iss", "", "aud", "")
		_, err := v.Verify(signed(t, ks.es, goodHeader(ks.es), c))
		checkVerifyError(t, err, ErrInvalid)
	})
	t.Run("nil Now means the real clock", func(t *testing.T) {
		v := NewVerifier(ring, VerifierOptions{Issuer: testIssuer, Audience: testAudience})
		// goodClaims expired long before the real clock reads now.
		if testNow.After(time.Now()) {
			t.Fatalf("test clock %v is ahead of the real clock", testNow)
		}
		_, err := v.Verify(signed(t, ks.es, goodHeader(ks.es), goodClaims()))
		checkVerifyError(t, err, ErrExpired)
	})
}

func TestVerifyCache(t *testing.T) {
	ring, ks := testRing(t)
	token := signed(t, ks.es, goodHeader(ks.es), goodClaims())
	exp := testNow.Add(15 * time.Minute)

	t.Run("repeated token skips the signature check", func(t *testing.T) {
		v := testVerifier(ring, VerifierOptions{})
		for range 3 {
			if _, err := v.Verify(token); err != nil {
				t.Fatal(err)
			}
		}
		if got := v.signatureChecks.Load(); got != 1 {
			t.Errorf("got %d signature checks, want 1", got)
		}
	})

	t.Run("cache off checks every time", func(t *testing.T) {
		v := testVerifier(ring, VerifierOptions{CacheSize: -1})
		for range 3 {
			if _, err := v.Verify(token); err != nil {
				t.Fatal(err)
			}
		}
		if got := v.signatureChecks.Load(); got != 3 {
			t.Errorf("got %d signature checks, want 3", got)
		}
	})

	t.Run("refused tokens are not cached", func(t *testing.T) {
		expired := signed(t, ks.es, goodHeader(ks.es),
			with(goodClaims(), "exp", testNow.Add(-time.Hour).Unix()))
		wrongIss := signed(t, ks.es, goodHeader(ks.es), with(goodClaims(), "iss", "x"))
		v := testVerifier(ring, VerifierOptions{})
		for range 2 {
			v.Verify(expired)
			v.Verify(wrongIss)
		}
		if got := v.signatureChecks.Load(); got != 4 {
			t.Errorf("got %d signature checks, want 4", got)
		}
		if got := v.cache.len(); got != 0 {
			t.Errorf("got %d cached tokens, want 0", got)
		}
	})

	t.Run("cached token still expires", func(t *testing.T) {
		now := testNow
		v := testVerifier(ring, VerifierOptions{Now: func() time.Time { return now }})
		if _, err := v.Verify(token); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			at   time.Time
			want error
		}{
			{exp, nil},
			{exp.Add(DefaultLeeway - time.Nanosecond), nil},
			{exp.Add(DefaultLeeway), ErrExpired},
			{exp.Add(time.Hour), ErrExpired},
		}
		for _, s := range steps {
			now = s.at
			_, err := v.Verify(token)
			checkVerifyError(t, err, s.want)
		}
		if got := v.signatureChecks.Load(); got != 1 {
			t.Errorf("got %d signature checks, want 1 (the rest from the cache)", got)
		}
	})

	t.Run("Set without the signing key drops its tokens", func(t *testing.T) {
		ring, _ := testRing(t)
		v := testVerifier(ring, VerifierOptions{})
		if _, err := v.Verify(token); err != nil {
			t.Fatal(err)
		}
		ring.Set([]*Key{ks.ed, ks.rs})
		_, err := v.Verify(token)
		checkVerifyError(t, err, ErrInvalid)
	})

	t.Run("Set with the same keys reloaded keeps the cache", func(t *testing.T) {
		ring, _ := testRing(t)
		v := testVerifier(ring, VerifierOptions{})
		if _, err := v.Verify(token); err != nil {
			t.Fatal(err)
		}
		master := make([]byte, MasterKeySize)
		var reloaded []*Key
		for _, k := range ring.Keys() {
			sealed, err := k.Seal(master)
			if err != nil {
				t.Fatal(err)
			}
			k2, err := OpenKey(k.ID, k.Algorithm, sealed, master, k.CreatedAt, testNow)
			if err != nil {
				t.Fatal(err)
			}
			reloaded = append(reloaded, k2)
		}
		ring.Set(reloaded) // all retired now, which does not affect verification
		if _, err := v.Verify(token); err != nil {
			t.Fatal(err)
		}
		if got := v.signatureChecks.Load(); got != 1 {
			t.Errorf("got %d signature checks, want 1", got)
		}

		ring.Set(append(reloaded, ks.outsider)) // a rotation: checked afresh
		if _, err := v.Verify(token); err != nil {
			t.Fatal(err)
		}
		if got := v.signatureChecks.Load(); got != 2 {
			t.Errorf("after a new key: got %d signature checks, want 2", got)
		}
	})

	t.Run("size is bounded", func(t *testing.T) {
		const size = 8
		v := testVerifier(ring, VerifierOptions{CacheSize: size})
		for i := range 100 {
			c := with(goodClaims(), "jti", NewID())
			if _, err := v.Verify(signed(t, ks.ed, goodHeader(ks.ed), c)); err != nil {
				t.Fatalf("token %d: %v", i, err)
			}
			if got := v.cache.len(); got > size {
				t.Fatalf("after %d tokens: got %d cached, want at most %d", i+1, got, size)
			}
		}
		if got := v.cache.len(); got == 0 {
			t.Errorf("got an empty cache, want some tokens cached")
		}
	})

	t.Run("full cache drops expired tokens first", func(t *testing.T) {
		now := testNow
		v := testVerifier(ring, VerifierOptions{CacheSize: 4,
			Now: func() time.Time { return now }})
		var early []string
		for range 4 {
			c := with(goodClaims(), "jti", NewID(), "exp", testNow.Add(time.Minute).Unix())
			tok := signed(t, ks.ed, goodHeader(ks.ed), c)
			early = append(early, tok)
			if _, err := v.Verify(tok); err != nil {
				t.Fatal(err)
			}
		}
		now = testNow.Add(10 * time.Minute) // the four above have expired
		var late []string
		for range 3 {
			tok := signed(t, ks.ed, goodHeader(ks.ed), with(goodClaims(), "jti", NewID()))
			late = append(late, tok)
			if _, err := v.Verify(tok); err != nil {
				t.Fatal(err)
			}
		}
		for _, tok := range early {
			if _, ok := v.cache.get(tok, ring.load().gen); ok {
				t.Errorf("expired token still cached")
			}
		}
		for _, tok := range late {
			if _, ok := v.cache.get(tok, ring.load().gen); !ok {
				t.Errorf("valid token dropped while expired ones could go")
			}
		}
	})
}

// TestVerifyConcurrent is for the race detector: verifications racing with
// key rotation must neither race nor accept a removed key's token.
func TestVerifyConcurrent(t *testing.T) {
	ring, ks := testRing(t)
	v := testVerifier(ring, VerifierOptions{CacheSize: 16})
	tokens := make([]string, 32)
	for i := range tokens {
		tokens[i] = signed(t, ks.ed, goodHeader(ks.ed), with(goodClaims(), "jti", NewID()))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				tok := tokens[(i*7+w)%len(tokens)]
				if _, err := v.Verify(tok); err != nil && !errors.Is(err, ErrInvalid) {
					t.Errorf("got %v, want nil or ErrInvalid", err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			if i%2 == 0 {
				ring.Set([]*Key{ks.es, ks.rs})
			} else {
				ring.Set([]*Key{ks.es, ks.ed, ks.rs})
			}
		}
	})
	wg.Wait()

	ring.Set([]*Key{ks.es})
	for _, tok := range tokens {
		_, err := v.Verify(tok)
		checkVerifyError(t, err, ErrInvalid)
	}
}

// TestVerifyErrorsDoNotEchoLongInput keeps hostile header values from
// flooding logs.
func TestVerifyErrorsDoNotEchoLongInput(t *testing.T) {
	ring, ks := testRing(t)
	v := testVerifier(ring, VerifierOptions{})
	long := strings.Repeat("k", 2000)
	_, err := v.Verify(signed(t, ks.es, with(goodHeader(ks.es), "kid", long), goodClaims()))
	checkVerifyError(t, err, ErrInvalid)
	if n := len(err.Error()); n > 400 {
		t.Errorf("got an error of %d bytes, want at most 400: %.100s...", n, err)
	}
}
