package abuse

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sallyport/sallyport/internal/store/sqlite"
	"github.com/sallyport/sallyport/internal/token"
)

var b64 = base64.RawURLEncoding

// signingKey opens the instance's active signing key from its database
// with its master key: the test plays an attacker who may forge anything
// except, where a case says so, a valid signature of the server's key.
func (in *instance) signingKey(t testing.TB) (kid string, key *ecdsa.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(in.Dir, "sallyport.db"))
	if err != nil {
		t.Fatalf("open the server's database: %v", err)
	}
	defer st.Close()
	keys, err := st.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	master, err := hex.DecodeString(in.master)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !k.RetiredAt.IsZero() {
			continue
		}
		opened, err := token.OpenKey(k.ID, k.Algorithm, k.Sealed, master, k.CreatedAt,
			k.RetiredAt)
		if err != nil {
			t.Fatalf("open signing key: %v", err)
		}
		ec, ok := opened.Signer.(*ecdsa.PrivateKey)
		if !ok {
			t.Fatalf("signing key is %T, want ES256", opened.Signer)
		}
		return k.ID, ec
	}
	t.Fatal("no active signing key in the database")
	return "", nil
}

// forge signs claims with method and key under the header edits (a nil
// value deletes a header entry; kid is set unless edited).
func forge(t testing.TB, method jwt.SigningMethod, key any, kid string,
	header, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, jwt.MapClaims(claims))
	tok.Header["kid"] = kid
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// assemble builds a compact JWT from parts the caller chose freely.
func assemble(header, claims map[string]any, sig []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return b64.EncodeToString(h) + "." + b64.EncodeToString(c) + "." + b64.EncodeToString(sig)
}

// swapPayload puts claims in tok, keeping its header and signature.
func swapPayload(tok string, claims map[string]any) string {
	p := strings.Split(tok, ".")
	c, _ := json.Marshal(claims)
	return p[0] + "." + b64.EncodeToString(c) + "." + p[2]
}

// edit returns a copy of claims with the edits; a nil value deletes.
func edit(claims map[string]any, edits map[string]any) map[string]any {
	out := maps.Clone(claims)
	for k, v := range edits {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// TestHostileTokens sends every hostile token class of the core issue to
// the real binary's /api/auth/me and /api/auth/verify: each must get
// 401 token_invalid with the RFC 6750 header, never another code.
func TestHostileTokens(t *testing.T) {
	t.Parallel()
	in := startServer(t, "--log-level", "debug")
	victim := in.signup(t, uniqueEmail("victim"), in.password("victim"))
	kid, key := in.signingKey(t)

	now := time.Now()
	good := map[string]any{
		"iss": in.URL, "aud": "sallyport", "sub": victim.UserID, "sid": victim.SessionID,
		"exp": now.Add(10 * time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Unix(),
		"jti": "forged-" + randomHex(4), "role": "admin", "email": victim.Email,
	}
	es256 := jwt.SigningMethodES256
	control := forge(t, es256, key, kid, nil, good)
	expired := forge(t, es256, key, kid, nil, edit(good, map[string]any{
		"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(-2 * time.Hour).Unix(),
		"nbf": now.Add(-2 * time.Hour).Unix(),
	}))
	for _, tok := range []string{control, expired} {
		in.secrets.addToken("forged token", tok)
	}
	// The forger is right: its good token passes and its expired one is
	// merely expired, so each case below fails for its own fault.
	in.me(t, control).wantStatus(t, http.StatusOK)
	in.me(t, expired).wantError(t, http.StatusUnauthorized, "token_expired")

	// The attacker's material: the public JWKS, as anyone can fetch it,
	// and keys of their own.
	jwks := in.do(t, call{method: "GET", path: "/.well-known/jwks.json"})
	jwks.wantStatus(t, http.StatusOK)
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(jwks.Body, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS %s: %v", jwks.Body, err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	evil, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	evilRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, evilEd, _ := ed25519.GenerateKey(rand.Reader)
	evilPoint, _ := evil.PublicKey.Bytes()
	evilJWK := map[string]any{"kty": "EC", "crv": "P-256",
		"x": b64.EncodeToString(evilPoint[1:33]), "y": b64.EncodeToString(evilPoint[33:])}
	evilDER, _ := x509.MarshalPKIXPublicKey(&evil.PublicKey)

	none := func(alg string) map[string]any {
		return map[string]any{"alg": alg, "typ": "JWT", "kid": kid}
	}
	hs := func(m jwt.SigningMethod, secret []byte) string {
		return forge(t, m, secret, kid, nil, good)
	}
	signed := func(header map[string]any) string { return forge(t, es256, key, kid, header, good) }
	claims := func(edits map[string]any) string {
		return forge(t, es256, key, kid, nil, edit(good, edits))
	}
	tests := []struct {
		name  string
		token string
	}{
		{"alg none", assemble(none("none"), good, nil)},
		{"alg None", assemble(none("None"), good, nil)},
		{"alg NONE", assemble(none("NONE"), good, nil)},
		{"alg nOnE", assemble(none("nOnE"), good, nil)},
		{"alg none with a signature", assemble(none("none"), good, []byte("x"))},
		{"alg empty", assemble(none(""), good, nil)},
		{"alg missing", assemble(map[string]any{"typ": "JWT", "kid": kid}, good, nil)},
		{"HS256 keyed with the public key PEM", hs(jwt.SigningMethodHS256, pubPEM)},
		{"HS256 keyed with the public key DER", hs(jwt.SigningMethodHS256, pubDER)},
		{"HS256 keyed with the published JWK", hs(jwt.SigningMethodHS256, set.Keys[0])},
		{"HS256 keyed with the whole JWKS", hs(jwt.SigningMethodHS256, jwks.Body)},
		{"HS384 keyed with the public key PEM", hs(jwt.SigningMethodHS384, pubPEM)},
		{"HS512 keyed with the public key PEM", hs(jwt.SigningMethodHS512, pubPEM)},
		{"jwk header with the attacker key", forge(t, es256, evil, kid,
			map[string]any{"jwk": evilJWK, "kid": nil}, good)},
		{"jwk header beside the server kid", forge(t, es256, evil, kid,
			map[string]any{"jwk": evilJWK}, good)},
		{"jwk header on a genuine signature", signed(map[string]any{"jwk": evilJWK})},
		{"jku header", signed(map[string]any{"jku": in.URL + "/.well-known/jwks.json"})},
		{"x5u header", signed(map[string]any{"x5u": in.URL + "/cert.pem"})},
		{"x5c header with the attacker key", forge(t, es256, evil, kid,
			map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(evilDER)}}, good)},
		{"x5c header on a genuine signature", signed(map[string]any{
			"x5c": []string{base64.StdEncoding.EncodeToString(pubDER)}})},
		{"unknown kid, attacker key", forge(t, es256, evil, "attacker", nil, good)},
		{"unknown kid, server key", signed(map[string]any{"kid": "no-such-key"})},
		{"kid path traversal", signed(map[string]any{"kid": "../../../../dev/null"})},
		{"kid SQL injection", signed(map[string]any{"kid": kid + "' OR '1'='1"})},
		{"kid with a NUL", signed(map[string]any{"kid": kid + "\x00"})},
		{"kid in another case", signed(map[string]any{"kid": strings.ToLower(kid)})},
		{"kid empty", signed(map[string]any{"kid": ""})},
		{"kid missing", signed(map[string]any{"kid": nil})},
		{"kid a number", signed(map[string]any{"kid": 7})},
		{"kid a list", signed(map[string]any{"kid": []string{kid}})},
		{"server kid, attacker ES256 key", forge(t, es256, evil, kid, nil, good)},
		{"server kid, attacker RS256 key", forge(t, jwt.SigningMethodRS256, evilRSA, kid,
			nil, good)},
		{"server kid, attacker EdDSA key", forge(t, jwt.SigningMethodEdDSA, evilEd, kid,
			nil, good)},
		{"all-zero ECDSA signature", assemble(map[string]any{"alg": "ES256", "typ": "JWT",
			"kid": kid}, good, make([]byte, 64))},
		{"r and s equal to n", assemble(map[string]any{"alg": "ES256", "typ": "JWT",
			"kid": kid}, good, append(elliptic.P256().Params().N.FillBytes(make([]byte, 32)),
			elliptic.P256().Params().N.FillBytes(make([]byte, 32))...))},
		{"stripped signature", control[:strings.LastIndexByte(control, '.')+1]},
		{"signature dropped with its dot", control[:strings.LastIndexByte(control, '.')]},
		{"tampered payload: role", swapPayload(control, edit(good,
			map[string]any{"role": "superuser"}))},
		{"tampered payload: sub", swapPayload(control, edit(good,
			map[string]any{"sub": "ANOTHERUSER"}))},
		{"tampered header", b64.EncodeToString([]byte(`{"alg":"ES256","kid":"`+kid+
			`","typ":"JWT","x":1}`)) + control[strings.IndexByte(control, '.'):]},
		{"expired, tampered to stay expired", swapPayload(expired, edit(good,
			map[string]any{"exp": now.Add(-time.Hour).Unix(), "role": "superuser"}))},
		{"expired, tampered to be live", swapPayload(expired, good)},
		{"9 KiB token", claims(map[string]any{"pad": strings.Repeat("A", 9<<10)})},
		{"60 KiB token", strings.Repeat("A", 30<<10) + "." + strings.Repeat("B", 30<<10) + ".C"},
		{"10,000 dots", strings.Repeat(".", 10000)},
		{"two dots", ".."},
		{"four parts", control + ".x"},
		{"five parts", control + ".x.y"},
		{"JWE-shaped token", "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aaaa.bbbb.cccc"},
		{"not base64", "!!!.@@@.###"},
		{"header not JSON", b64.EncodeToString([]byte("{")) +
			control[strings.IndexByte(control, '.'):]},
		{"wrong iss", claims(map[string]any{"iss": "https://evil.example"})},
		{"iss with a trailing slash", claims(map[string]any{"iss": in.URL + "/"})},
		{"iss missing", claims(map[string]any{"iss": nil})},
		{"wrong aud", claims(map[string]any{"aud": "another-app"})},
		{"aud list without ours", claims(map[string]any{"aud": []string{"a", "b"}})},
		{"aud missing", claims(map[string]any{"aud": nil})},
		{"exp missing", claims(map[string]any{"exp": nil})},
		{"exp a numeric string", claims(map[string]any{"exp": "99999999999"})},
		{"exp a word", claims(map[string]any{"exp": "never"})},
		{"exp a boolean", claims(map[string]any{"exp": true})},
		{"exp null", assemble(map[string]any{"alg": "ES256", "kid": kid},
			edit(good, map[string]any{"exp": nil}), nil)},
		{"exp an object", claims(map[string]any{"exp": map[string]any{"$gt": 0}})},
		{"exp beyond year 9999", claims(map[string]any{"exp": 1e15})},
		{"sub missing", claims(map[string]any{"sub": nil})},
		{"sid missing", claims(map[string]any{"sid": nil})},
		{"nbf an hour ahead", claims(map[string]any{"nbf": now.Add(time.Hour).Unix()})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in.secrets.addToken("hostile token", tt.token)
			checks := []call{
				{method: "GET", path: "/api/auth/me", token: tt.token},
				{method: "GET", path: "/api/auth/me", authz: tt.token},
				{method: "GET", path: "/api/auth/verify", token: tt.token},
				{method: "POST", path: "/api/auth/verify", token: tt.token},
			}
			for _, c := range checks {
				r := in.do(t, c)
				r.wantError(t, http.StatusUnauthorized, "token_invalid")
				got := r.Header.Get("WWW-Authenticate")
				if !strings.Contains(got, `error="invalid_token"`) {
					t.Errorf("%s %s: got WWW-Authenticate %q, want error=\"invalid_token\"",
						c.method, c.path, got)
				}
				if r.Header.Get("X-Sallyport-User") != "" {
					t.Errorf("%s %s: a refused token got identity headers", c.method, c.path)
				}
			}
		})
	}
	// Nothing above poisoned the verified-token cache or the session.
	in.me(t, control).wantStatus(t, http.StatusOK)
	in.me(t, victim.Access).wantStatus(t, http.StatusOK)
	r := in.do(t, call{method: "GET", path: "/api/auth/verify", token: victim.Access})
	r.wantStatus(t, http.StatusOK)
	if got := r.Header.Get("X-Sallyport-User"); got != victim.UserID {
		t.Errorf("verify: got X-Sallyport-User %q, want %q", got, victim.UserID)
	}
}
