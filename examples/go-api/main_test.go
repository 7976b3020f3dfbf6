package main

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sallyport/sallyport/verify"
)

// TestAgainstSallyport runs the example API with a real Sallyport server:
// a real token opens the protected route, an admin-only route refuses a
// user, a logout reaches the API through the revocation feed within five
// seconds, and an expired token is refused as expired.
func TestAgainstSallyport(t *testing.T) {
	const ttl = 3 * time.Second
	sp := startSallyport(t, ttl)
	credential := sp.cli(t, "service", "create", "go-api-test")
	if credential == "" || len(credential) < 20 {
		t.Fatalf("service create printed %q, want a credential", credential)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The default leeway of 30 s keeps the short-lived tokens valid long
	// enough for the revocation checks; a second verifier without leeway
	// sees them expire.
	v, err := verify.New(ctx, sp.url, verify.WithRevocationFeed(credential, 500*time.Millisecond))
	if err != nil {
		t.Fatalf("verify.New: %v", err)
	}
	go v.Run(ctx)
	defer v.Close()
	strict, err := verify.New(ctx, sp.url, verify.WithLeeway(0))
	if err != nil {
		t.Fatalf("verify.New without leeway: %v", err)
	}
	api := httptest.NewServer(newHandler(v))
	defer api.Close()
	strictAPI := httptest.NewServer(newHandler(strict))
	defer strictAPI.Close()

	user := sp.signup(t, "user@example.com")
	sp.signup(t, "boss@example.com")
	sp.cli(t, "user", "set-role", "--email", "boss@example.com", "--role", "admin")
	boss := sp.login(t, "boss@example.com")

	tests := []struct {
		name  string
		path  string
		token string
		want  answer
	}{
		{"public without token", "/api/public", "", answer{status: 200}},
		{"private without token", "/api/private", "", answer{401, "token_missing",
			`Bearer realm="sallyport"`}},
		{"private with a real token", "/api/private", user.AccessToken, answer{status: 200}},
		{"private with a forged token", "/api/private", user.AccessToken[:len(
			user.AccessToken)-4] + "AAAA", answer{401, "token_invalid",
			`Bearer realm="sallyport", error="invalid_token", ` +
				`error_description="access token is invalid"`}},
		{"admin as user", "/api/admin", user.AccessToken, answer{403, "forbidden", ""}},
		{"admin as admin", "/api/admin", boss.AccessToken, answer{status: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(ctx, t, api.URL, tt.path, tt.token); got != tt.want {
				t.Errorf("GET %s: got %v, want %v", tt.path, got, tt.want)
			}
		})
	}

	t.Run("logout reaches the API within 5s", func(t *testing.T) {
		if got := get(ctx, t, api.URL, "/api/private", boss.AccessToken); got.status != 200 {
			t.Fatalf("before logout: got %v, want 200", got)
		}
		sp.post(t, "/api/auth/logout", boss.AccessToken, map[string]string{}, 204)
		start := time.Now()
		for {
			got := get(ctx, t, api.URL, "/api/private", boss.AccessToken)
			if got.status == 401 {
				if got.code != "session_revoked" {
					t.Fatalf("after logout: got %v, want session_revoked", got)
				}
				t.Logf("refused %s after logout", time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("still accepted 5s after logout: %v", got)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got := get(ctx, t, api.URL, "/api/private", user.AccessToken); got.status != 200 {
			t.Errorf("other session after logout: got %v, want 200", got)
		}
	})

	t.Run("expired token", func(t *testing.T) {
		// Wait out the token's lifetime; exp is in whole seconds.
		time.Sleep(time.Until(time.Unix(user.ExpiresAt+1, 0)))
		want := answer{401, "token_expired", `Bearer realm="sallyport", ` +
			`error="invalid_token", error_description="access token expired"`}
		if got := get(ctx, t, strictAPI.URL, "/api/private", user.AccessToken); got != want {
			t.Errorf("GET /api/private: got %v, want %v", got, want)
		}
	})
}
