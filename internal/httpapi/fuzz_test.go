package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/httpapi"
	"github.com/sallyport/sallyport/internal/store"
)

// The fuzz targets send arbitrary bodies (and Authorization headers)
// through the real handler on a real store. Whatever comes in, the answer
// must not be a 5xx, must be documented in the OpenAPI document, and an
// error must carry a catalogue code. Seeds live in testdata/fuzz; in a
// body, $ACCESS and $REFRESH stand for a live access and refresh token of
// a fresh session, so the fuzzer also reaches the paths past
// authentication.

// fuzzTarget is a server with one user, for a fuzz target.
type fuzzTarget struct {
	ts    *testServer
	email string
}

func newFuzzTarget(f *testing.F) *fuzzTarget {
	ts := newServer(f, withoutSpecCheck())
	email := "fuzz@example.com"
	ts.signup(f, email)
	return &fuzzTarget{ts: ts, email: email}
}

// session opens a fresh session without going through HTTP. An earlier
// input may have changed the password (FuzzPassword finds the right
// current one in its seeds), so it puts the test password back first
// when it must.
func (ft *fuzzTarget) session(t *testing.T) auth.Grant {
	ctx := context.Background()
	g, err := ft.ts.Svc.Login(ctx, ft.email, testPassword, auth.Client{})
	if errors.Is(err, auth.ErrInvalidCredentials) {
		ft.resetPassword(t)
		g, err = ft.ts.Svc.Login(ctx, ft.email, testPassword, auth.Client{})
	}
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return g
}

// resetPassword stores the test password for the fuzz user again.
func (ft *fuzzTarget) resetPassword(t *testing.T) {
	ctx := context.Background()
	u, err := ft.ts.Store.UserByEmail(ctx, ft.email)
	if err != nil {
		t.Fatalf("look up fuzz user: %v", err)
	}
	hash, err := ft.ts.hasher.Hash(ctx, testPassword)
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	upd := store.UserUpdate{PasswordHash: &hash, UpdatedAt: time.Now()}
	if err := ft.ts.Store.UpdateUser(ctx, u.ID, upd); err != nil {
		t.Fatalf("reset password: %v", err)
	}
}

// serve runs one request through the handler and checks the answer.
func (ft *fuzzTarget) serve(t *testing.T, method, path string, body []byte, authz string) {
	if bytes.Contains(body, []byte("$ACCESS")) || bytes.Contains(body, []byte("$REFRESH")) ||
		strings.Contains(authz, "$ACCESS") {
		g := ft.session(t)
		body = bytes.ReplaceAll(body, []byte("$ACCESS"), []byte(g.AccessToken))
		body = bytes.ReplaceAll(body, []byte("$REFRESH"), []byte(g.RefreshToken))
		authz = strings.ReplaceAll(authz, "$ACCESS", g.AccessToken)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	rec := httptest.NewRecorder()
	ft.ts.Handler.ServeHTTP(rec, req)

	r := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	if r.Status >= 500 {
		t.Fatalf("%s %s with body %q: got %d %s", method, path, body, r.Status, r.Body)
	}
	if r.Status >= 400 {
		if _, ok := catalogue[r.apiError().Error]; !ok {
			t.Fatalf("body %q: got %d %s, want a catalogue error", body, r.Status, r.Body)
		}
	}
	checkSpec(t, method, path, r)
}

// fuzzBody is a fuzz target for an endpoint that reads a JSON body.
func fuzzBody(f *testing.F, path string, withToken bool, seeds ...string) {
	ft := newFuzzTarget(f)
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		authz := ""
		if withToken {
			authz = "Bearer $ACCESS"
		}
		ft.serve(t, "POST", path, body, authz)
	})
}

func FuzzSignup(f *testing.F) {
	fuzzBody(f, "/api/auth/signup", false,
		`{"email":"new@example.com","password":"long enough"}`,
		`{"email":"fuzz@example.com","password":"long enough"}`)
}

func FuzzLogin(f *testing.F) {
	fuzzBody(f, "/api/auth/login", false,
		`{"email":"fuzz@example.com","password":"`+testPassword+`"}`,
		`{"email":"FUZZ@example.com","password":"x","return_refresh_token":true}`)
}

func FuzzRefresh(f *testing.F) {
	fuzzBody(f, "/api/auth/refresh", false,
		`{"refresh_token":"$REFRESH"}`,
		`{"refresh_token":"$REFRESH","return_refresh_token":true}`)
}

func FuzzLogout(f *testing.F) {
	fuzzBody(f, "/api/auth/logout", false,
		`{"refresh_token":"$REFRESH","scope":"others"}`, `{"scope":"global"}`)
}

// FuzzLogoutWithToken is FuzzLogout for a caller with an access token.
func FuzzLogoutWithToken(f *testing.F) {
	fuzzBody(f, "/api/auth/logout", true, `{"scope":"local"}`, `{}`)
}

func FuzzPassword(f *testing.F) {
	fuzzBody(f, "/api/auth/password", true,
		`{"current_password":"wrong","new_password":"another one"}`,
		`{"current_password":"`+testPassword+`","new_password":"short"}`)
}

// FuzzAccessToken sends arbitrary Authorization headers to a protected
// route: the token parser and the revocation check at the HTTP level.
func FuzzAccessToken(f *testing.F) {
	ft := newFuzzTarget(f)
	for _, s := range []string{"Bearer $ACCESS", "$ACCESS", "Bearer $ACCESS.x", "bearer",
		"Bearer e30.e30.", "Basic Zm9vOmJhcg=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, authz string) {
		if strings.ContainsAny(authz, "\r\n") {
			return // not a header value a client can send
		}
		ft.serve(t, "GET", "/api/auth/me", nil, authz)
		if !strings.Contains(authz, "$ACCESS") {
			return
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/api/auth/sessions", nil)
		req.Header.Set("Authorization", strings.ReplaceAll(authz, "$ACCESS",
			ft.session(t).AccessToken))
		ft.ts.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusUnauthorized {
			t.Fatalf("got %d %s, want 200 or 401", rec.Code, rec.Body)
		}
	})
}

// FuzzCheckText checks the guard in front of json.Unmarshal: a body it
// lets through never decodes to a string with U+FFFD unless the body
// wrote U+FFFD itself.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{`{"a":"\ud83d\ude00"}`, `{"a":"\ud800"}`, `{"a":"\\ud800"}`,
		"{\"a\":\"\xff\"}", `{"\udc00":1}`, `{"a":"\ufffd"}`, `["\ud800\udbff"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if httpapi.CheckText(body) != nil {
			return
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		wrote := bytes.Contains(body, []byte("\uFFFD")) ||
			bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
		if !wrote && containsReplacement(v) {
			t.Fatalf("body %q passed the check but decodes to U+FFFD: %#v", body, v)
		}
	})
}

// containsReplacement reports whether any string in v, keys included,
// holds U+FFFD.
func containsReplacement(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, '\uFFFD')
	case []any:
		for _, e := range v {
			if containsReplacement(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.ContainsRune(k, '\uFFFD') || containsReplacement(e) {
				return true
			}
		}
	}
	return false
}
