package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
)

// challenge is the RFC 6750 WWW-Authenticate value for a failed token.
func challenge(description string) string {
	return `Bearer realm="sallyport", error="invalid_token", error_description="` +
		description + `"`
}

func TestAccessTokenFailures(t *testing.T) {
	t.Parallel()
	ts := newServer(t, withConfig(func(c *auth.Config) { c.AccessTTL = time.Minute }))
	expired := ts.signup(t, uniqueEmail("expired"))
	// Past the TTL and the 30 s leeway.
	ts.Clock.Advance(time.Minute + 31*time.Second)
	live := ts.signup(t, uniqueEmail("live"))
	revoked := ts.signup(t, uniqueEmail("revoked"))
	ts.do(t, request{method: "POST", path: "/api/auth/logout", token: revoked.Access}).
		wantStatus(t, http.StatusNoContent)

	tests := []struct {
		name  string
		authz string // raw Authorization header; empty sends none
		code  string
		www   string
	}{
		{"missing", "", "token_missing", `Bearer realm="sallyport"`},
		{"scheme without token", "Bearer ", "token_missing", `Bearer realm="sallyport"`},
		{"lower-case scheme alone", "bearer", "token_missing", `Bearer realm="sallyport"`},
		{"garbage", "Bearer not.a.jwt", "token_invalid", challenge("access token is invalid")},
		{"other scheme", "Basic dXNlcjpwYXNz", "token_invalid",
			challenge("access token is invalid")},
		{"revoked", "Bearer " + revoked.Access, "session_revoked",
			challenge("the session has been revoked")},
		{"expired", "Bearer " + expired.Access, "token_expired",
			challenge("access token expired")},
	}

	for _, tt := range tests {
		for _, path := range []string{"/api/auth/me", "/api/auth/sessions"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				r := ts.do(t, request{method: "GET", path: path, authz: tt.authz})
				r.wantError(t, tt.code)
				if got := r.Header.Get("WWW-Authenticate"); got != tt.www {
					t.Errorf("got WWW-Authenticate %q, want %q", got, tt.www)
				}
			})
		}
	}
	t.Run("token_missing has no error attribute", func(t *testing.T) {
		r := ts.do(t, request{method: "GET", path: "/api/auth/me"})
		if got := r.Header.Get("WWW-Authenticate"); strings.Contains(got, "error=") {
			t.Errorf("got WWW-Authenticate %q, want no error= for a missing token", got)
		}
	})
	t.Run("still live", func(t *testing.T) {
		ts.me(t, live.Access).wantStatus(t, http.StatusOK)
	})
}

func TestAuthorizationHeaderForms(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("forms"))
	forms := []struct {
		name, authz string
	}{
		{"Bearer prefix", "Bearer " + g.Access},
		{"lower-case prefix", "bearer " + g.Access},
		{"upper-case prefix", "BEARER " + g.Access},
		{"bare token", g.Access},
		{"surrounding spaces", "  Bearer   " + g.Access + "  "},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			r := ts.do(t, request{method: "GET", path: "/api/auth/me", authz: f.authz})
			r.wantStatus(t, http.StatusOK)
			var body struct {
				User userJSON `json:"user"`
			}
			r.decode(t, &body)
			if body.User.ID != g.UserID || body.User.Email != g.Email {
				t.Errorf("got user %+v, want id %s email %s", body.User, g.UserID, g.Email)
			}
		})
	}
}

// TestAccessTokenExpiry runs the expiry flow with a short access TTL: the
// token works until exp plus the leeway, then says token_expired, and a
// refresh brings a working one.
func TestAccessTokenExpiry(t *testing.T) {
	t.Parallel()
	ts := newServer(t, withConfig(func(c *auth.Config) {
		c.AccessTTL = 2 * time.Minute
		c.Leeway = 5 * time.Second
	}))
	g := ts.signup(t, uniqueEmail("expiry"))
	r := ts.refresh(t, g.Refresh)
	r.wantStatus(t, http.StatusOK)
	var tr tokenResponse
	r.decode(t, &tr)
	if tr.ExpiresIn != 120 {
		t.Errorf("got expires_in %d, want 120", tr.ExpiresIn)
	}
	g = grantOf(t, r)

	steps := []struct {
		after time.Duration // since issue
		code  string        // "" for 200
	}{
		{0, ""},
		{2 * time.Minute, ""},               // at exp, inside the leeway
		{2*time.Minute + 4*time.Second, ""}, // still inside
		{2*time.Minute + 5*time.Second, "token_expired"},
		{time.Hour, "token_expired"},
	}
	start := ts.Clock.Now()
	for _, s := range steps {
		ts.Clock.Advance(start.Add(s.after).Sub(ts.Clock.Now()))
		r := ts.me(t, g.Access)
		if s.code == "" {
			r.wantStatus(t, http.StatusOK)
		} else {
			r.wantError(t, s.code)
		}
	}
	fresh := grantOf(t, ts.refresh(t, g.Refresh))
	ts.me(t, fresh.Access).wantStatus(t, http.StatusOK)
}
