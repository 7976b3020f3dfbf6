package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sallyport/sallyport/verify"
)

// issuer is a stand-in for a Sallyport server, so that the examples run
// on their own: it serves discovery, one ES256 key and a revocation feed,
// and signs tokens the way the server does.
type issuer struct {
	URL     string
	key     *ecdsa.PrivateKey
	revoked []string
}

func startIssuer() (*issuer, func()) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	is := &issuer{key: key}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	is.URL = srv.URL
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter,
		r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{
			"issuer": is.URL, "jwks_uri": is.URL + "/.well-known/jwks.json",
		})
	})
	mux.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		point, _ := key.PublicKey.Bytes()
		enc := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "EC", "crv": "P-256", "x": enc(point[1:33]), "y": enc(point[33:]),
			"kid": "key-1", "alg": "ES256", "use": "sig",
		}}})
	})
	mux.HandleFunc("/api/auth/revocations", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer svc_example" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		revs := []map[string]any{}
		for _, sid := range is.revoked {
			revs = append(revs, map[string]any{"session_id": sid,
				"revoked_at": time.Now().Unix(), "until": time.Now().Add(time.Hour).Unix()})
		}
		json.NewEncoder(w).Encode(map[string]any{
			"revocations": revs, "cursor": "1", "poll_interval": 2,
		})
	})
	return is, srv.Close
}

// token signs an access token for a user with role in session sid, valid
// for ttl (negative for one that has expired).
func (is *issuer) token(role, sid string, ttl time.Duration) string {
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": is.URL, "aud": "sallyport", "sub": "user-42", "sid": sid,
		"role": role, "email": "ada@example.com", "jti": "t1",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(ttl).Unix(),
	})
	t.Header["kid"] = "key-1"
	s, err := t.SignedString(is.key)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// get sends a GET with an optional token to h and prints the answer.
func get(h http.Handler, path, token string) {
	r := httptest.NewRequest("GET", path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	body, _ := io.ReadAll(rec.Body)
	fmt.Printf("%s %d %s", path, rec.Code, body)
}

func ExampleNew() {
	is, stop := startIssuer()
	defer stop()

	// The issuer URL is Sallyport's public URL, the iss of its tokens.
	v, err := verify.New(context.Background(), is.URL)
	if err != nil {
		log.Fatal(err)
	}
	c, err := v.Verify(context.Background(), is.token("user", "s1", 15*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Subject, c.Role, c.SessionID)
	// Output: user-42 user s1
}

func ExampleVerifier_Verify() {
	is, stop := startIssuer()
	defer stop()
	v, err := verify.New(context.Background(), is.URL)
	if err != nil {
		log.Fatal(err)
	}

	_, err = v.Verify(context.Background(), is.token("user", "s1", -time.Hour))
	fmt.Println(err != nil, verify.ErrorCode(err))
	_, err = v.Verify(context.Background(), "")
	fmt.Println(err != nil, verify.ErrorCode(err))
	// Output:
	// true token_expired
	// true token_missing
}

func ExampleVerifier_Middleware() {
	is, stop := startIssuer()
	defer stop()
	v, err := verify.New(context.Background(), is.URL)
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /public", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello, anyone")
	})
	mux.Handle("GET /private", v.Middleware(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			c, _ := verify.ClaimsFrom(r.Context())
			fmt.Fprintf(w, "hello, %s\n", c.Email)
		})))

	get(mux, "/public", "")
	get(mux, "/private", is.token("user", "s1", 15*time.Minute))
	get(mux, "/private", "")
	get(mux, "/private", is.token("user", "s1", -time.Hour))
	// Output:
	// /public 200 hello, anyone
	// /private 200 hello, ada@example.com
	// /private 401 {"error":"token_missing","message":"an access token is required"}
	// /private 401 {"error":"token_expired","message":"access token expired"}
}

func ExampleRequireRole() {
	is, stop := startIssuer()
	defer stop()
	v, err := verify.New(context.Background(), is.URL)
	if err != nil {
		log.Fatal(err)
	}

	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "welcome, admin")
	})
	// Middleware first, so that RequireRole finds the claims.
	h := v.Middleware(verify.RequireRole("admin")(admin))

	get(h, "/admin", is.token("admin", "s1", 15*time.Minute))
	get(h, "/admin", is.token("user", "s2", 15*time.Minute))
	// Output:
	// /admin 200 welcome, admin
	// /admin 403 {"error":"forbidden","message":"not allowed"}
}

func ExampleWithRevocationFeed() {
	is, stop := startIssuer()
	defer stop()
	is.revoked = []string{"s-logged-out"}

	// The credential comes from "sallyport service create NAME".
	v, err := verify.New(context.Background(), is.URL,
		verify.WithRevocationFeed("svc_example", 2*time.Second),
		verify.WithErrorHandler(func(err error) { log.Print(err) }))
	if err != nil {
		log.Fatal(err)
	}
	// Run polls the feed until Close; without it the verifier fails
	// closed once the grace period has passed.
	go v.Run(context.Background())
	defer v.Close()

	_, err = v.Verify(context.Background(), is.token("user", "s-logged-out", time.Minute))
	fmt.Println(verify.ErrorCode(err))
	// Output: session_revoked
}
