package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestMiddleware(t *testing.T) {
	clk := newClock()
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	v := mustNew(t, is, withClock(clk.Now),
		WithRevocationFeed(is.credential, time.Second), WithLeeway(0))
	now := clk.Now()
	valid := sign(t, k, is.claimsFor(now), nil)
	expiredClaims := is.claimsFor(now)
	expiredClaims["exp"] = now.Add(-time.Minute).Unix()
	expired := sign(t, k, expiredClaims, nil)
	revokedClaims := is.claimsFor(now)
	revokedClaims["sid"] = "s-revoked"
	revoked := sign(t, k, revokedClaims, nil)
	is.revoke("s-revoked", now.Add(time.Hour))
	if err := v.feed.poll(context.Background(), v.cfg.client, now); err != nil {
		t.Fatal(err)
	}

	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := ClaimsFrom(r.Context())
		if !ok {
			t.Error("ClaimsFrom in the handler: no claims")
			return
		}
		fmt.Fprintf(w, "hello %s", c.Subject)
	})
	h := v.Middleware(inner)

	const (
		missing = `Bearer realm="sallyport"`
		prefix  = `Bearer realm="sallyport", error="invalid_token", error_description=`
	)
	tests := []struct {
		name       string
		header     string
		status     int
		challenge  string
		body       string
		retryAfter string
	}{
		{"bearer", "Bearer " + valid, 200, "", "hello user-1", ""},
		{"lower-case bearer", "bearer " + valid, 200, "", "hello user-1", ""},
		{"bare token", valid, 200, "", "hello user-1", ""},
		{"spaces", "  Bearer   " + valid + " ", 200, "", "hello user-1", ""},
		{"no header", "", 401, missing,
			`{"error":"token_missing","message":"an access token is required"}` + "\n", ""},
		// As on the server: the scheme with nothing after it is no token.
		{"bearer alone", "Bearer ", 401, missing,
			`{"error":"token_missing","message":"an access token is required"}` + "\n", ""},
		{"expired", "Bearer " + expired, 401, prefix + `"access token expired"`,
			`{"error":"token_expired","message":"access token expired"}` + "\n", ""},
		{"invalid", "Bearer x.y.z", 401, prefix + `"access token is invalid"`,
			`{"error":"token_invalid","message":"access token is invalid"}` + "\n", ""},
		{"revoked", "Bearer " + revoked, 401, prefix + `"the session has been revoked"`,
			`{"error":"session_revoked","message":"the session has been revoked"}` + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/private", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			h.ServeHTTP(rec, r)
			if rec.Code != tt.status {
				t.Errorf("status: got %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate: got %q, want %q", got, tt.challenge)
			}
			if got := rec.Body.String(); got != tt.body {
				t.Errorf("body: got %q, want %q", got, tt.body)
			}
			if tt.status != 200 {
				if got := rec.Header().Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type: got %q, want application/json", got)
				}
			}
		})
	}

	// With the feed silent past the grace period, valid tokens get 503.
	is.setFeedDown(true)
	clk.Add(DefaultFeedGrace + time.Second)
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/private", nil)
	r.Header.Set("Authorization", "Bearer "+valid)
	h.ServeHTTP(rec, r)
	wantBody := `{"error":"unavailable","message":"the service is temporarily unavailable"}` + "\n"
	if rec.Code != 503 || rec.Body.String() != wantBody || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("feed down: got %d %q Retry-After %q, want 503 %q Retry-After 1",
			rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"), wantBody)
	}
}

func TestRequireRole(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	h := RequireRole("admin", "owner")(ok)
	tests := []struct {
		name   string
		claims *Claims
		status int
		code   string
	}{
		{"admin", &Claims{Role: "admin"}, 204, ""},
		{"owner", &Claims{Role: "owner"}, 204, ""},
		{"user", &Claims{Role: "user"}, 403, `{"error":"forbidden","message":"not allowed"}`},
		{"no role", &Claims{}, 403, `{"error":"forbidden","message":"not allowed"}`},
		{"no claims", nil, 401,
			`{"error":"token_missing","message":"an access token is required"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/admin", nil)
			if tt.claims != nil {
				r = r.WithContext(NewContext(r.Context(), tt.claims))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.status {
				t.Errorf("status: got %d, want %d", rec.Code, tt.status)
			}
			if tt.code != "" && rec.Body.String() != tt.code+"\n" {
				t.Errorf("body: got %q, want %q", rec.Body.String(), tt.code+"\n")
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrTokenMissing, "token_missing"},
		{fmt.Errorf("%w at noon", ErrTokenExpired), "token_expired"},
		{invalidf("bad"), "token_invalid"},
		{ErrSessionRevoked, "session_revoked"},
		{ErrForbidden, "forbidden"},
		{fmt.Errorf("%w: feed", ErrUnavailable), "unavailable"},
		{context.DeadlineExceeded, "unavailable"},
		{errors.New("other"), "token_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v): got %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
