package abuse

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestVolumeLimits checks the default caps on sign-up (30 per address per
// 10 minutes) and refresh (300 per address per minute): the first call
// over the cap gets 429 with Retry-After, and a refused sign-up creates
// nothing.
func TestVolumeLimits(t *testing.T) {
	t.Parallel()
	const signups, refreshes = 30, 300

	t.Run("signup", func(t *testing.T) {
		t.Parallel()
		in := startServer(t)
		pw := in.password("volume")
		for i := range signups {
			r := in.do(t, call{method: "POST", path: "/api/auth/signup",
				body: map[string]any{"email": uniqueEmail("volume"), "password": pw}})
			if r.Status != http.StatusCreated {
				t.Fatalf("signup %d: got %d %s, want 201", i+1, r.Status, r.Body)
			}
			in.grantOf(t, r)
		}
		r := in.do(t, call{method: "POST", path: "/api/auth/signup",
			body: map[string]any{"email": "over-the-cap@example.com", "password": pw}})
		r.wantError(t, http.StatusTooManyRequests, "too_many_attempts")
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
		users := in.cli(t, "", "user", "list")
		if strings.Contains(users, "over-the-cap") {
			t.Errorf("a refused signup created its user:\n%s", users)
		}
		if n := countUsers(users); n != signups {
			t.Errorf("got %d users, want %d", n, signups)
		}
	})

	t.Run("refresh", func(t *testing.T) {
		t.Parallel()
		in := startServer(t)
		g := in.signup(t, uniqueEmail("refresher"), in.password("refresher"))
		// Made-up tokens of the right shape count like real ones. The
		// bucket holds 300 and gets one back every 200 ms, so the calls
		// answered before the first 429 are 300 plus what came back while
		// they ran.
		start := time.Now()
		answered := 0
		for ; answered < 2*refreshes; answered++ {
			r := in.refresh(t, fmt.Sprintf("%043d", answered))
			if r.Status == http.StatusTooManyRequests {
				r.wantError(t, http.StatusTooManyRequests, "too_many_attempts")
				if r.Header.Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
				break
			}
			if r.Status != http.StatusUnauthorized || r.code() != "invalid_refresh_token" {
				t.Fatalf("refresh %d: got %d %s, want 401 invalid_refresh_token",
					answered+1, r.Status, r.Body)
			}
		}
		refilled := int(time.Since(start)/(time.Minute/refreshes)) + 1
		if answered < refreshes || answered > refreshes+refilled {
			t.Errorf("got %d refreshes answered before the first 429, want %d to %d",
				answered, refreshes, refreshes+refilled)
		}
		// The owner's own refresh from the same address waits too, and the
		// refused call does not spend the refresh token.
		r := in.refresh(t, g.Refresh)
		if r.Status == http.StatusTooManyRequests {
			time.Sleep(300 * time.Millisecond)
			r = in.refresh(t, g.Refresh)
		} else {
			t.Logf("a token came back before the owner's refresh: got %d", r.Status)
		}
		r.wantStatus(t, http.StatusOK)
	})
}

// TestSecurityHeaders checks that every response carries nosniff and that
// every response with a token in it forbids caching.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	in := startServer(t)
	addr := uniqueEmail("headers")
	pw := in.password("headers")

	var tokenReplies []reply
	r := in.do(t, call{method: "POST", path: "/api/auth/signup",
		body: map[string]any{"email": addr, "password": pw, "return_refresh_token": true}})
	tokenReplies = append(tokenReplies, r)
	g := in.grantOf(t, r)
	r = in.do(t, call{method: "POST", path: "/api/auth/login",
		body: map[string]any{"email": addr, "password": pw}})
	tokenReplies = append(tokenReplies, r)
	cookie := in.grantOf(t, r).Refresh
	tokenReplies = append(tokenReplies, in.refresh(t, g.Refresh),
		in.do(t, call{method: "POST", path: "/api/auth/refresh", cookie: cookie, xrw: true}))
	for i, r := range tokenReplies {
		if r.Status >= 300 {
			t.Errorf("token reply %d: got %d %s", i, r.Status, r.Body)
		}
		if got := r.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
			t.Errorf("token reply %d: got Cache-Control %q, want no-store", i, got)
		}
	}

	paths := []call{
		{method: "GET", path: "/"},
		{method: "GET", path: "/login"},
		{method: "GET", path: "/api/auth/me", token: g.Access},
		{method: "GET", path: "/api/auth/me"},
		{method: "GET", path: "/api/nothing"},
		{method: "GET", path: "/.well-known/jwks.json"},
		{method: "GET", path: "/.well-known/openid-configuration"},
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/readyz"},
		{method: "GET", path: "/metrics"},
		{method: "GET", path: "/api/openapi.json"},
		{method: "OPTIONS", path: "/api/auth/login",
			header: map[string]string{"Origin": "https://evil.example",
				"Access-Control-Request-Method": "POST"}},
	}
	for _, c := range append(paths, call{method: "POST", path: "/api/auth/login", body: "{"}) {
		r := in.do(t, c)
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: got X-Content-Type-Options %q, want nosniff", c.method, c.path, got)
		}
	}
}
