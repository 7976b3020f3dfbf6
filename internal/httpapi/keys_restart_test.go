package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/store/open"
)

// kidOf returns the kid in a token's header.
func kidOf(t testing.TB, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	data, err := b64.DecodeString(parts[0])
	if err != nil {
		t.Fatalf("decode header: %v", err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	response{Body: data}.decode(t, &h)
	return h.Kid
}

// kids lists the key ids of the JWKS.
func (ts *testServer) kids(t testing.TB) []string {
	t.Helper()
	var ids []string
	for _, k := range ts.jwks(t).Keys {
		ids = append(ids, k["kid"])
	}
	slices.Sort(ids)
	return ids
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ctx := context.Background()
	g1 := ts.signup(t, uniqueEmail("rotate"))
	k1 := kidOf(t, g1.Access)
	if k1 != ts.Svc.Keyring().Signer().ID {
		t.Fatalf("got kid %s, want the signer %s", k1, ts.Svc.Keyring().Signer().ID)
	}

	ts.Clock.Advance(time.Minute)
	info, err := ts.Svc.RotateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k2 := info.ID
	if k2 == k1 || !info.Active {
		t.Fatalf("got new key %+v, want an active key other than %s", info, k1)
	}

	g2 := ts.login(t, g1.Email)
	if got := kidOf(t, g2.Access); got != k2 {
		t.Errorf("new token: got kid %s, want the new key %s", got, k2)
	}
	n := grantOf(t, ts.refresh(t, g1.Refresh))
	if got := kidOf(t, n.Access); got != k2 {
		t.Errorf("refreshed token: got kid %s, want the new key %s", got, k2)
	}
	ts.me(t, g1.Access).wantStatus(t, http.StatusOK)
	ts.me(t, g2.Access).wantStatus(t, http.StatusOK)
	if got := ts.kids(t); !slices.Equal(got, sorted(k1, k2)) {
		t.Errorf("got JWKS kids %v, want both %v", got, sorted(k1, k2))
	}

	// The old key verifies until its last token has expired.
	ts.Clock.Advance(14 * time.Minute)
	ts.me(t, g1.Access).wantStatus(t, http.StatusOK)

	// Once every token it signed is past exp and the leeway, it drops out
	// of the JWKS at the next key change.
	ts.Clock.Advance(2 * time.Minute)
	info3, err := ts.Svc.RotateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts.kids(t); !slices.Equal(got, sorted(k2, info3.ID)) {
		t.Errorf("got JWKS kids %v, want %v without the expired key", got, sorted(k2, info3.ID))
	}
	keys, err := ts.Svc.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		wantVerifying := k.ID != k1
		if k.Verifying != wantVerifying || k.Active != (k.ID == info3.ID) {
			t.Errorf("key %s: got active %v verifying %v", k.ID, k.Active, k.Verifying)
		}
	}
	g3 := ts.login(t, g1.Email)
	if got := kidOf(t, g3.Access); got != info3.ID {
		t.Errorf("got kid %s, want %s", got, info3.ID)
	}
}

func TestRestartPersistence(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	alice := uniqueEmail("alice")
	a := ts.signup(t, alice)
	loggedOut := ts.login(t, alice)
	ts.do(t, request{method: "POST", path: "/api/auth/logout", token: loggedOut.Access}).
		wantStatus(t, http.StatusNoContent)
	bob := ts.signup(t, uniqueEmail("bob"))
	rotated := bob.Refresh
	bob = grantOf(t, ts.refresh(t, bob.Refresh))
	kid := ts.Svc.Keyring().Signer().ID
	ts.Clock.Advance(time.Minute)

	ts = ts.restart(t)

	t.Run("keys", func(t *testing.T) {
		if got := ts.Svc.Keyring().Signer().ID; got != kid {
			t.Errorf("got signer %s after restart, want the same %s", got, kid)
		}
		if got := ts.kids(t); !slices.Equal(got, []string{kid}) {
			t.Errorf("got JWKS kids %v, want [%s]", got, kid)
		}
		ts.me(t, a.Access).wantStatus(t, http.StatusOK)
	})
	t.Run("users", func(t *testing.T) {
		g := ts.login(t, alice)
		if g.UserID != a.UserID {
			t.Errorf("got user %s, want %s", g.UserID, a.UserID)
		}
		ts.do(t, request{method: "POST", path: "/api/auth/signup",
			body: creds(alice, testPassword, false)}).wantError(t, "email_taken")
	})
	t.Run("revocations", func(t *testing.T) {
		ts.me(t, loggedOut.Access).wantError(t, "session_revoked")
		ts.refresh(t, loggedOut.Refresh).wantError(t, "session_revoked")
	})
	t.Run("sessions", func(t *testing.T) {
		r := ts.do(t, request{method: "GET", path: "/api/auth/sessions", token: a.Access})
		var l sessionList
		r.decode(t, &l)
		sid := claimOf(t, a.Access, "sid")
		if !slices.ContainsFunc(l.Sessions, func(s sessionJSON) bool {
			return s.ID == sid && s.Current
		}) {
			t.Errorf("got sessions %+v, want the current one %v", l.Sessions, sid)
		}
		if slices.ContainsFunc(l.Sessions, func(s sessionJSON) bool {
			return s.ID == claimOf(t, loggedOut.Access, "sid")
		}) {
			t.Error("the logged-out session is listed")
		}
		a = grantOf(t, ts.refresh(t, a.Refresh))
		ts.me(t, a.Access).wantStatus(t, http.StatusOK)
	})
	t.Run("rotated tokens", func(t *testing.T) {
		// The grace window has passed during the "downtime": reuse.
		ts.refresh(t, rotated).wantError(t, "refresh_token_reused")
		ts.me(t, bob.Access).wantError(t, "session_revoked")
	})

	// And once more, so that revocations made by the restarted server hold.
	ts = ts.restart(t)
	ts.me(t, bob.Access).wantError(t, "session_revoked")
	ts.me(t, loggedOut.Access).wantError(t, "session_revoked")
	ts.me(t, a.Access).wantStatus(t, http.StatusOK)
}

func TestRestartWithWrongMasterKey(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ts.signup(t, uniqueEmail("master"))
	ts.Close()

	ctx := context.Background()
	st, _, err := open.Open(ctx, ts.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := ts.cfg
	cfg.MasterKey = newMasterKey()
	svc, err := auth.New(cfg, st, password.NewHasher(fastParams, 1<<20, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err == nil {
		t.Fatal("Start with another master key: got nil error, want one")
	}
}
