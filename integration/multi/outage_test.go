package multi

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// recovery is how soon after the store is back the server must serve
// again, with nothing restarted.
const recovery = 5 * time.Second

// TestStoreOutage stops the PostgreSQL cluster under a running server:
// store-bound calls answer 503 unavailable in the JSON error shape,
// readiness fails, liveness holds, the process stays up, and service
// comes back by itself once the cluster is started again.
func TestStoreOutage(t *testing.T) {
	pg := newPGCluster(t)
	pg.start(t)
	key := newMasterKey()
	srv := startServe(t, "S", pg.URL(), key)

	acct := newAccount()
	if r := call(t, "POST", srv.url+"/api/auth/signup", acct, ""); r.status != 201 {
		t.Fatalf("signup: got %v, want 201", r)
	}
	grant := login(t, srv, acct)
	refresh, access := grant.str("refresh_token"), grant.str("access_token")
	loginBody := map[string]any{"email": acct.Email, "password": acct.Password}
	refreshBody := map[string]any{"refresh_token": refresh, "return_refresh_token": true}
	logoutBody := map[string]any{"refresh_token": refresh}

	pg.stop(t)
	stoppedAt := time.Now()

	tests := []struct {
		name         string
		method, path string
		body         any
		bearer       string
		status       int
		code         string // the JSON error code; "" for a success
	}{
		{"login", "POST", "/api/auth/login", loginBody, "", 503, "unavailable"},
		{"refresh", "POST", "/api/auth/refresh", refreshBody, "", 503, "unavailable"},
		{"signup", "POST", "/api/auth/signup", newAccount(), "", 503, "unavailable"},
		{"sessions", "GET", "/api/auth/sessions", nil, access, 503, "unavailable"},
		{"logout by refresh token", "POST", "/api/auth/logout", logoutBody, "", 503,
			"unavailable"},
		{"readyz", "GET", "/readyz", nil, "", 503, "unavailable"},
		{"healthz", "GET", "/healthz", nil, "", 200, ""},
	}
	// Twice: right after the stop, and after the background poll has
	// failed a few times.
	for _, round := range []string{"at once", "after 2 s"} {
		if round != "at once" {
			time.Sleep(2*time.Second - time.Since(stoppedAt))
		}
		for _, tt := range tests {
			t.Run(round+"/"+tt.name, func(t *testing.T) {
				r := call(t, tt.method, srv.url+tt.path, tt.body, tt.bearer)
				if r.status != tt.status {
					t.Errorf("got %v, want %d", r, tt.status)
				}
				if tt.code == "" {
					return
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type: got %q, want JSON", ct)
				}
				if r.str("error") != tt.code || r.str("message") == "" {
					t.Errorf("body: got %s, want error %q with a message", r.raw, tt.code)
				}
			})
		}
		if !srv.alive() {
			t.Fatalf("the server exited while the store was down: %v", srv.cmd.ProcessState)
		}
	}

	pg.start(t)
	var last response
	took, ok := waitFor(recovery, func() bool {
		last = call(t, "GET", srv.url+"/readyz", nil, "")
		if last.status != http.StatusOK {
			return false
		}
		last = call(t, "POST", srv.url+"/api/auth/login", loginBody, "")
		return last.status == http.StatusOK
	})
	if !ok {
		t.Fatalf("%v after the store came back: got %v, want readyz and login to answer 200",
			took.Round(time.Millisecond), last)
	}
	t.Logf("served again %v after the store came back", took.Round(time.Millisecond))

	// The refresh token refused during the outage was not spent.
	if r := call(t, "POST", srv.url+"/api/auth/refresh", refreshBody, ""); r.status != 200 {
		t.Errorf("refresh after the outage: got %v, want 200", r)
	}
	if !srv.alive() {
		t.Errorf("the server exited: %v", srv.cmd.ProcessState)
	}
}
