package multi

import (
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store/testdb"
)

// propagation is how soon a change made through one instance must show on
// the other: both poll the store every second.
const propagation = 2 * time.Second

// TestTwoInstances runs two `sallyport serve` processes, A and B, on one
// PostgreSQL database with the same master key, as behind a load
// balancer, and checks that they behave as one server.
func TestTwoInstances(t *testing.T) {
	dbURL := testdb.URL(t, "postgres")
	key := newMasterKey()
	a := startServe(t, "A", dbURL, key)
	b := startServe(t, "B", dbURL, key)

	acct := newAccount()
	t.Run("signup on A, login on B", func(t *testing.T) {
		r := call(t, "POST", a.url+"/api/auth/signup", acct, "")
		if r.status != http.StatusCreated {
			t.Fatalf("signup on A: got %v, want 201", r)
		}
		signedUp := r.body["user"].(map[string]any)["id"]
		r = login(t, b, acct)
		if got := r.body["user"].(map[string]any)["id"]; got != signedUp {
			t.Errorf("user id on B: got %v, want %v", got, signedUp)
		}
	})

	t.Run("logout on A, B refuses the access token", func(t *testing.T) {
		access := login(t, b, acct).str("access_token")
		if r := call(t, "GET", b.url+"/api/auth/me", nil, access); r.status != http.StatusOK {
			t.Fatalf("me on B before the logout: got %v, want 200", r)
		}
		r := call(t, "POST", a.url+"/api/auth/logout", map[string]any{}, access)
		if r.status != http.StatusNoContent {
			t.Fatalf("logout on A: got %v, want 204", r)
		}
		if r := call(t, "GET", a.url+"/api/auth/me", nil, access); r.status != 401 ||
			r.str("error") != "session_revoked" {
			t.Errorf("me on A right after the logout: got %v, want 401 session_revoked", r)
		}
		var last response
		took, ok := waitFor(propagation, func() bool {
			last = call(t, "GET", b.url+"/api/auth/me", nil, access)
			return last.status == 401 && last.str("error") == "session_revoked"
		})
		if !ok {
			t.Fatalf("me on B %v after the logout on A: got %v, want 401 session_revoked",
				took.Round(time.Millisecond), last)
		}
		t.Logf("B refused the token %v after the logout on A", took.Round(time.Millisecond))
	})

	t.Run("key rotated by the CLI verifies on B", func(t *testing.T) {
		old := kid(t, login(t, a, acct).str("access_token"))
		oldToken := login(t, b, acct).str("access_token")
		out := runCLI(t, key, "keys", "rotate", "--db", dbURL, "--data-dir", t.TempDir())
		m := regexp.MustCompile(`new signing key (\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("keys rotate: got output %q, want the new key id", out)
		}
		fresh := m[1]
		if fresh == old {
			t.Fatalf("keys rotate: got the old key %s again", old)
		}

		// Both instances sign with the new key, and each verifies the
		// other's tokens, within the bound.
		var fromA, fromB string
		took, ok := waitFor(propagation, func() bool {
			if fromA == "" {
				if tok := login(t, a, acct).str("access_token"); kid(t, tok) == fresh {
					fromA = tok
				}
			}
			if fromB == "" {
				if tok := login(t, b, acct).str("access_token"); kid(t, tok) == fresh {
					fromB = tok
				}
			}
			return fromA != "" && fromB != "" &&
				call(t, "GET", b.url+"/api/auth/me", nil, fromA).status == 200 &&
				call(t, "GET", a.url+"/api/auth/me", nil, fromB).status == 200
		})
		if !ok {
			t.Fatalf("%v after the rotation: A signs with new key: %t, B: %t; want both, "+
				"each verified by the other", took.Round(time.Millisecond), fromA != "",
				fromB != "")
		}
		t.Logf("both instances used and accepted key %s %v after the rotation", fresh,
			took.Round(time.Millisecond))

		if r := call(t, "GET", a.url+"/api/auth/me", nil, oldToken); r.status != 200 {
			t.Errorf("me on A with a token of the old key: got %v, want 200", r)
		}
	})

	t.Run("refresh race split across A and B", func(t *testing.T) {
		refreshRace(t, []*instance{a, b}, login(t, a, acct).str("refresh_token"))
	})
}

// refreshRace sends 20 refreshes of one token at once, spread over the
// instances. The grace window makes them all succeed with the same child
// token, which in turn refreshes; the session stays alive.
func refreshRace(t *testing.T, instances []*instance, parent string) {
	const n = 20
	results := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		in := instances[i%len(instances)]
		wg.Go(func() {
			body := map[string]any{"refresh_token": parent, "return_refresh_token": true}
			<-start
			results[i] = call(t, "POST", in.url+"/api/auth/refresh", body, "")
		})
	}
	close(start)
	wg.Wait()

	children := map[string]bool{}
	for i, r := range results {
		if r.status != http.StatusOK || r.str("refresh_token") == "" {
			t.Errorf("refresh %d on %s: got %v, want 200 with a refresh token", i,
				instances[i%len(instances)].name, r)
			continue
		}
		children[r.str("refresh_token")] = true
	}
	if len(children) != 1 {
		t.Errorf("refresh tokens handed out: got %d different ones, want 1", len(children))
	}
	if children[parent] {
		t.Errorf("a refresh handed out the parent token again")
	}

	// Every token handed out refreshes again, on each instance in turn.
	i := 0
	for child := range children {
		in := instances[i%len(instances)]
		i++
		body := map[string]any{"refresh_token": child, "return_refresh_token": true}
		r := call(t, "POST", in.url+"/api/auth/refresh", body, "")
		if r.status != http.StatusOK {
			t.Errorf("refresh of a handed-out token on %s: got %v, want 200", in.name, r)
			continue
		}
		access := r.str("access_token")
		for _, other := range instances {
			if r := call(t, "GET", other.url+"/api/auth/me", nil, access); r.status != 200 {
				t.Errorf("me on %s after the race: got %v, want 200", other.name, r)
			}
		}
	}
}
