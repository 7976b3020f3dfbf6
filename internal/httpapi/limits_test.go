package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/httpapi"
	"github.com/sallyport/sallyport/internal/ratelimit"
)

// wantTooMany checks a 429 and its Retry-After, in whole seconds within
// [lo, hi].
func wantTooMany(t *testing.T, r response, lo, hi int) {
	t.Helper()
	r.wantError(t, "too_many_attempts")
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || n < lo || n > hi {
		t.Errorf("got Retry-After %q, want %d to %d seconds", r.Header.Get("Retry-After"), lo, hi)
	}
}

func TestLoginLimits(t *testing.T) {
	t.Parallel()
	policy := httpapi.LimitPolicy{
		Account: ratelimit.Backoff{Free: 3, Base: time.Minute, Max: time.Hour},
		// High enough that only the account limit matters here.
		Address: ratelimit.Backoff{Free: 100, Base: time.Minute, Max: time.Hour},
	}
	ts := newServer(t, withLimits(policy))
	login := func(email, pw string) response {
		return ts.do(t, request{method: "POST", path: "/api/auth/login",
			body: creds(email, pw, false)})
	}

	t.Run("account", func(t *testing.T) {
		victim := uniqueEmail("victim")
		ts.signup(t, victim)
		// Free failures, then the one that starts the block still runs.
		for i := range policy.Account.Free + 1 {
			if r := login(victim, "guess "+strconv.Itoa(i)); r.Status != http.StatusUnauthorized {
				t.Fatalf("guess %d: got %d %s, want 401", i, r.Status, r.Body)
			}
		}
		before := ts.hasher.Computed()
		// Blocked: even the right password, in another case, is refused
		// before any hashing.
		wantTooMany(t, login(strings.ToUpper(victim), testPassword), 1, 60)
		wantTooMany(t, login(victim, "another guess"), 1, 60)
		if n := ts.hasher.Computed() - before; n != 0 {
			t.Errorf("blocked logins computed %d hashes, want 0", n)
		}
		// Other accounts from the same address are not blocked.
		other := uniqueEmail("other")
		ts.signup(t, other)
		login(other, testPassword).wantStatus(t, http.StatusOK)
	})

	t.Run("success resets the account", func(t *testing.T) {
		email := uniqueEmail("forgetful")
		ts.signup(t, email)
		for range 2 {
			for range policy.Account.Free {
				login(email, "wrong password").wantError(t, "invalid_credentials")
			}
			login(email, testPassword).wantStatus(t, http.StatusOK)
		}
	})
}

func TestLoginAddressLimit(t *testing.T) {
	t.Parallel()
	policy := httpapi.LimitPolicy{
		Address: ratelimit.Backoff{Free: 4, Base: 30 * time.Second, Max: time.Hour},
	}
	ts := newServer(t, withLimits(policy))
	real := uniqueEmail("sprayed")
	ts.signup(t, real)
	// One password sprayed over many accounts, from one address.
	for i := range policy.Address.Free + 1 {
		r := ts.do(t, request{method: "POST", path: "/api/auth/login",
			body: creds(uniqueEmail("spray"+strconv.Itoa(i)), "Summer2026!", false)})
		r.wantError(t, "invalid_credentials")
	}
	r := ts.do(t, request{method: "POST", path: "/api/auth/login",
		body: creds(real, testPassword, false)})
	wantTooMany(t, r, 1, 30)
}

func TestVolumeLimits(t *testing.T) {
	t.Parallel()
	policy := httpapi.LimitPolicy{
		Signup:  ratelimit.Rate{Limit: 3, Period: time.Hour},
		Refresh: ratelimit.Rate{Limit: 4, Period: time.Hour},
	}
	ts := newServer(t, withLimits(policy))

	var g grant
	for i := range policy.Signup.Limit {
		g = ts.signup(t, uniqueEmail("volume"+strconv.Itoa(i)))
	}
	r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
		body: creds(uniqueEmail("one-too-many"), testPassword, false)})
	wantTooMany(t, r, 1, 1200)

	for range policy.Refresh.Limit {
		g = grantOf(t, ts.refresh(t, g.Refresh))
	}
	wantTooMany(t, ts.refresh(t, g.Refresh), 1, 900)
	// The refused refresh did not spend the token.
	if rotated(t, ts, g.Refresh) {
		t.Error("a refused refresh rotated the token")
	}
	ts.me(t, g.Access).wantStatus(t, http.StatusOK)
}

// rotated reports whether the refresh token has been used, asking the
// store: it keeps the SHA-256 of each token in hex.
func rotated(t *testing.T, ts *testServer, refresh string) bool {
	t.Helper()
	sum := sha256.Sum256([]byte(refresh))
	tok, _, err := ts.Store.RefreshToken(context.Background(), hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatalf("look up refresh token: %v", err)
	}
	return !tok.RotatedAt.IsZero()
}
