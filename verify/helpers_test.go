package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testKey is a signing key of the fake issuer.
type testKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

var (
	rsaOnce sync.Once
	rsaPriv *rsa.PrivateKey
)

// newTestKey makes a key for alg; RSA keys are made once per test binary
// because generating them is slow.
func newTestKey(t testing.TB, kid, alg string) *testKey {
	t.Helper()
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "RS256", "PS256":
		rsaOnce.Do(func() { rsaPriv, err = rsa.GenerateKey(rand.Reader, 2048) })
		priv = rsaPriv
	default:
		t.Fatalf("newTestKey: unsupported alg %q", alg)
	}
	if err != nil {
		t.Fatalf("generate %s key: %v", alg, err)
	}
	return &testKey{kid: kid, alg: alg, priv: priv}
}

// jwkOf returns the public JWK of k as the server publishes it.
func jwkOf(k *testKey) map[string]string {
	enc := base64.RawURLEncoding.EncodeToString
	m := map[string]string{"kid": k.kid, "alg": k.alg, "use": "sig"}
	switch pub := k.priv.Public().(type) {
	case *ecdsa.PublicKey:
		b, _ := pub.Bytes()
		size := (len(b) - 1) / 2
		m["kty"], m["crv"] = "EC", pub.Curve.Params().Name
		m["x"], m["y"] = enc(b[1:1+size]), enc(b[1+size:])
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", enc(pub)
	case *rsa.PublicKey:
		m["kty"], m["n"] = "RSA", enc(pub.N.Bytes())
		m["e"] = enc(big.NewInt(int64(pub.E)).Bytes())
	}
	return m
}

// fakeIssuer plays a Sallyport server: discovery, key set and revocation
// feed, with switches for the tests.
type fakeIssuer struct {
	srv        *httptest.Server
	credential string

	mu          sync.Mutex
	keys        []*testKey
	revocations []map[string]any
	feedDown    bool
	pollSecs    float64
	sinceSeen   []string

	jwksHits atomic.Int32
	feedHits atomic.Int32
}

func newFakeIssuer(t testing.TB, keys ...*testKey) *fakeIssuer {
	t.Helper()
	is := &fakeIssuer{keys: keys, credential: "svc_test_credential"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration",
		func(w http.ResponseWriter, r *http.Request) {
			writeTestJSON(w, 200, map[string]any{
				"issuer":   is.srv.URL,
				"jwks_uri": is.srv.URL + "/.well-known/jwks.json",
			})
		})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		is.mu.Lock()
		defer is.mu.Unlock()
		set := []map[string]string{}
		for _, k := range is.keys {
			set = append(set, jwkOf(k))
		}
		writeTestJSON(w, 200, map[string]any{"keys": set})
	})
	mux.HandleFunc("GET /api/auth/revocations", is.serveFeed)
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *fakeIssuer) serveFeed(w http.ResponseWriter, r *http.Request) {
	is.feedHits.Add(1)
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.feedDown {
		writeTestJSON(w, 503, map[string]string{"error": "unavailable"})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+is.credential {
		writeTestJSON(w, 401, map[string]string{"error": "invalid_credential"})
		return
	}
	is.sinceSeen = append(is.sinceSeen, r.URL.Query().Get("since"))
	revs := is.revocations
	if revs == nil {
		revs = []map[string]any{}
	}
	writeTestJSON(w, 200, map[string]any{
		"revocations":   revs,
		"cursor":        "c" + string(rune('0'+len(is.sinceSeen)%10)),
		"poll_interval": is.pollSecs,
	})
}

// revoke lists sid in the feed as revoked, its tokens valid until until.
func (is *fakeIssuer) revoke(sid string, until time.Time) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.revocations = append(is.revocations, map[string]any{
		"session_id": sid, "revoked_at": until.Add(-time.Minute).Unix(), "until": until.Unix(),
	})
}

func (is *fakeIssuer) setKeys(keys ...*testKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = keys
}

func (is *fakeIssuer) setFeedDown(down bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.feedDown = down
}

func writeTestJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// claimsFor returns valid claims for the issuer at now.
func (is *fakeIssuer) claimsFor(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   is.srv.URL,
		"sub":   "user-1",
		"aud":   DefaultAudience,
		"exp":   now.Add(15 * time.Minute).Unix(),
		"nbf":   now.Unix(),
		"iat":   now.Unix(),
		"jti":   "token-1",
		"sid":   "session-1",
		"role":  "user",
		"email": "ada@example.com",
	}
}

// sign makes a token with k, claims c and extra header fields.
func sign(t testing.TB, k *testKey, c jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), c)
	tok.Header["kid"] = k.kid
	for name, v := range header {
		if v == nil {
			delete(tok.Header, name)
			continue
		}
		tok.Header[name] = v
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	return s
}

// clock is a settable clock for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// mustNew builds a Verifier for is or fails the test.
func mustNew(t testing.TB, is *fakeIssuer, opts ...Option) *Verifier {
	t.Helper()
	v, err := New(context.Background(), is.srv.URL, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}
