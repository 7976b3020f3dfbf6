package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var b64 = base64.RawURLEncoding

// forger makes tokens for one server: well-formed ones signed with the
// server's own key, and every kind of bad one.
type forger struct {
	t      *testing.T
	ts     *testServer
	kid    string
	key    *ecdsa.PrivateKey
	claims map[string]any
}

func newForger(t *testing.T, ts *testServer, g grant) *forger {
	t.Helper()
	signer := ts.Svc.Keyring().Signer()
	key, ok := signer.Signer.(*ecdsa.PrivateKey)
	if !ok {
		t.Fatalf("signer is %T, want *ecdsa.PrivateKey", signer.Signer)
	}
	now := ts.Clock.Now()
	return &forger{t: t, ts: ts, kid: signer.ID, key: key, claims: map[string]any{
		"iss": ts.Issuer, "aud": "sallyport", "sub": g.UserID,
		"sid":   claimOf(t, g.Access, "sid"),
		"exp":   now.Add(5 * time.Minute).Unix(),
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"jti":   "forged",
		"role":  "admin",
		"email": g.Email,
	}}
}

// with returns the good claims changed by edits; a nil value deletes.
func (f *forger) with(edits map[string]any) map[string]any {
	c := maps.Clone(f.claims)
	for k, v := range edits {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// sign signs claims with method and key; header entries are added to the
// header, and a nil value deletes one (such as kid).
func (f *forger) sign(method jwt.SigningMethod, key any, header, claims map[string]any) string {
	f.t.Helper()
	tok := jwt.NewWithClaims(method, jwt.MapClaims(claims))
	tok.Header["kid"] = f.kid
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		f.t.Fatalf("sign: %v", err)
	}
	return s
}

// good signs claims with the server's key.
func (f *forger) good(claims map[string]any) string {
	return f.sign(jwt.SigningMethodES256, f.key, nil, claims)
}

// raw assembles a token from a header, claims and a signature.
func raw(header, claims map[string]any, sig []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return b64.EncodeToString(h) + "." + b64.EncodeToString(c) + "." + b64.EncodeToString(sig)
}

// withPayload replaces the payload of a signed token, keeping its signature.
func withPayload(tok string, claims map[string]any) string {
	parts := strings.Split(tok, ".")
	c, _ := json.Marshal(claims)
	return parts[0] + "." + b64.EncodeToString(c) + "." + parts[2]
}

func TestHostileTokens(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("target"))
	f := newForger(t, ts, g)

	// The forger's good token works: each case below fails for its fault.
	control := f.good(f.claims)
	ts.me(t, control).wantStatus(t, http.StatusOK)
	expired := f.good(f.with(map[string]any{
		"exp": ts.Clock.Now().Add(-time.Hour).Unix(),
		"iat": ts.Clock.Now().Add(-2 * time.Hour).Unix(),
		"nbf": ts.Clock.Now().Add(-2 * time.Hour).Unix(),
	}))
	ts.me(t, expired).wantError(t, "token_expired")

	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	attackerRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, attackerEd, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pubPoint, err := f.key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	jwks := ts.Svc.Keyring().JWKS()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	attackerPoint, _ := attacker.PublicKey.Bytes()
	attackerJWK := map[string]any{"kty": "EC", "crv": "P-256",
		"x": b64.EncodeToString(attackerPoint[1:33]), "y": b64.EncodeToString(attackerPoint[33:])}

	noneHeader := func(alg string) map[string]any {
		return map[string]any{"alg": alg, "typ": "JWT", "kid": f.kid}
	}
	es256 := jwt.SigningMethodES256
	hs256 := jwt.SigningMethodHS256
	big := strings.Repeat("A", 9<<10)

	tests := []struct {
		name  string
		token string
	}{
		{"alg none", raw(noneHeader("none"), f.claims, nil)},
		{"alg None", raw(noneHeader("None"), f.claims, nil)},
		{"alg NONE", raw(noneHeader("NONE"), f.claims, nil)},
		{"alg nOnE", raw(noneHeader("nOnE"), f.claims, nil)},
		{"alg none with a signature", raw(noneHeader("none"), f.claims, []byte("sig"))},
		{"alg missing", raw(map[string]any{"typ": "JWT", "kid": f.kid}, f.claims, nil)},
		{"HS256 with the public key PEM", f.sign(hs256, pubPEM, nil, f.claims)},
		{"HS256 with the public key DER", f.sign(hs256, pubDER, nil, f.claims)},
		{"HS256 with the public point", f.sign(hs256, pubPoint, nil, f.claims)},
		{"HS256 with the JWK", f.sign(hs256, []byte(set.Keys[0]), nil, f.claims)},
		{"HS256 with the JWKS", f.sign(hs256, jwks, nil, f.claims)},
		{"HS512 with the public key PEM", f.sign(jwt.SigningMethodHS512, pubPEM, nil, f.claims)},
		{"jwk header, attacker key", f.sign(es256, attacker,
			map[string]any{"jwk": attackerJWK, "kid": nil}, f.claims)},
		{"jwk header, server key", f.sign(es256, f.key,
			map[string]any{"jwk": attackerJWK}, f.claims)},
		{"jku header", f.sign(es256, f.key,
			map[string]any{"jku": "http://127.0.0.1:1/jwks.json"}, f.claims)},
		{"x5u header", f.sign(es256, f.key,
			map[string]any{"x5u": "http://127.0.0.1:1/cert.pem"}, f.claims)},
		{"x5c header", f.sign(es256, f.key,
			map[string]any{"x5c": []string{b64.EncodeToString(pubDER)}}, f.claims)},
		{"crit header", f.sign(es256, f.key,
			map[string]any{"crit": []string{"exp"}}, f.claims)},
		{"unknown kid, attacker key", f.sign(es256, attacker,
			map[string]any{"kid": "attacker"}, f.claims)},
		{"unknown kid, server key", f.sign(es256, f.key,
			map[string]any{"kid": "no-such-key"}, f.claims)},
		{"kid path traversal", f.sign(es256, f.key,
			map[string]any{"kid": "../../x"}, f.claims)},
		{"kid SQL injection", f.sign(es256, f.key,
			map[string]any{"kid": "' OR 1=1 --"}, f.claims)},
		{"kid empty", f.sign(es256, f.key, map[string]any{"kid": ""}, f.claims)},
		{"kid missing", f.sign(es256, f.key, map[string]any{"kid": nil}, f.claims)},
		{"kid a number", f.sign(es256, f.key, map[string]any{"kid": 1}, f.claims)},
		{"server kid, attacker ES256 key", f.sign(es256, attacker, nil, f.claims)},
		{"server kid, attacker RS256 key", f.sign(jwt.SigningMethodRS256, attackerRSA,
			nil, f.claims)},
		{"server kid, attacker EdDSA key", f.sign(jwt.SigningMethodEdDSA, attackerEd,
			nil, f.claims)},
		{"all-zero ECDSA signature", raw(map[string]any{"alg": "ES256", "typ": "JWT",
			"kid": f.kid}, f.claims, make([]byte, 64))},
		{"stripped signature", strings.TrimRight(control, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"+
			"abcdefghijklmnopqrstuvwxyz0123456789-_")},
		{"signature of another token", withPayload(control,
			f.with(map[string]any{"jti": "other"}))},
		{"tampered payload", withPayload(control, f.with(map[string]any{"sub": "someone"}))},
		{"expired, tampered payload", withPayload(expired,
			f.with(map[string]any{"exp": ts.Clock.Now().Add(-time.Hour).Unix(),
				"role": "superuser"}))},
		{"expired, tampered to live", withPayload(expired, f.claims)},
		{"9 KiB token", f.good(f.with(map[string]any{"pad": big}))},
		{"10000 dots", strings.Repeat(".", 10000)},
		{"two dots", ".."},
		{"five parts", control + ".x.y"},
		{"header not JSON", b64.EncodeToString([]byte("{")) + "." +
			strings.SplitN(control, ".", 2)[1]},
		{"wrong iss", f.good(f.with(map[string]any{"iss": "https://evil.example"}))},
		{"iss with a trailing slash", f.good(f.with(map[string]any{"iss": ts.Issuer + "/"}))},
		{"wrong aud", f.good(f.with(map[string]any{"aud": "other-app"}))},
		{"aud list without ours", f.good(f.with(map[string]any{"aud": []string{"a", "b"}}))},
		{"missing aud", f.good(f.with(map[string]any{"aud": nil}))},
		{"missing iss", f.good(f.with(map[string]any{"iss": nil}))},
		{"missing exp", f.good(f.with(map[string]any{"exp": nil}))},
		{"missing sub", f.good(f.with(map[string]any{"sub": nil}))},
		{"missing sid", f.good(f.with(map[string]any{"sid": nil}))},
		{"exp a string", f.good(f.with(map[string]any{
			"exp": "9999999999"}))},
		{"exp a boolean", f.good(f.with(map[string]any{"exp": true}))},
		{"exp negative", f.good(f.with(map[string]any{"exp": -1}))},
		{"exp past year 9999", f.good(f.with(map[string]any{"exp": 1e15}))},
		{"nbf in the future", f.good(f.with(map[string]any{
			"nbf": ts.Clock.Now().Add(time.Hour).Unix()}))},
		{"iat in the future", f.good(f.with(map[string]any{
			"iat": ts.Clock.Now().Add(time.Hour).Unix()}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.me(t, tt.token)
			r.wantError(t, "token_invalid")
			if got, want := r.Header.Get("WWW-Authenticate"),
				challenge("access token is invalid"); got != want {
				t.Errorf("got WWW-Authenticate %q, want %q", got, want)
			}
			r = ts.do(t, request{method: "GET", path: "/api/auth/me", authz: tt.token})
			r.wantError(t, "token_invalid")
		})
	}
	// Nothing above poisoned the verified-token cache.
	ts.me(t, control).wantStatus(t, http.StatusOK)
	ts.me(t, g.Access).wantStatus(t, http.StatusOK)
}
