package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
)

// TestLogoutWithExpiredToken: a client whose access token has expired
// can still end its session with it, but not the user's other sessions,
// and a forged token ends nothing.
func TestLogoutWithExpiredToken(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	email := uniqueEmail("expired-logout")
	first := ts.signup(t, email)
	other := ts.login(t, email)
	ts.Clock.Advance(16 * time.Minute) // past the 15m TTL and the 30s leeway

	ts.do(t, request{method: "GET", path: "/api/auth/me", token: first.Access}).
		wantError(t, "token_expired")
	r := ts.do(t, request{method: "POST", path: "/api/auth/logout", token: first.Access,
		body: map[string]any{"scope": "global"}})
	r.wantStatus(t, http.StatusNoContent)

	ts.refresh(t, first.Refresh).wantError(t, "session_revoked")
	// The expired token asked for global, but may only end its own session.
	ts.refresh(t, other.Refresh).wantStatus(t, http.StatusOK)

	third := ts.login(t, email)
	ts.Clock.Advance(16 * time.Minute)
	forged := third.Access[:len(third.Access)-6] + "AAAAAA"
	r = ts.do(t, request{method: "POST", path: "/api/auth/logout", token: forged})
	r.wantStatus(t, http.StatusNoContent)
	ts.refresh(t, third.Refresh).wantStatus(t, http.StatusOK)
}

// TestBearerAlone: the scheme with no token after it is a missing token,
// with the bare challenge of RFC 6750, not an invalid one.
func TestBearerAlone(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	for _, h := range []string{"Bearer", "bearer ", "  BEARER  "} {
		r := ts.do(t, request{method: "GET", path: "/api/auth/me", authz: h})
		r.wantError(t, "token_missing")
		if got := r.Header.Get("WWW-Authenticate"); got != `Bearer realm="sallyport"` {
			t.Errorf("Authorization %q: got challenge %q, want the bare one", h, got)
		}
	}
}

// TestLogoutWithExpiredSessionToken: the refresh token of a session that
// ran out may end that session, but not the user's live ones.
func TestLogoutWithExpiredSessionToken(t *testing.T) {
	t.Parallel()
	ts := newServer(t, withConfig(func(c *auth.Config) { c.SessionIdle = time.Hour }))
	email := uniqueEmail("idle-logout")
	idle := ts.signup(t, email)
	live := ts.login(t, email)
	ts.Clock.Advance(40 * time.Minute)
	r := ts.refresh(t, live.Refresh)
	r.wantStatus(t, http.StatusOK)
	live = grantOf(t, r)
	ts.Clock.Advance(40 * time.Minute) // idle has been unused for 80 minutes

	ts.refresh(t, idle.Refresh).wantError(t, "session_expired")
	r = ts.do(t, request{method: "POST", path: "/api/auth/logout",
		body: map[string]any{"scope": "global", "refresh_token": idle.Refresh}})
	r.wantStatus(t, http.StatusNoContent)
	ts.refresh(t, live.Refresh).wantStatus(t, http.StatusOK)
}
