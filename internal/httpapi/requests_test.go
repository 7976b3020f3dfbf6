package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestBodies feeds every endpoint that reads a body the ways a body
// can be wrong, and checks each gets its error code and never a 5xx.
func TestRequestBodies(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("bodies"))

	endpoints := []struct {
		path  string
		authn bool // needs an access token
		// missing is a valid object that lacks a required field, or ""
		// when the endpoint has none.
		missing string
		// wrongType has a field of the wrong JSON type.
		wrongType string
	}{
		{"/api/auth/signup", false, `{"email":"x@example.com"}`, `{"email":1,"password":"p"}`},
		{"/api/auth/login", false, `{"password":"longenough"}`,
			`{"email":"a@b.co","password":"longenough","return_refresh_token":"yes"}`},
		{"/api/auth/refresh", false, "", `{"refresh_token":42}`},
		{"/api/auth/logout", false, "", `{"scope":["local"]}`},
		{"/api/auth/password", true, `{"current_password":"x"}`,
			`{"current_password":true,"new_password":"longenough"}`},
	}
	bodies := []struct {
		name string
		body string
		ct   string
		code string
	}{
		{"malformed JSON", `{"email":`, "", "invalid_request"},
		{"trailing garbage", `{} x`, "", "invalid_request"},
		{"two objects", `{}{}`, "", "invalid_request"},
		{"array", `[]`, "", "invalid_request"},
		{"string", `"hello"`, "", "invalid_request"},
		{"number", `12`, "", "invalid_request"},
		{"null", `null`, "", "invalid_request"},
		{"true", `true`, "", "invalid_request"},
		{"no content type", `{}`, "-", "unsupported_media_type"},
		{"text/plain", `{}`, "text/plain", "unsupported_media_type"},
		{"form", `email=a`, "application/x-www-form-urlencoded", "unsupported_media_type"},
		{"bad media type", `{}`, "application/json; ;", "unsupported_media_type"},
		{"over 1 MiB", `{"x":"` + strings.Repeat("a", 1<<20) + `"}`, "", "payload_too_large"},
		{"invalid UTF-8", "{\"x\":\"\xff\xfe\"}", "", "invalid_request"},
		{"lone high surrogate", `{"x":"\ud800"}`, "", "invalid_request"},
		{"lone low surrogate", `{"x":"a\udc00"}`, "", "invalid_request"},
		{"high surrogate, then no low", `{"x":"\ud83d\u0041"}`, "", "invalid_request"},
		{"surrogate as a key", `{"\udfff":1}`, "", "invalid_request"},
	}
	for _, ep := range endpoints {
		cases := bodies
		if ep.missing != "" {
			cases = append(cases, struct{ name, body, ct, code string }{
				"missing field", ep.missing, "", "invalid_request"})
		}
		cases = append(cases, struct{ name, body, ct, code string }{
			"wrong type", ep.wrongType, "", "invalid_request"})
		for _, c := range cases {
			t.Run(ep.path+"/"+c.name, func(t *testing.T) {
				req := request{method: "POST", path: ep.path, body: c.body, contentType: c.ct}
				if ep.authn {
					req.token = g.Access
				}
				r := ts.do(t, req)
				r.wantError(t, c.code)
			})
		}
	}

	t.Run("exactly 1 MiB is read", func(t *testing.T) {
		head, tail := `{"email":"`, `@example.com","password":"long enough"}`
		body := head + strings.Repeat("a", 1<<20-len(head)-len(tail)) + tail
		r := ts.do(t, request{method: "POST", path: "/api/auth/signup", body: body})
		r.wantError(t, "invalid_email")
	})
	t.Run("text that is not garbled is accepted", func(t *testing.T) {
		bodies := []string{
			`{"email":"` + uniqueEmail("pair") + `","password":"pass \ud83d\ude00 word"}`,
			`{"email":"` + uniqueEmail("slash") + `","password":"back\\ud800slash"}`,
			`{"email":"` + uniqueEmail("plain") + `","password":"plain \u00e9\u00e9 ` +
				"\xf0\x9f\x98\x80" + `"}`,
		}
		for _, b := range bodies {
			r := ts.do(t, request{method: "POST", path: "/api/auth/signup", body: b})
			if r.Status != http.StatusCreated {
				t.Errorf("body %s: got %d %s, want 201", b, r.Status, r.Body)
			}
		}
	})
	t.Run("charset parameter accepted", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/login",
			body:        creds(g.Email, testPassword, false),
			contentType: "application/json; charset=utf-8"})
		r.wantStatus(t, http.StatusOK)
	})
	t.Run("type error names the field", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
			body: `{"email":1,"password":"longenough"}`})
		r.wantError(t, "invalid_request")
		if msg := r.apiError().Message; !strings.Contains(msg, `"email"`) {
			t.Errorf("got message %q, want it to name the field \"email\"", msg)
		}
	})
	t.Run("missing field named", func(t *testing.T) {
		r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
			body: `{"email":"n@example.com"}`})
		r.wantError(t, "invalid_request")
		if msg := r.apiError().Message; !strings.Contains(msg, `"password"`) {
			t.Errorf("got message %q, want it to name the field \"password\"", msg)
		}
	})
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tests := []struct {
		method, path, allow string
	}{
		{"GET", "/api/auth/login", "POST"},
		{"PUT", "/api/auth/signup", "POST"},
		{"GET", "/api/auth/refresh", "POST"},
		{"DELETE", "/api/auth/logout", "POST"},
		{"POST", "/api/auth/me", "GET"},
		{"POST", "/api/auth/sessions", "GET"},
		{"GET", "/api/auth/sessions/abc", "DELETE"},
		{"PATCH", "/api/auth/password", "POST"},
		{"POST", "/.well-known/jwks.json", "GET"},
		{"DELETE", "/healthz", "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := ts.do(t, request{method: tt.method, path: tt.path, body: `{}`})
			r.wantError(t, "method_not_allowed")
			if got := r.Header.Get("Allow"); got != tt.allow {
				t.Errorf("got Allow %q, want %q", got, tt.allow)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	for _, path := range []string{"/api/nope", "/api/auth/nope", "/api/auth/sessions/",
		"/api/auth/me/extra", "/nothing-here", "/"} {
		t.Run(path, func(t *testing.T) {
			r := ts.do(t, request{method: "GET", path: path})
			r.wantError(t, "not_found")
		})
	}
}

func TestCommonHeaders(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	g := ts.signup(t, uniqueEmail("headers"))
	tests := []struct {
		name    string
		req     request
		noStore bool
	}{
		{"login", request{method: "POST", path: "/api/auth/login",
			body: creds(g.Email, testPassword, false)}, true},
		{"refresh", request{method: "POST", path: "/api/auth/refresh",
			body: map[string]any{"refresh_token": g.Refresh}}, true},
		{"me", request{method: "GET", path: "/api/auth/me", token: g.Access}, true},
		{"error", request{method: "GET", path: "/api/auth/me"}, true},
		{"jwks", request{method: "GET", path: "/.well-known/jwks.json"}, false},
		{"healthz", request{method: "GET", path: "/healthz"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, tt.req)
			if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("got X-Content-Type-Options %q, want nosniff", got)
			}
			if id := r.Header.Get("X-Request-Id"); id == "" {
				t.Error("no X-Request-Id")
			}
			cc := r.Header.Get("Cache-Control")
			if tt.noStore && cc != "no-store" {
				t.Errorf("got Cache-Control %q, want no-store", cc)
			}
			if !tt.noStore && strings.Contains(cc, "no-store") {
				t.Errorf("got Cache-Control %q, want a cacheable response", cc)
			}
		})
	}
	t.Run("request id", func(t *testing.T) {
		ids := []struct{ sent, want string }{
			{"abc-123_X", "abc-123_X"},
			{"has space", ""},
			{"<script>", ""},
			{strings.Repeat("a", 65), ""},
		}
		for _, id := range ids {
			req := request{method: "GET", path: "/healthz",
				header: map[string]string{"X-Request-Id": id.sent}}
			r := ts.do(t, req)
			got := r.Header.Get("X-Request-Id")
			if id.want != "" && got != id.want {
				t.Errorf("sent %q: got X-Request-Id %q, want it echoed", id.sent, got)
			}
			if id.want == "" && (got == id.sent || got == "") {
				t.Errorf("sent %q: got X-Request-Id %q, want a fresh id", id.sent, got)
			}
		}
	})
}
