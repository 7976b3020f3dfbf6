package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sallyport/sallyport/internal/httpapi"
)

const appOrigin = "https://app.example.com"

func TestCORS(t *testing.T) {
	t.Parallel()
	ts := newServer(t, withCORS(appOrigin))
	g := ts.signup(t, uniqueEmail("cors"))

	origins := []struct {
		origin  string
		allowed bool
	}{
		{appOrigin, true},
		{"https://evil.example.com", false},
		{"https://app.example.com.evil.example", false},
		{"http://app.example.com", false},
		{"https://app.example.com:8443", false},
		{"HTTPS://APP.EXAMPLE.COM", false},
		{"null", false},
	}
	for _, o := range origins {
		t.Run("GET me from "+o.origin, func(t *testing.T) {
			r := ts.do(t, request{method: "GET", path: "/api/auth/me", token: g.Access,
				header: map[string]string{"Origin": o.origin}})
			r.wantStatus(t, http.StatusOK)
			acao := r.Header.Get("Access-Control-Allow-Origin")
			acac := r.Header.Get("Access-Control-Allow-Credentials")
			if o.allowed && (acao != o.origin || acac != "true") {
				t.Errorf("got Allow-Origin %q Allow-Credentials %q, want %q and true",
					acao, acac, o.origin)
			}
			if !o.allowed && (acao != "" || acac != "") {
				t.Errorf("got Allow-Origin %q Allow-Credentials %q for a stranger, want none",
					acao, acac)
			}
			if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
				t.Error("no Vary: Origin")
			}
		})
		t.Run("preflight from "+o.origin, func(t *testing.T) {
			r := ts.do(t, request{method: "OPTIONS", path: "/api/auth/refresh",
				header: map[string]string{"Origin": o.origin,
					"Access-Control-Request-Method":  "POST",
					"Access-Control-Request-Headers": "content-type,x-requested-with"}})
			r.wantStatus(t, http.StatusNoContent)
			acao := r.Header.Get("Access-Control-Allow-Origin")
			if !o.allowed {
				if acao != "" {
					t.Errorf("got Allow-Origin %q for a stranger, want none", acao)
				}
				return
			}
			if acao != o.origin {
				t.Errorf("got Allow-Origin %q, want %q", acao, o.origin)
			}
			methods := r.Header.Get("Access-Control-Allow-Methods")
			headers := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers"))
			for _, m := range []string{"GET", "POST", "DELETE"} {
				if !strings.Contains(methods, m) {
					t.Errorf("got Allow-Methods %q, want %s in it", methods, m)
				}
			}
			for _, h := range []string{"authorization", "content-type", "x-requested-with"} {
				if !strings.Contains(headers, h) {
					t.Errorf("got Allow-Headers %q, want %s in it", headers, h)
				}
			}
		})
	}

	t.Run("discovery is public", func(t *testing.T) {
		for _, path := range []string{"/.well-known/jwks.json",
			"/.well-known/openid-configuration"} {
			r := ts.do(t, request{method: "GET", path: path,
				header: map[string]string{"Origin": "https://anyone.example"}})
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("%s: got Allow-Origin %q, want *", path, got)
			}
			if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("%s: got Allow-Credentials %q, want none", path, got)
			}
		}
	})

	t.Run("not on API paths only", func(t *testing.T) {
		r := ts.do(t, request{method: "GET", path: "/healthz",
			header: map[string]string{"Origin": appOrigin}})
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("healthz: got Allow-Origin %q, want none", got)
		}
	})

	t.Run("exposes the error headers", func(t *testing.T) {
		r := ts.do(t, request{method: "GET", path: "/api/auth/me",
			header: map[string]string{"Origin": appOrigin}})
		exposed := r.Header.Get("Access-Control-Expose-Headers")
		if !strings.Contains(exposed, "WWW-Authenticate") {
			t.Errorf("got Expose-Headers %q, want WWW-Authenticate in it", exposed)
		}
	})
}

// TestCookieCrossSite checks the browser's cross-site signals on the
// requests that the refresh cookie authenticates.
func TestCookieCrossSite(t *testing.T) {
	t.Parallel()
	ts := newServer(t, withCORS(appOrigin))
	email := uniqueEmail("crosssite")
	ts.signup(t, email)

	tests := []struct {
		name   string
		header map[string]string
		ok     bool
	}{
		{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"no browser signals", nil, true},
		{"cross-site stranger", map[string]string{"Sec-Fetch-Site": "cross-site",
			"Origin": "https://evil.example.com"}, false},
		{"cross-site without origin", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"same-site other origin", map[string]string{"Sec-Fetch-Site": "same-site",
			"Origin": "https://other.example.com"}, false},
		{"cross-site allowed origin", map[string]string{"Sec-Fetch-Site": "cross-site",
			"Origin": appOrigin}, true},
		{"origin of another host", map[string]string{"Origin": "https://evil.example.com"},
			false},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/auth/refresh", "/api/auth/logout"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				_, cookie := ts.cookieGrant(t, email)
				r := ts.do(t, request{method: "POST", path: path, cookie: cookie, xrw: true,
					header: tt.header})
				if !tt.ok {
					r.wantError(t, "csrf_check_failed")
					return
				}
				if r.Status >= 300 {
					t.Errorf("got %d %s, want success", r.Status, r.Body)
				}
			})
		}
	}
	t.Run("a body token needs no browser checks", func(t *testing.T) {
		g := ts.login(t, email)
		r := ts.do(t, request{method: "POST", path: "/api/auth/refresh",
			body: map[string]any{"refresh_token": g.Refresh},
			header: map[string]string{"Sec-Fetch-Site": "cross-site",
				"Origin": "https://evil.example.com"}})
		r.wantStatus(t, http.StatusOK)
	})
}

func TestCORSBadOrigin(t *testing.T) {
	for _, o := range []string{"app.example.com", "https://app.example.com/path",
		"ftp://app.example.com", "https://user@app.example.com", ""} {
		if _, err := httpapi.New(httpapi.Options{CORSOrigins: []string{o}}); err == nil {
			t.Errorf("origin %q: got no error, want one", o)
		}
	}
}
