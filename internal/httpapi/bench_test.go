package httpapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/token"
)

// The benchmarks go through HTTP on 127.0.0.1, like a client on the same
// machine. Compare BenchmarkMe with BenchmarkBareHandler from the same run:
// the target is at least 80% of the bare handler's throughput.

func benchServer(b *testing.B, opts ...option) *testServer {
	b.Helper()
	return newServer(b, append([]option{withoutSpecCheck()}, opts...)...)
}

// mustSend sends req and fails the benchmark unless it gets status.
func mustSend(b *testing.B, ts *testServer, req request, status int) response {
	r, err := ts.send(req)
	if err != nil {
		b.Fatal(err)
	}
	if r.Status != status {
		b.Fatalf("got %d %s, want %d", r.Status, r.Body, status)
	}
	return r
}

// BenchmarkLogin logs in with OWASP argon2id parameters; "hash" is the
// password check alone, for the per-login overhead.
func BenchmarkLogin(b *testing.B) {
	h := password.NewHasher(password.DefaultParams(), 128<<20, 10*time.Second)
	ts := benchServer(b, withHasher(h))
	email := "bench@example.com"
	ts.signup(b, email)
	body := creds(email, testPassword, true)

	b.Run("http", func(b *testing.B) {
		for b.Loop() {
			mustSend(b, ts, request{method: "POST", path: "/api/auth/login", body: body},
				http.StatusOK)
		}
	})
	b.Run("hash", func(b *testing.B) {
		hash, err := h.Hash(context.Background(), testPassword)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			ok, _, err := h.Verify(context.Background(), hash, testPassword)
			if !ok || err != nil {
				b.Fatalf("verify: %v %v", ok, err)
			}
		}
	})
}

// BenchmarkRefresh rotates refresh tokens: one session in a chain, and
// one session per parallel client.
func BenchmarkRefresh(b *testing.B) {
	ts := benchServer(b)
	email := "bench@example.com"
	ts.signup(b, email)

	next := func(b *testing.B, refresh string) string {
		r := mustSend(b, ts, request{method: "POST", path: "/api/auth/refresh",
			body: map[string]any{"refresh_token": refresh, "return_refresh_token": true}},
			http.StatusOK)
		return grantOf(b, r).Refresh
	}
	b.Run("serial", func(b *testing.B) {
		refresh := ts.login(b, email).Refresh
		for b.Loop() {
			refresh = next(b, refresh)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(16) // 32 sessions on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			r, err := ts.send(request{method: "POST", path: "/api/auth/login",
				body: creds(email, testPassword, true)})
			if err != nil || r.Status != http.StatusOK {
				b.Errorf("login: %v %d", err, r.Status)
				return
			}
			refresh := bodyRefresh(r)
			for pb.Next() {
				r, err := ts.send(request{method: "POST", path: "/api/auth/refresh",
					body: map[string]any{"refresh_token": refresh, "return_refresh_token": true}})
				if err != nil || r.Status != http.StatusOK {
					b.Errorf("refresh: %v %d %s", err, r.Status, r.Body)
					return
				}
				refresh = bodyRefresh(r)
			}
		})
	})
}

// bodyRefresh returns the refresh token of a token response, or "".
func bodyRefresh(r response) string {
	var tr tokenResponse
	if json.Unmarshal(r.Body, &tr) != nil || tr.RefreshToken == nil {
		return ""
	}
	return *tr.RefreshToken
}

// BenchmarkMe is a protected request with a repeated valid token.
func BenchmarkMe(b *testing.B) {
	ts := benchServer(b)
	g := ts.signup(b, "bench@example.com")
	req := request{method: "GET", path: "/api/auth/me", token: g.Access}
	mustSend(b, ts, req, http.StatusOK)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := ts.send(req)
			if err != nil || r.Status != http.StatusOK {
				b.Errorf("me: %v %d", err, r.Status)
				return
			}
		}
	})
}

// BenchmarkBareHandler serves a fixed JSON body with nothing else, over the
// same kind of client, as the yardstick for BenchmarkMe.
func BenchmarkBareHandler(b *testing.B) {
	body := []byte(`{"user":{"id":"X","email":"bench@example.com","role":"user",` +
		`"created_at":"2026-01-01T00:00:00Z"}}` + "\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	ts := &testServer{URL: srv.URL, Client: newClient()}
	req := request{method: "GET", path: "/api/auth/me", token: strings.Repeat("x", 500)}
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := ts.send(req)
			if err != nil || r.Status != http.StatusOK {
				b.Errorf("bare: %v %d", err, r.Status)
				return
			}
		}
	})
}

// BenchmarkIssueAndVerify measures the token work in process: issuing,
// a first-time verification with the revocation check, a repeated one,
// and the raw ES256 signature check that a first verification should
// stay within 1.2x of.
func BenchmarkIssueAndVerify(b *testing.B) {
	ts := benchServer(b)
	g := ts.signup(b, "bench@example.com")
	ring := ts.Svc.Keyring()
	now := ts.Clock.Now()
	var seq atomic.Int64
	claims := func() token.Claims {
		return token.Claims{
			Issuer: ts.Issuer, Audience: "sallyport", Subject: g.UserID,
			SessionID: claimOf(b, g.Access, "sid").(string), Role: "user", Email: g.Email,
			ExpiresAt: now.Add(15 * time.Minute), IssuedAt: now, NotBefore: now,
			ID: "bench-" + big.NewInt(seq.Add(1)).String(),
		}
	}
	issue := func(b *testing.B) string {
		raw, err := token.Issue(ring, claims())
		if err != nil {
			b.Fatal(err)
		}
		return raw
	}

	b.Run("issue", func(b *testing.B) {
		for b.Loop() {
			issue(b)
		}
	})
	b.Run("issue+verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := ts.Svc.Authenticate(issue(b)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-first", func(b *testing.B) {
		toks := make([]string, b.N)
		for i := range toks {
			toks[i] = issue(b)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := ts.Svc.Authenticate(toks[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-cached", func(b *testing.B) {
		raw := issue(b)
		for b.Loop() {
			if _, err := ts.Svc.Authenticate(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-ES256", func(b *testing.B) {
		raw := issue(b)
		i := strings.LastIndexByte(raw, '.')
		sig, err := b64.DecodeString(raw[i+1:])
		if err != nil || len(sig) != 64 {
			b.Fatalf("signature: %v, %d bytes", err, len(sig))
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		pub := ring.Signer().Signer.Public().(*ecdsa.PublicKey)
		for b.Loop() {
			sum := sha256.Sum256([]byte(raw[:i]))
			if !ecdsa.Verify(pub, sum[:], r, s) {
				b.Fatal("signature does not verify")
			}
		}
	})
}
