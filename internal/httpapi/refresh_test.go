package httpapi_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/store/testdb"
)

// cookieGrant logs in the browser way: the refresh token in the cookie.
func (ts *testServer) cookieGrant(t testing.TB, email string) (access, cookie string) {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/auth/login",
		body: creds(email, testPassword, false)})
	r.wantStatus(t, http.StatusOK)
	c := r.cookie()
	if c == nil {
		t.Fatal("login set no refresh cookie")
	}
	return grantOf(t, r).Access, c.Value
}

func TestRefreshWithCookie(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	email := uniqueEmail("cookie")
	ts.signup(t, email)

	t.Run("needs X-Requested-With", func(t *testing.T) {
		_, cookie := ts.cookieGrant(t, email)
		r := ts.do(t, request{method: "POST", path: "/api/auth/refresh", cookie: cookie})
		r.wantError(t, "csrf_check_failed")
		// The refused request did not spend the token.
		r = ts.do(t, request{method: "POST", path: "/api/auth/refresh", cookie: cookie,
			xrw: true})
		r.wantStatus(t, http.StatusOK)
	})

	t.Run("rotates the cookie", func(t *testing.T) {
		_, cookie := ts.cookieGrant(t, email)
		r := ts.do(t, request{method: "POST", path: "/api/auth/refresh", cookie: cookie,
			xrw: true})
		r.wantStatus(t, http.StatusOK)
		var tr tokenResponse
		r.decode(t, &tr)
		checkTokenResponse(t, ts, tr)
		if tr.RefreshToken != nil {
			t.Error("got refresh_token in the body without return_refresh_token")
		}
		next := r.cookie()
		if next == nil || next.Value == "" || next.Value == cookie {
			t.Fatalf("got cookie %v, want a new refresh token", next)
		}
		ts.me(t, tr.AccessToken).wantStatus(t, http.StatusOK)
		r = ts.do(t, request{method: "POST", path: "/api/auth/refresh", cookie: next.Value,
			xrw: true})
		r.wantStatus(t, http.StatusOK)
	})

	t.Run("body wins over cookie without CSRF header", func(t *testing.T) {
		g := ts.login(t, email)
		r := ts.do(t, request{method: "POST", path: "/api/auth/refresh", cookie: "whatever",
			body: map[string]any{"refresh_token": g.Refresh}})
		r.wantStatus(t, http.StatusOK)
	})

	t.Run("dead cookie is cleared", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/refresh",
			cookie: strings.Repeat("A", 43), xrw: true})
		r.wantError(t, "invalid_refresh_token")
		checkClearedCookie(t, r)
	})
}

func TestRefreshWithBody(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("body"))

	t.Run("cookie unless asked", func(t *testing.T) {
		old := g.Refresh
		r := ts.do(t, request{method: "POST", path: "/api/auth/refresh",
			body: map[string]any{"refresh_token": old}})
		r.wantStatus(t, http.StatusOK)
		var tr tokenResponse
		r.decode(t, &tr)
		if tr.RefreshToken != nil {
			t.Fatal("got refresh_token in the body without return_refresh_token")
		}
		c := r.cookie()
		if c == nil || c.Value == old {
			t.Fatalf("got cookie %v, want the rotated token", c)
		}
		g.Refresh = c.Value
	})

	t.Run("in the body when asked", func(t *testing.T) {
		r := ts.refresh(t, g.Refresh)
		r.wantStatus(t, http.StatusOK)
		var tr tokenResponse
		r.decode(t, &tr)
		if tr.RefreshToken == nil || *tr.RefreshToken == g.Refresh {
			t.Fatalf("got refresh_token %v, want a new one", tr.RefreshToken)
		}
		if r.cookie() != nil {
			t.Error("got a cookie too, want the token only in the body")
		}
		g.Refresh = *tr.RefreshToken
		ts.refresh(t, g.Refresh).wantStatus(t, http.StatusOK)
	})

	t.Run("keeps the session and updates the role", func(t *testing.T) {
		g := ts.signup(t, uniqueEmail("role"))
		sid := claimOf(t, g.Access, "sid")
		if _, err := ts.Svc.SetRole(context.Background(), g.Email, "admin"); err != nil {
			t.Fatal(err)
		}
		n := grantOf(t, ts.refresh(t, g.Refresh))
		if got := claimOf(t, n.Access, "sid"); got != sid {
			t.Errorf("got sid %v after refresh, want the same session %v", got, sid)
		}
		if got := claimOf(t, n.Access, "role"); got != "admin" {
			t.Errorf("got role %v after refresh, want admin", got)
		}
	})

	bad := []struct{ name, token string }{
		{"unknown", strings.Repeat("A", 43)},
		{"too short", "abc"},
		{"too long", strings.Repeat("A", 44)},
		{"not base64url", strings.Repeat("*", 43)},
		{"an access token", g.Access},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			ts.refresh(t, b.token).wantError(t, "invalid_refresh_token")
		})
	}
	t.Run("nothing sent", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/refresh"})
		r.wantError(t, "invalid_refresh_token")
		r = ts.do(t, request{method: "POST", path: "/api/auth/refresh", body: `{}`})
		r.wantError(t, "invalid_refresh_token")
	})
}

// claimOf returns one claim of a token, without verifying it.
func claimOf(t testing.TB, raw, name string) any {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, claims); err != nil {
		t.Fatalf("parse token: %v", err)
	}
	return claims[name]
}

// liveRefreshTokens counts the session's refresh tokens that are not yet
// rotated, reading the SQLite file directly.
// The store interface has no such count, so on other backends it returns
// -1 and callers leave the check to the store contract suite.
func liveRefreshTokens(t testing.TB, ts *testServer, sid string) int {
	t.Helper()
	if ts.Backend != "sqlite" {
		return -1
	}
	db, err := sql.Open("sqlite", ts.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	const q = `SELECT COUNT(*) FROM refresh_tokens WHERE session_id = ? AND rotated_at IS NULL`
	if err := db.QueryRow(q, sid).Scan(&n); err != nil {
		t.Fatalf("count live refresh tokens: %v", err)
	}
	return n
}

// TestRefreshGraceRace has many tabs refresh the same token at once.
// Inside the grace window every one must succeed with a token that keeps
// working, for the same session, and the session must be left with
// exactly one live refresh token.
func TestRefreshGraceRace(t *testing.T) {
	t.Parallel()
	testdb.SkipRaces(t, testBackend())
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("race"))
	sid := claimOf(t, g.Access, "sid")

	race := func(t *testing.T, token string, n int) []grant {
		t.Helper()
		responses := make([]response, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		body := map[string]any{"refresh_token": token, "return_refresh_token": true}
		for i := range n {
			wg.Go(func() {
				<-start
				responses[i], errs[i] = ts.send(request{method: "POST",
					path: "/api/auth/refresh", body: body})
			})
		}
		close(start)
		wg.Wait()
		grants := make([]grant, n)
		for i, r := range responses {
			if errs[i] != nil {
				t.Fatalf("refresh %d of %d concurrent: %v", i, n, errs[i])
			}
			checkSpec(t, "POST", "/api/auth/refresh", r)
			r.wantStatus(t, http.StatusOK)
			grants[i] = grantOf(t, r)
		}
		return grants
	}

	const tabs = 24
	first := race(t, g.Refresh, tabs)
	children := map[string]bool{}
	for i, c := range first {
		if got := claimOf(t, c.Access, "sid"); got != sid {
			t.Errorf("tab %d: got session %v, want %v", i, got, sid)
		}
		ts.me(t, c.Access).wantStatus(t, http.StatusOK)
		children[c.Refresh] = true
	}
	if len(children) != 1 {
		t.Errorf("got %d distinct refresh tokens from one parent, want 1", len(children))
	}
	if n := liveRefreshTokens(t, ts, sid.(string)); n != 1 && n != -1 {
		t.Errorf("got %d live refresh tokens after the race, want 1", n)
	}

	// Every token handed out refreshes again, also concurrently.
	ts.Clock.Advance(2 * time.Second)
	var second []grant
	for i, c := range first {
		if i%2 == 0 {
			r := ts.refresh(t, c.Refresh)
			r.wantStatus(t, http.StatusOK)
			second = append(second, grantOf(t, r))
		}
	}
	second = append(second, race(t, first[1].Refresh, tabs)...)
	grand := map[string]bool{}
	for _, c := range second {
		grand[c.Refresh] = true
	}
	if len(grand) != 1 {
		t.Errorf("got %d distinct grandchildren, want 1", len(grand))
	}
	if n := liveRefreshTokens(t, ts, sid.(string)); n != 1 && n != -1 {
		t.Errorf("got %d live refresh tokens after the second race, want 1", n)
	}

	// The grace window is measured from the rotation: once it has passed
	// for the parent, the live grandchild still works.
	ts.Clock.Advance(11 * time.Second)
	for c := range grand {
		ts.refresh(t, c).wantStatus(t, http.StatusOK)
	}
}

// TestRefreshReuse replays a rotated token after the grace window: that
// is theft, so the whole session dies, its live child and its access
// tokens included.
func TestRefreshReuse(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	victim := ts.signup(t, uniqueEmail("victim"))
	other := ts.login(t, victim.Email)

	child := grantOf(t, ts.refresh(t, victim.Refresh))
	ts.Clock.Advance(5 * time.Second)
	// Inside the window a replay still succeeds, with the same child.
	again := grantOf(t, ts.refresh(t, victim.Refresh))
	if again.Refresh != child.Refresh {
		t.Errorf("replay inside the window got another child")
	}
	ts.Clock.Advance(6 * time.Second) // 11 s after the rotation

	r := ts.refresh(t, victim.Refresh)
	r.wantError(t, "refresh_token_reused")
	if r.Header.Get("WWW-Authenticate") != "" {
		t.Error("got WWW-Authenticate on a refresh failure")
	}

	r = ts.refresh(t, child.Refresh)
	if e := r.apiError().Error; e != "session_revoked" && e != "refresh_token_reused" {
		t.Errorf("live child after reuse: got %d %s, want session_revoked or "+
			"refresh_token_reused", r.Status, r.Body)
	}
	for _, access := range []string{victim.Access, child.Access, again.Access} {
		ts.me(t, access).wantError(t, "session_revoked")
	}
	// Another session of the same user is not touched.
	ts.me(t, other.Access).wantStatus(t, http.StatusOK)
	ts.refresh(t, other.Refresh).wantStatus(t, http.StatusOK)

	if !strings.Contains(ts.Logs.String(), "event=reuse_detected") {
		t.Error("no reuse_detected event in the log")
	}
}

func TestSessionLifetimes(t *testing.T) {
	t.Parallel()
	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		ts := newServer(t, withConfig(func(c *auth.Config) {
			c.SessionIdle = time.Hour
			c.SessionMax = 24 * time.Hour
		}))
		g := ts.signup(t, uniqueEmail("idle"))
		// Used every 50 minutes, the session lives on past the idle time.
		for range 3 {
			ts.Clock.Advance(50 * time.Minute)
			g = grantOf(t, ts.refresh(t, g.Refresh))
		}
		ts.Clock.Advance(time.Hour)
		ts.refresh(t, g.Refresh).wantError(t, "session_expired")

		// The session list leaves it out.
		fresh := ts.login(t, g.Email)
		var list sessionList
		ts.do(t, request{method: "GET", path: "/api/auth/sessions", token: fresh.Access}).
			decode(t, &list)
		if len(list.Sessions) != 1 {
			t.Errorf("got %d sessions, want only the new one", len(list.Sessions))
		}
	})
	t.Run("absolute", func(t *testing.T) {
		t.Parallel()
		ts := newServer(t, withConfig(func(c *auth.Config) {
			c.SessionIdle = time.Hour
			c.SessionMax = 3 * time.Hour
		}))
		g := ts.signup(t, uniqueEmail("absolute"))
		for range 5 {
			ts.Clock.Advance(35 * time.Minute)
			g = grantOf(t, ts.refresh(t, g.Refresh))
		}
		ts.Clock.Advance(25 * time.Minute) // 3 h after login
		r := ts.do(t, request{method: "POST", path: "/api/auth/refresh", cookie: g.Refresh,
			xrw: true})
		r.wantError(t, "session_expired")
		checkClearedCookie(t, r)
	})
}
