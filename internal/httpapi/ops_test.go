package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/store"
)

type jwksJSON struct {
	Keys []map[string]string `json:"keys"`
}

func (ts *testServer) jwks(t testing.TB) jwksJSON {
	t.Helper()
	r := ts.do(t, request{method: "GET", path: "/.well-known/jwks.json"})
	r.wantStatus(t, http.StatusOK)
	var set jwksJSON
	r.decode(t, &set)
	return set
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	ts := newServer(t)

	t.Run("jwks", func(t *testing.T) {
		set := ts.jwks(t)
		if len(set.Keys) != 1 {
			t.Fatalf("got %d keys, want 1", len(set.Keys))
		}
		k := set.Keys[0]
		want := map[string]string{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
			"kid": ts.Svc.Keyring().Signer().ID}
		for name, v := range want {
			if k[name] != v {
				t.Errorf("got %s %q, want %q", name, k[name], v)
			}
		}
		if len(k["x"]) != 43 || len(k["y"]) != 43 {
			t.Errorf("got x %q y %q, want 32-byte base64url coordinates", k["x"], k["y"])
		}
		if _, ok := k["d"]; ok {
			t.Error("the JWKS publishes the private key")
		}
	})

	t.Run("openid-configuration", func(t *testing.T) {
		r := ts.do(t, request{method: "GET", path: "/.well-known/openid-configuration"})
		r.wantStatus(t, http.StatusOK)
		var doc struct {
			Issuer  string   `json:"issuer"`
			JWKSURI string   `json:"jwks_uri"`
			Algs    []string `json:"id_token_signing_alg_values_supported"`
		}
		r.decode(t, &doc)
		if doc.Issuer != ts.URL {
			t.Errorf("got issuer %q, want %q", doc.Issuer, ts.URL)
		}
		if doc.JWKSURI != ts.URL+"/.well-known/jwks.json" {
			t.Errorf("got jwks_uri %q, want %q", doc.JWKSURI, ts.URL+"/.well-known/jwks.json")
		}
		if !slices.Equal(doc.Algs, []string{"ES256"}) {
			t.Errorf("got algorithms %v, want [ES256]", doc.Algs)
		}
		// The published URI is where the keys are.
		res, err := ts.Client.Get(doc.JWKSURI)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET jwks_uri: got %d, want 200", res.StatusCode)
		}
	})

	t.Run("issuer is the public URL", func(t *testing.T) {
		other := newServer(t, withPublicURL("https://auth.example.test"))
		r := other.do(t, request{method: "GET", path: "/.well-known/openid-configuration"})
		var doc struct {
			Issuer string `json:"issuer"`
		}
		r.decode(t, &doc)
		if doc.Issuer != "https://auth.example.test" {
			t.Errorf("got issuer %q, want https://auth.example.test", doc.Issuer)
		}
		g := other.signup(t, uniqueEmail("iss"))
		if iss := claimOf(t, g.Access, "iss"); iss != "https://auth.example.test" {
			t.Errorf("got iss %v, want https://auth.example.test", iss)
		}
	})
}

func TestHealth(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("health"))

	for _, path := range []string{"/healthz", "/readyz"} {
		r := ts.do(t, request{method: "GET", path: path})
		r.wantStatus(t, http.StatusOK)
		r = ts.do(t, request{method: "HEAD", path: path})
		r.wantStatus(t, http.StatusOK)
	}

	ts.Store.Close()
	r := ts.do(t, request{method: "GET", path: "/readyz"})
	r.wantError(t, "unavailable")
	if got := r.Header.Get("Retry-After"); got == "" {
		t.Error("503 without Retry-After")
	}
	ts.do(t, request{method: "GET", path: "/healthz"}).wantStatus(t, http.StatusOK)

	// Requests that need the store get 503, never a crash or a 500.
	reqs := []request{
		{method: "POST", path: "/api/auth/login", body: creds(g.Email, testPassword, false)},
		{method: "POST", path: "/api/auth/signup",
			body: creds(uniqueEmail("x"), testPassword, false)},
		{method: "POST", path: "/api/auth/refresh",
			body: map[string]any{"refresh_token": g.Refresh}},
		{method: "POST", path: "/api/auth/logout",
			body: map[string]any{"refresh_token": g.Refresh}},
		{method: "GET", path: "/api/auth/me", token: g.Access},
		{method: "GET", path: "/api/auth/sessions", token: g.Access},
		{method: "DELETE", path: "/api/auth/sessions/X", token: g.Access},
		{method: "POST", path: "/api/auth/password", token: g.Access,
			body: map[string]any{"current_password": testPassword, "new_password": "whatever1"}},
		// Forward auth reads the stored role, cached for a moment only.
		{method: "GET", path: "/api/auth/verify", token: g.Access},
	}
	for _, req := range reqs {
		t.Run(req.method+" "+req.path, func(t *testing.T) {
			r := ts.do(t, req)
			r.wantError(t, "unavailable")
		})
	}
	// Access tokens themselves are checked without the store.
	r = ts.do(t, request{method: "GET", path: "/api/auth/me", token: "bad"})
	r.wantError(t, "token_invalid")
}

func TestForwardAuth(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("forward"))

	r := ts.do(t, request{method: "GET", path: "/api/auth/verify", token: g.Access})
	r.wantStatus(t, http.StatusOK)
	want := map[string]string{
		"X-Sallyport-User":    g.UserID,
		"X-Sallyport-Role":    "user",
		"X-Sallyport-Session": claimOf(t, g.Access, "sid").(string),
		"X-Sallyport-Email":   g.Email,
	}
	for h, v := range want {
		if got := r.Header.Get(h); got != v {
			t.Errorf("got %s %q, want %q", h, got, v)
		}
	}
	r = ts.do(t, request{method: "GET", path: "/api/auth/verify"})
	r.wantError(t, "token_missing")
	if r.Header.Get("X-Sallyport-User") != "" {
		t.Error("a refused request carries an identity header")
	}

	roles := []struct {
		query string
		ok    bool
	}{
		{"?role=user", true},
		{"?role=admin,user", true},
		{"?role=admin,%20user", true},
		{"?role=admin", false},
		{"?role=use", false},
		{"?role=users", false},
		{"?role=", true},
	}
	t.Run("the stored role counts, not the token's", func(t *testing.T) {
		ctx := context.Background()
		a := ts.signup(t, uniqueEmail("demoted"))
		if _, err := ts.Svc.SetRole(ctx, a.Email, "admin"); err != nil {
			t.Fatal(err)
		}
		r := ts.do(t, request{method: "GET", path: "/api/auth/verify?role=admin", token: a.Access})
		r.wantStatus(t, http.StatusOK)
		if got := r.Header.Get("X-Sallyport-Role"); got != "admin" {
			t.Errorf("got X-Sallyport-Role %q, want admin", got)
		}
		if _, err := ts.Svc.SetRole(ctx, a.Email, "user"); err != nil {
			t.Fatal(err)
		}
		r = ts.do(t, request{method: "GET", path: "/api/auth/verify?role=admin", token: a.Access})
		r.wantError(t, "forbidden")
	})
	for _, rc := range roles {
		t.Run(rc.query, func(t *testing.T) {
			r := ts.do(t, request{method: "GET", path: "/api/auth/verify" + rc.query,
				token: g.Access})
			if rc.ok {
				r.wantStatus(t, http.StatusOK)
				return
			}
			r.wantError(t, "forbidden")
			if r.Header.Get("X-Sallyport-User") != "" {
				t.Error("a forbidden request carries an identity header")
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("metrics"))
	ts.me(t, "bad")
	ts.do(t, request{method: "POST", path: "/api/auth/logout", token: g.Access})

	r := ts.do(t, request{method: "GET", path: "/metrics"})
	r.wantStatus(t, http.StatusOK)
	body := string(r.Body)
	for _, want := range []string{
		`sallyport_http_requests_total{status="201"} 1`,
		`sallyport_http_requests_total{status="401"} 1`,
		`sallyport_auth_events_total{type="signup"} 1`,
		`sallyport_auth_events_total{type="logout"} 1`,
		`sallyport_revoked_sessions 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// TestLogsHoldNoSecrets runs every flow and then searches the log for the
// passwords and tokens that went by.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	const newPassword = "another secret phrase"
	email := uniqueEmail("logs")
	g := ts.signup(t, email)
	secrets := []string{testPassword, newPassword, g.Access, g.Refresh}
	login := ts.login(t, email)
	secrets = append(secrets, login.Access, login.Refresh)
	n := grantOf(t, ts.refresh(t, login.Refresh))
	secrets = append(secrets, n.Access, n.Refresh)
	ts.do(t, request{method: "POST", path: "/api/auth/login",
		body: creds(email, "wrong pw 1", false)})
	secrets = append(secrets, "wrong pw 1")
	ts.do(t, request{method: "POST", path: "/api/auth/password", token: n.Access,
		body: map[string]any{"current_password": testPassword, "new_password": newPassword}})
	ts.Clock.Advance(time.Minute)
	ts.refresh(t, login.Refresh) // reuse
	fresh := ts.do(t, request{method: "POST", path: "/api/auth/login",
		body: creds(email, newPassword, true)})
	out := grantOf(t, fresh)
	secrets = append(secrets, out.Access, out.Refresh)
	ts.do(t, request{method: "POST", path: "/api/auth/logout", token: out.Access}).
		wantStatus(t, http.StatusNoContent)

	logs := ts.Logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains the secret %.12s...", s)
		}
	}
	for _, ev := range []string{"signup", "login", "login_failed", "refresh",
		"password_changed", "reuse_detected", "logout"} {
		if !strings.Contains(logs, "event="+ev+" ") {
			t.Errorf("no %s event in the log", ev)
		}
	}
	if !strings.Contains(logs, `route="POST /api/auth/login"`) &&
		!strings.Contains(logs, "route=/api/auth/login") {
		t.Errorf("request lines lack the route:\n%s", logs)
	}
}

// TestHasherBusy fills the one hashing slot and checks that the logins it
// turns away get 503 busy with Retry-After, not a 500 and not a hang.
func TestHasherBusy(t *testing.T) {
	t.Parallel()
	params := password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	// One slot, and no waiting for it.
	h := password.NewHasher(params, 1<<20, 0)
	ts := newServer(t, withHasher(h))
	email := uniqueEmail("busy")
	ts.signup(t, email)

	// Give the user a stored hash that takes a while to check.
	slow := params
	slow.Time = 48
	hash, err := password.NewHasher(slow, 1<<20, time.Minute).Hash(context.Background(),
		testPassword)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := ts.Store.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	upd := store.UserUpdate{PasswordHash: &hash, UpdatedAt: u.UpdatedAt}
	if err := ts.Store.UpdateUser(ctx, u.ID, upd); err != nil {
		t.Fatal(err)
	}

	const n = 8
	responses := make([]response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			responses[i], errs[i] = ts.send(request{method: "POST", path: "/api/auth/login",
				body: creds(email, testPassword, false)})
		})
	}
	wg.Wait()
	busy := 0
	for i, r := range responses {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		checkSpec(t, "POST", "/api/auth/login", r)
		switch r.Status {
		case http.StatusOK:
		case http.StatusServiceUnavailable:
			r.wantError(t, "busy")
			if r.Header.Get("Retry-After") == "" {
				t.Error("503 busy without Retry-After")
			}
			busy++
		default:
			t.Errorf("got %d %s, want 200 or 503 busy", r.Status, r.Body)
		}
	}
	if busy == 0 {
		t.Errorf("%d concurrent logins on one slot: none was turned away", n)
	}
}
