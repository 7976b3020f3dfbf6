package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type sessionJSON struct {
	ID         string `json:"id"`
	UserAgent  string `json:"user_agent"`
	IP         string `json:"ip"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at"`
	ExpiresAt  string `json:"expires_at"`
	Current    bool   `json:"current"`
}

type sessionList struct {
	Sessions []sessionJSON `json:"sessions"`
}

// checkClearedCookie fails unless r clears the refresh cookie.
func checkClearedCookie(t testing.TB, r response) {
	t.Helper()
	line := r.setCookieHeader()
	if line == "" {
		t.Fatal("the refresh cookie is not cleared")
	}
	for _, want := range []string{"sallyport_refresh=;", "Max-Age=0", "Path=/api/auth",
		"HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(line, want) {
			t.Errorf("got Set-Cookie %q, want it to contain %q", line, want)
		}
	}
}

// alive reports whether an access token and a refresh token still work;
// the refresh token is spent and the new one returned.
func (ts *testServer) alive(t testing.TB, g *grant) (access, refresh bool) {
	t.Helper()
	me := ts.me(t, g.Access)
	switch {
	case me.Status == http.StatusOK:
		access = true
	case me.apiError().Error != "session_revoked":
		t.Errorf("dead access token: got %d %s, want session_revoked", me.Status, me.Body)
	}
	r := ts.refresh(t, g.Refresh)
	switch {
	case r.Status == http.StatusOK:
		refresh = true
		n := grantOf(t, r)
		g.Access, g.Refresh = n.Access, n.Refresh
	case r.apiError().Error != "session_revoked":
		t.Errorf("dead refresh token: got %d %s, want session_revoked", r.Status, r.Body)
	}
	return access, refresh
}

func TestLogout(t *testing.T) {
	t.Parallel()
	ts := newServer(t)

	tests := []struct {
		name string
		// req builds the logout request from the caller's grant.
		req func(g grant) request
		// wantAlive says which of caller, other1, other2 survive.
		wantAlive [3]bool
	}{
		{"default scope by access token", func(g grant) request {
			return request{token: g.Access}
		}, [3]bool{false, true, true}},
		{"local by access token", func(g grant) request {
			return request{token: g.Access, body: map[string]any{"scope": "local"}}
		}, [3]bool{false, true, true}},
		{"others by access token", func(g grant) request {
			return request{token: g.Access, body: map[string]any{"scope": "others"}}
		}, [3]bool{true, false, false}},
		{"global by access token", func(g grant) request {
			return request{token: g.Access, body: map[string]any{"scope": "global"}}
		}, [3]bool{false, false, false}},
		{"local by refresh token in body", func(g grant) request {
			return request{body: map[string]any{"refresh_token": g.Refresh}}
		}, [3]bool{false, true, true}},
		{"others by refresh token in body", func(g grant) request {
			return request{body: map[string]any{"refresh_token": g.Refresh, "scope": "others"}}
		}, [3]bool{true, false, false}},
		{"local by cookie", func(g grant) request {
			return request{cookie: g.Refresh, xrw: true}
		}, [3]bool{false, true, true}},
		{"global by cookie", func(g grant) request {
			return request{cookie: g.Refresh, xrw: true, body: map[string]any{"scope": "global"}}
		}, [3]bool{false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := uniqueEmail("logout")
			gs := []grant{ts.signup(t, email), ts.login(t, email), ts.login(t, email)}
			bystander := ts.signup(t, uniqueEmail("bystander"))

			req := tt.req(gs[0])
			req.method, req.path = "POST", "/api/auth/logout"
			r := ts.do(t, req)
			r.wantStatus(t, http.StatusNoContent)
			checkClearedCookie(t, r)

			for i := range gs {
				access, refresh := ts.alive(t, &gs[i])
				if access != tt.wantAlive[i] || refresh != tt.wantAlive[i] {
					t.Errorf("session %d: got access %v refresh %v, want alive %v",
						i, access, refresh, tt.wantAlive[i])
				}
			}
			if a, r := ts.alive(t, &bystander); !a || !r {
				t.Errorf("another user's session died")
			}
		})
	}

	t.Run("idempotent", func(t *testing.T) {
		g := ts.signup(t, uniqueEmail("twice"))
		for i := range 3 {
			r := ts.do(t, request{method: "POST", path: "/api/auth/logout", token: g.Access})
			r.wantStatus(t, http.StatusNoContent)
			checkClearedCookie(t, r)
			r = ts.do(t, request{method: "POST", path: "/api/auth/logout",
				body: map[string]any{"refresh_token": g.Refresh}})
			if r.Status != http.StatusNoContent {
				t.Errorf("round %d: dead refresh token: got %d %s, want 204", i, r.Status, r.Body)
			}
		}
		r := ts.do(t, request{method: "POST", path: "/api/auth/logout",
			body: map[string]any{"refresh_token": "unknown"}})
		r.wantStatus(t, http.StatusNoContent)
	})

	t.Run("cookie needs X-Requested-With", func(t *testing.T) {
		g := ts.signup(t, uniqueEmail("csrf"))
		r := ts.do(t, request{method: "POST", path: "/api/auth/logout", cookie: g.Refresh})
		r.wantError(t, "csrf_check_failed")
		if a, _ := ts.alive(t, &g); !a {
			t.Error("a refused logout ended the session")
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/logout"})
		r.wantError(t, "token_missing")
	})

	t.Run("bad scope", func(t *testing.T) {
		g := ts.signup(t, uniqueEmail("scope"))
		r := ts.do(t, request{method: "POST", path: "/api/auth/logout", token: g.Access,
			body: map[string]any{"scope": "everything"}})
		r.wantError(t, "invalid_request")
		if a, _ := ts.alive(t, &g); !a {
			t.Error("a refused logout ended the session")
		}
	})

	t.Run("logout then me gets 401", func(t *testing.T) {
		g := ts.signup(t, uniqueEmail("walkthrough"))
		ts.me(t, g.Access).wantStatus(t, http.StatusOK)
		ts.do(t, request{method: "POST", path: "/api/auth/logout", token: g.Access}).
			wantStatus(t, http.StatusNoContent)
		r := ts.me(t, g.Access)
		r.wantError(t, "session_revoked")
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	email := uniqueEmail("sessions")
	a := ts.signup(t, email)
	ts.Clock.Advance(time.Second)
	b := ts.login(t, email)
	ts.Clock.Advance(time.Second)
	c := ts.login(t, email)
	stranger := ts.signup(t, uniqueEmail("stranger"))

	list := func(t *testing.T, g grant) []sessionJSON {
		t.Helper()
		r := ts.do(t, request{method: "GET", path: "/api/auth/sessions", token: g.Access})
		r.wantStatus(t, http.StatusOK)
		var l sessionList
		r.decode(t, &l)
		return l.Sessions
	}
	sidOf := func(g grant) string { return claimOf(t, g.Access, "sid").(string) }

	t.Run("list with current", func(t *testing.T) {
		got := list(t, b)
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
			if s.Current != (s.ID == sidOf(b)) {
				t.Errorf("session %s: got current %v, want %v", s.ID, s.Current, !s.Current)
			}
			if s.IP != "127.0.0.1" || !strings.HasPrefix(s.UserAgent, "Go-http-client") {
				t.Errorf("session %s: got ip %q user agent %q", s.ID, s.IP, s.UserAgent)
			}
		}
		want := []string{sidOf(c), sidOf(b), sidOf(a)}
		if !slices.Equal(ids, want) {
			t.Errorf("got sessions %v, want newest first %v", ids, want)
		}
	})

	t.Run("another user's session is not found", func(t *testing.T) {
		r := ts.do(t, request{method: "DELETE", path: "/api/auth/sessions/" + sidOf(stranger),
			token: a.Access})
		r.wantError(t, "not_found")
		ts.me(t, stranger.Access).wantStatus(t, http.StatusOK)
	})

	t.Run("unknown session is not found", func(t *testing.T) {
		r := ts.do(t, request{method: "DELETE", path: "/api/auth/sessions/NOPE", token: a.Access})
		r.wantError(t, "not_found")
	})

	t.Run("delete another own session", func(t *testing.T) {
		r := ts.do(t, request{method: "DELETE", path: "/api/auth/sessions/" + sidOf(c),
			token: a.Access})
		r.wantStatus(t, http.StatusNoContent)
		ts.me(t, c.Access).wantError(t, "session_revoked")
		ts.refresh(t, c.Refresh).wantError(t, "session_revoked")
		if got := list(t, a); len(got) != 2 {
			t.Errorf("got %d sessions after deleting one, want 2", len(got))
		}
		// Deleting it again is still fine.
		r = ts.do(t, request{method: "DELETE", path: "/api/auth/sessions/" + sidOf(c),
			token: a.Access})
		r.wantStatus(t, http.StatusNoContent)
	})

	t.Run("delete the current session", func(t *testing.T) {
		r := ts.do(t, request{method: "DELETE", path: "/api/auth/sessions/" + sidOf(b),
			token: b.Access})
		r.wantStatus(t, http.StatusNoContent)
		ts.me(t, b.Access).wantError(t, "session_revoked")
	})

	t.Run("needs a token", func(t *testing.T) {
		r := ts.do(t, request{method: "GET", path: "/api/auth/sessions"})
		r.wantError(t, "token_missing")
		r = ts.do(t, request{method: "DELETE", path: "/api/auth/sessions/" + sidOf(a)})
		r.wantError(t, "token_missing")
	})
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	const newPassword = "a much better passphrase"
	email := uniqueEmail("password")
	cur := ts.signup(t, email)
	other := ts.login(t, email)
	third := ts.login(t, email)

	change := func(g grant, current, next string) response {
		return ts.do(t, request{method: "POST", path: "/api/auth/password", token: g.Access,
			body: map[string]any{"current_password": current, "new_password": next}})
	}

	errs := []struct {
		name, current, next, code string
	}{
		{"wrong current password", "not my password", newPassword, "invalid_credentials"},
		{"new too short", testPassword, "1234567", "weak_password"},
		{"new too long", testPassword, strings.Repeat("x", 257), "weak_password"},
		{"wrong current and weak new", "nope", "short", "invalid_credentials"},
	}
	for _, e := range errs {
		t.Run(e.name, func(t *testing.T) {
			change(cur, e.current, e.next).wantError(t, e.code)
			if a, _ := ts.alive(t, &other); !a {
				t.Fatal("a refused change ended another session")
			}
		})
	}

	t.Run("needs a token", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/password",
			body: map[string]any{"current_password": testPassword, "new_password": newPassword}})
		r.wantError(t, "token_missing")
	})

	t.Run("ok", func(t *testing.T) {
		change(cur, testPassword, newPassword).wantStatus(t, http.StatusNoContent)
		if a, r := ts.alive(t, &cur); !a || !r {
			t.Errorf("the current session died: access %v refresh %v", a, r)
		}
		for _, g := range []*grant{&other, &third} {
			if a, r := ts.alive(t, g); a || r {
				t.Errorf("another session lives on: access %v refresh %v", a, r)
			}
		}
		r := ts.do(t, request{method: "POST", path: "/api/auth/login",
			body: creds(email, testPassword, false)})
		r.wantError(t, "invalid_credentials")
		r = ts.do(t, request{method: "POST", path: "/api/auth/login",
			body: creds(email, newPassword, false)})
		r.wantStatus(t, http.StatusOK)
	})
}

func TestCookieAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		publicURL string // "" for the test server's http://127.0.0.1:port
		secure    bool
	}{
		{"", false},
		{"http://localhost:8080", false},
		{"http://[::1]:8080", false},
		{"https://auth.example.test", true},
		{"https://127.0.0.1:8443", true},
		{"http://auth.example.test", true},
	}
	for _, tt := range tests {
		t.Run(tt.publicURL, func(t *testing.T) {
			t.Parallel()
			var opts []option
			if tt.publicURL != "" {
				opts = append(opts, withPublicURL(tt.publicURL))
			}
			ts := newServer(t, opts...)
			r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
				body: creds(uniqueEmail("cookie"), testPassword, false)})
			r.wantStatus(t, http.StatusCreated)
			c := r.cookie()
			if c == nil {
				t.Fatal("no refresh cookie")
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/auth" {
				t.Errorf("got HttpOnly %v SameSite %v Path %q, want true Strict /api/auth",
					c.HttpOnly, c.SameSite, c.Path)
			}
			if c.Secure != tt.secure {
				t.Errorf("got Secure %v, want %v", c.Secure, tt.secure)
			}
			if c.Domain != "" {
				t.Errorf("got Domain %q, want a host-only cookie", c.Domain)
			}
			// It lasts as long as the session can: 720 h by default.
			if maxAge := time.Duration(c.MaxAge) * time.Second; maxAge < 719*time.Hour ||
				maxAge > 720*time.Hour {
				t.Errorf("got Max-Age %v, want about 720h", maxAge)
			}
			if len(c.Value) < 43 {
				t.Errorf("got a cookie of %d characters, want at least 43", len(c.Value))
			}

			out := ts.do(t, request{method: "POST", path: "/api/auth/logout", cookie: c.Value,
				xrw: true})
			out.wantStatus(t, http.StatusNoContent)
			checkClearedCookie(t, out)
			if got := strings.Contains(out.setCookieHeader(), "Secure"); got != tt.secure {
				t.Errorf("cleared cookie: got Secure %v, want %v", got, tt.secure)
			}
		})
	}
}
