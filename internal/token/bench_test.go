package token

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

// benchClaims are typical access-token claims, valid at testNow.
func benchClaims() Claims {
	return Claims{
		Issuer:    testIssuer,
		Audience:  testAudience,
		Subject:   NewID(),
		SessionID: NewID(),
		Role:      "user",
		Email:     "ada.lovelace@example.test",
		IssuedAt:  testNow,
		NotBefore: testNow,
		ExpiresAt: testNow.Add(15 * time.Minute),
	}
}

func benchRings(b *testing.B) map[string]*Keyring {
	ks := testKeys()
	rings := make(map[string]*Keyring)
	for _, k := range []*Key{ks.es, ks.ed, ks.rs} {
		r := NewKeyring()
		r.Set([]*Key{k})
		rings[k.Algorithm] = r
	}
	return rings
}

func BenchmarkIssue(b *testing.B) {
	rings := benchRings(b)
	for _, alg := range []string{ES256, EdDSA, RS256} {
		b.Run(alg, func(b *testing.B) {
			c := benchClaims()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Issue(rings[alg], c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyCold verifies with the cache off, so every call parses the
// token and checks its signature: the cost of a first-time verification.
func BenchmarkVerifyCold(b *testing.B) {
	rings := benchRings(b)
	for _, alg := range []string{ES256, EdDSA, RS256} {
		b.Run(alg, func(b *testing.B) {
			raw, err := Issue(rings[alg], benchClaims())
			if err != nil {
				b.Fatal(err)
			}
			v := testVerifier(rings[alg], VerifierOptions{CacheSize: -1})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyColdCacheOn is the same first-time verification with the
// cache on, so it includes inserting into a full cache.
func BenchmarkVerifyColdCacheOn(b *testing.B) {
	rings := benchRings(b)
	tokens := make([]string, 1000)
	for i := range tokens {
		raw, err := Issue(rings[ES256], benchClaims())
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = raw
	}
	v := testVerifier(rings[ES256], VerifierOptions{CacheSize: 100})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// 1000 tokens through a 100-entry cache: nearly every call misses.
		if _, err := v.Verify(tokens[i%len(tokens)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkVerifyCached verifies one token over and over from every
// goroutine: the common case of a protected request.
func BenchmarkVerifyCached(b *testing.B) {
	rings := benchRings(b)
	raw, err := Issue(rings[ES256], benchClaims())
	if err != nil {
		b.Fatal(err)
	}
	v := testVerifier(rings[ES256], VerifierOptions{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(raw); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyCachedMany spreads the parallel load over 1000 tokens.
func BenchmarkVerifyCachedMany(b *testing.B) {
	rings := benchRings(b)
	tokens := make([]string, 1000)
	for i := range tokens {
		raw, err := Issue(rings[ES256], benchClaims())
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = raw
	}
	v := testVerifier(rings[ES256], VerifierOptions{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := v.Verify(tokens[i%len(tokens)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkRawECDSAVerify is the floor for BenchmarkVerifyCold/ES256: the
// P-256 signature check alone, on a hash computed once.
func BenchmarkRawECDSAVerify(b *testing.B) {
	k := testKeys().es.Signer.(*ecdsa.PrivateKey)
	raw, err := Issue(benchRings(b)[ES256], benchClaims())
	if err != nil {
		b.Fatal(err)
	}
	input := raw[:strings.LastIndexByte(raw, '.')]
	hash := sha256.Sum256([]byte(input))
	sig, err := ecdsa.SignASN1(nil, k, hash[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !ecdsa.VerifyASN1(&k.PublicKey, hash[:], sig) {
			b.Fatal("signature does not verify")
		}
	}
}
