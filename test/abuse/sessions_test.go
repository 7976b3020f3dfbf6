package abuse

import (
	"net/http"
	"testing"
	"time"
)

// TestRefreshAfterTheEnd checks that a refresh token outlives none of the
// events that end its session: logout, a password change elsewhere, and
// an administrator disabling the user from the command line.
func TestRefreshAfterTheEnd(t *testing.T) {
	t.Parallel()
	in := startServer(t)

	t.Run("after logout", func(t *testing.T) {
		pw := in.password("logout")
		g := in.signup(t, uniqueEmail("logout"), pw)
		r := in.refresh(t, g.Refresh)
		r.wantStatus(t, http.StatusOK)
		rotated := in.grantOf(t, r)
		r = in.do(t, call{method: "POST", path: "/api/auth/logout", token: rotated.Access})
		r.wantStatus(t, http.StatusNoContent)

		for name, tok := range map[string]string{
			"current token": rotated.Refresh, "rotated-out token": g.Refresh} {
			in.refresh(t, tok).wantError(t, http.StatusUnauthorized, "session_revoked")
			r := in.do(t, call{method: "POST", path: "/api/auth/refresh", cookie: tok, xrw: true})
			r.wantError(t, http.StatusUnauthorized, "session_revoked")
			if c := r.Header.Get("Set-Cookie"); c == "" {
				t.Errorf("%s: a dead cookie was not cleared", name)
			}
		}
		in.me(t, rotated.Access).wantError(t, http.StatusUnauthorized, "session_revoked")
		// Logging out again is harmless and still refuses the token.
		r = in.do(t, call{method: "POST", path: "/api/auth/logout",
			body: map[string]any{"refresh_token": rotated.Refresh}})
		r.wantStatus(t, http.StatusNoContent)
	})

	t.Run("after a password change in another session", func(t *testing.T) {
		addr := uniqueEmail("pwchange")
		pw := in.password("pwchange-old")
		here := in.signup(t, addr, pw)
		there := in.login(t, addr, pw)
		next := in.password("pwchange-new")
		r := in.do(t, call{method: "POST", path: "/api/auth/password", token: here.Access,
			body: map[string]any{"current_password": pw, "new_password": next}})
		r.wantStatus(t, http.StatusNoContent)

		in.refresh(t, there.Refresh).wantError(t, http.StatusUnauthorized, "session_revoked")
		in.me(t, there.Access).wantError(t, http.StatusUnauthorized, "session_revoked")
		// The session that changed the password lives on.
		in.refresh(t, here.Refresh).wantStatus(t, http.StatusOK)
		// And the old password is dead, the new one alive.
		r = in.do(t, call{method: "POST", path: "/api/auth/login",
			body: map[string]any{"email": addr, "password": pw}})
		r.wantError(t, http.StatusUnauthorized, "invalid_credentials")
		in.login(t, addr, next)
	})

	t.Run("for a disabled user", func(t *testing.T) {
		addr := uniqueEmail("disabled")
		pw := in.password("disabled")
		g := in.signup(t, addr, pw)
		cookieSession := in.loginCookie(t, addr, pw)
		in.cli(t, "", "user", "disable", "--email", addr)

		in.refresh(t, g.Refresh).wantError(t, http.StatusUnauthorized, "session_revoked")
		r := in.do(t, call{method: "POST", path: "/api/auth/refresh",
			cookie: cookieSession.Refresh, xrw: true})
		r.wantError(t, http.StatusUnauthorized, "session_revoked")
		r = in.do(t, call{method: "POST", path: "/api/auth/login",
			body: map[string]any{"email": addr, "password": pw}})
		r.wantError(t, http.StatusForbidden, "account_disabled")
		// The CLI is another process: the server learns of the revocation
		// from the store within its poll interval (one second).
		var last reply
		revoked := waitFor(5*time.Second, func() bool {
			last = in.me(t, g.Access)
			return last.Status == http.StatusUnauthorized
		})
		if !revoked {
			t.Fatalf("access token of a disabled user still works after 5 s: %d %s",
				last.Status, last.Body)
		}
		last.wantError(t, http.StatusUnauthorized, "session_revoked")

		// Enabling the user again does not bring the old sessions back.
		in.cli(t, "", "user", "enable", "--email", addr)
		in.refresh(t, g.Refresh).wantError(t, http.StatusUnauthorized, "session_revoked")
		in.login(t, addr, pw)
	})
}
