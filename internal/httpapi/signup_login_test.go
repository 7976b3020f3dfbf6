package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestSignup(t *testing.T) {
	t.Parallel()
	ts := newServer(t)

	t.Run("token response", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
			body: creds("  Ada.Lovelace@Example.COM ", testPassword, false)})
		r.wantStatus(t, http.StatusCreated)
		var tr tokenResponse
		r.decode(t, &tr)
		checkTokenResponse(t, ts, tr)
		if tr.User.Email != "ada.lovelace@example.com" {
			t.Errorf("got email %q, want it trimmed and lower-cased", tr.User.Email)
		}
		if tr.User.Role != "user" {
			t.Errorf("got role %q, want user", tr.User.Role)
		}
		if tr.RefreshToken != nil {
			t.Errorf("got refresh_token in the body without return_refresh_token")
		}
		if c := r.cookie(); c == nil || c.Value == "" {
			t.Errorf("got no refresh cookie, want one")
		}
	})

	t.Run("refresh token in body", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
			body: creds(uniqueEmail("body"), testPassword, true)})
		r.wantStatus(t, http.StatusCreated)
		var tr tokenResponse
		r.decode(t, &tr)
		if tr.RefreshToken == nil || len(*tr.RefreshToken) < 43 {
			t.Fatalf("got refresh_token %v, want one of at least 43 characters", tr.RefreshToken)
		}
		if r.cookie() != nil {
			t.Errorf("got a refresh cookie too, want the token only in the body")
		}
	})

	taken := uniqueEmail("taken")
	ts.signup(t, taken)
	tests := []struct {
		name     string
		email    string
		password string
		code     string
	}{
		{"not an address", "not-an-email", testPassword, "invalid_email"},
		{"one label domain", "a@b", testPassword, "invalid_email"},
		{"blank", "   ", testPassword, "invalid_email"},
		{"display name", "Ada <ada@example.com>", testPassword, "invalid_email"},
		{"7 characters", uniqueEmail("short"), "1234567", "weak_password"},
		{"7 two-byte characters", uniqueEmail("short"), "ééééééé", "weak_password"},
		{"257 bytes", uniqueEmail("long"), strings.Repeat("a", 257), "weak_password"},
		{"taken", taken, testPassword, "email_taken"},
		{"taken, other case", strings.ToUpper(taken), testPassword, "email_taken"},
		{"taken, with spaces", " " + taken + "\t", testPassword, "email_taken"},
		{"empty email", "", testPassword, "invalid_request"},
		{"empty password", uniqueEmail("empty"), "", "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
				body: creds(tt.email, tt.password, false)})
			r.wantError(t, tt.code)
			if r.cookie() != nil {
				t.Error("got a refresh cookie on an error")
			}
		})
	}

	boundaries := []struct {
		name, password string
	}{
		{"8 characters", "12345678"},
		{"8 two-byte characters", "éééééééé"},
		{"256 bytes", strings.Repeat("b", 256)},
	}
	for _, b := range boundaries {
		t.Run(b.name, func(t *testing.T) {
			r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
				body: creds(uniqueEmail("edge"), b.password, false)})
			r.wantStatus(t, http.StatusCreated)
		})
	}

	t.Run("kelvin sign is another address", func(t *testing.T) {
		// U+212A folds to "k" under Unicode rules; it must not take over
		// the account of kate@.
		ts.signup(t, "kate@example.com")
		r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
			body: creds("\u212Aate@example.com", testPassword, false)})
		r.wantStatus(t, http.StatusCreated)
		var tr tokenResponse
		r.decode(t, &tr)
		if tr.User.Email == "kate@example.com" {
			t.Errorf("the Kelvin sign address became %q", tr.User.Email)
		}
	})
}

// checkTokenResponse checks the fields of a token response against each
// other and against the access token's claims.
func checkTokenResponse(t *testing.T, ts *testServer, tr tokenResponse) {
	t.Helper()
	if tr.AccessToken == "" || tr.Token != tr.AccessToken {
		t.Errorf("got token %q, want it equal to access_token %q", tr.Token, tr.AccessToken)
	}
	if tr.TokenType != "Bearer" {
		t.Errorf("got token_type %q, want Bearer", tr.TokenType)
	}
	if tr.ExpiresIn != 900 {
		t.Errorf("got expires_in %d, want 900", tr.ExpiresIn)
	}
	now := ts.Clock.Now().Unix()
	if tr.ExpiresAt != now+900 {
		t.Errorf("got expires_at %d, want now+900 = %d", tr.ExpiresAt, now+900)
	}
	if _, err := time.Parse(time.RFC3339Nano, tr.User.CreatedAt); err != nil {
		t.Errorf("created_at %q: %v", tr.User.CreatedAt, err)
	}
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(tr.AccessToken, claims)
	if err != nil {
		t.Fatalf("parse access token: %v", err)
	}
	if alg := tok.Header["alg"]; alg != "ES256" {
		t.Errorf("got alg %v, want ES256", alg)
	}
	if kid := tok.Header["kid"]; kid != ts.Svc.Keyring().Signer().ID {
		t.Errorf("got kid %v, want the signer's %s", kid, ts.Svc.Keyring().Signer().ID)
	}
	want := map[string]any{
		"iss": ts.Issuer, "aud": "sallyport", "sub": tr.User.ID,
		"role": tr.User.Role, "email": tr.User.Email,
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("got claim %s = %v, want %v", k, claims[k], v)
		}
	}
	for _, k := range []string{"exp", "iat", "nbf", "jti", "sid"} {
		if claims[k] == nil {
			t.Errorf("claim %s is missing", k)
		}
	}
	if exp, _ := claims["exp"].(float64); int64(exp) != tr.ExpiresAt {
		t.Errorf("got exp %v, want expires_at %d", claims["exp"], tr.ExpiresAt)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	email := uniqueEmail("login")
	ts.signup(t, email)

	t.Run("ok", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/login",
			body: creds(strings.ToUpper(email), testPassword, false)})
		r.wantStatus(t, http.StatusOK)
		var tr tokenResponse
		r.decode(t, &tr)
		checkTokenResponse(t, ts, tr)
		if tr.RefreshToken != nil {
			t.Error("got refresh_token in the body without return_refresh_token")
		}
		if r.cookie() == nil {
			t.Error("got no refresh cookie")
		}
		me := ts.me(t, tr.AccessToken)
		me.wantStatus(t, http.StatusOK)
	})

	t.Run("same answer for unknown email and wrong password", func(t *testing.T) {
		cases := []map[string]any{
			creds(email, "wrong password", false),
			creds(uniqueEmail("nobody"), testPassword, false),
			creds("not an address", testPassword, false),
			creds(email, strings.Repeat("x", 2000), false),
		}
		var first errorBody
		for i, c := range cases {
			r := ts.do(t, request{method: "POST", path: "/api/auth/login", body: c})
			r.wantError(t, "invalid_credentials")
			if r.Header.Get("WWW-Authenticate") != "" {
				t.Errorf("case %d: got WWW-Authenticate on a login failure", i)
			}
			if i == 0 {
				first = r.apiError()
			} else if e := r.apiError(); e != first {
				t.Errorf("case %d: got %+v, want the same as a wrong password, %+v", i, e, first)
			}
		}
	})

	t.Run("account disabled", func(t *testing.T) {
		addr := uniqueEmail("disabled")
		g := ts.signup(t, addr)
		if _, err := ts.Svc.SetDisabled(context.Background(), addr, true); err != nil {
			t.Fatal(err)
		}
		r := ts.do(t, request{method: "POST", path: "/api/auth/login",
			body: creds(addr, testPassword, false)})
		r.wantError(t, "account_disabled")
		// Disabling ends the sessions the user had.
		ts.me(t, g.Access).wantError(t, "session_revoked")
		ts.refresh(t, g.Refresh).wantError(t, "session_revoked")
		// A wrong password does not reveal that the account is disabled.
		r = ts.do(t, request{method: "POST", path: "/api/auth/login",
			body: creds(addr, "wrong password", false)})
		r.wantError(t, "invalid_credentials")

		if _, err := ts.Svc.SetDisabled(context.Background(), addr, false); err != nil {
			t.Fatal(err)
		}
		ts.login(t, addr)
	})
}
