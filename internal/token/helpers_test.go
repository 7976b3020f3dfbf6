package token

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://auth.example.test"
	testAudience = "https://app.example.test"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// testKeySet holds keys made once per test binary: RSA generation is slow.
type testKeySet struct {
	es, ed, rs *Key
	// outsider is an ES256 key that is never put in a test ring.
	outsider *Key
}

var testKeys = sync.OnceValue(func() testKeySet {
	gen := func(alg string, age time.Duration) *Key {
		k, err := GenerateKey(alg, testNow.Add(-age))
		if err != nil {
			panic(err)
		}
		return k
	}
	return testKeySet{
		es:       gen(ES256, time.Hour),
		ed:       gen(EdDSA, 2*time.Hour),
		rs:       gen(RS256, 3*time.Hour),
		outsider: gen(ES256, 0),
	}
})

// testRing returns a ring with the ES256, EdDSA and RS256 test keys; ES256
// is the newest and signs.
func testRing(t testing.TB) (*Keyring, testKeySet) {
	t.Helper()
	ks := testKeys()
	r := NewKeyring()
	r.Set([]*Key{ks.rs, ks.ed, ks.es})
	return r, ks
}

func testVerifier(r *Keyring, o VerifierOptions) *Verifier {
	if o.Issuer == "" {
		o.Issuer = testIssuer
	}
	if o.Audience == "" {
		o.Audience = testAudience
	}
	if o.Now == nil {
		o.Now = fixedNow
	}
	return NewVerifier(r, o)
}

// goodClaims returns the claims of a valid token at testNow.
func goodClaims() map[string]any {
	return map[string]any{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   "user-1",
		"sid":   "session-1",
		"jti":   "token-1",
		"role":  "user",
		"email": "ada@example.test",
		"iat":   testNow.Unix(),
		"nbf":   testNow.Unix(),
		"exp":   testNow.Add(15 * time.Minute).Unix(),
	}
}

// goodHeader returns the header Issue would write for k.
func goodHeader(k *Key) map[string]any {
	return map[string]any{"alg": k.Algorithm, "kid": k.ID, "typ": "JWT"}
}

// with returns a copy of m with the given changes; a nil value deletes.
func with(m map[string]any, kv ...any) map[string]any {
	out := maps.Clone(m)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// segment encodes v as a JWT segment: v itself when it is a string of raw
// JSON, else its JSON encoding.
func segment(t testing.TB, v any) string {
	t.Helper()
	if s, ok := v.(string); ok {
		return b64([]byte(s))
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return b64(data)
}

// forge signs header and claims with method and key, whatever they are.
func forge(t testing.TB, method jwt.SigningMethod, key any, header, claims any) string {
	t.Helper()
	input := segment(t, header) + "." + segment(t, claims)
	sig, err := method.Sign(input, key)
	if err != nil {
		t.Fatalf("sign with %s: %v", method.Alg(), err)
	}
	return input + "." + b64(sig)
}

// signed signs header and claims with k, as a genuine token would be.
func signed(t testing.TB, k *Key, header, claims any) string {
	t.Helper()
	return forge(t, jwt.GetSigningMethod(k.Algorithm), k.Signer, header, claims)
}
