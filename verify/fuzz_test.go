package verify

import (
	"context"
	"testing"
	"time"
)

// FuzzVerify checks that no token, however malformed, panics the verifier
// or passes with claims other than the ones the issuer signed.
func FuzzVerify(f *testing.F) {
	k := newTestKey(f, "k", "ES256")
	is := newFakeIssuer(f, k)
	v := mustNew(f, is, WithKeyRefetchInterval(time.Hour))
	f.Add(sign(f, k, is.claimsFor(time.Now()), nil))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(context.Background(), raw)
		if err != nil {
			return
		}
		if c.Subject != "user-1" || c.Issuer != is.srv.URL || c.SessionID != "session-1" {
			t.Errorf("accepted a token with claims %+v", *c)
		}
	})
}

// FuzzParseJWKS checks that a key set, however malformed, never panics and
// never yields a key pinned to an algorithm that is not accepted.
func FuzzParseJWKS(f *testing.F) {
	f.Add(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":"","kid":"a","alg":"ES256"}]}`)
	f.Add(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","kid":"b","alg":"EdDSA"}]}`)
	f.Add(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"c","alg":"RS256"}]}`)
	f.Add(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"d","alg":"HS256"}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		keys, err := parseJWKS([]byte(doc))
		if err != nil {
			return
		}
		for id, k := range keys {
			if _, ok := algorithms[k.alg]; !ok || k.pub == nil {
				t.Errorf("key %q: alg %q, key %v", id, k.alg, k.pub)
			}
		}
	})
}
