package abuse

import (
	"net/http"
	"strings"
	"testing"
)

const appOrigin = "https://app.example.com"

// TestCORSReflection tries the usual ways to make a CORS policy reflect a
// hostile origin. Only the allowlisted origin, exactly as a browser sends
// it, may get Access-Control-Allow-Origin, and only it gets credentials.
func TestCORSReflection(t *testing.T) {
	t.Parallel()
	in := startServer(t, "--cors-origins", appOrigin+",http://localhost:5173")
	g := in.signup(t, uniqueEmail("cors"), in.password("cors"))

	hostile := []string{
		"https://evil.example",
		"null",
		appOrigin + ".evil.com",
		appOrigin + "evil.com",
		"https://evil.com/" + appOrigin,
		"https://evilapp.example.com",
		"https://sub.app.example.com",
		"http://app.example.com",
		"https://app.example.com:8443",
		"https://app.example.com:443",
		"HTTPS://APP.EXAMPLE.COM",
		"https://App.Example.com",
		appOrigin + "/",
		appOrigin + "/path",
		appOrigin + " " + appOrigin,
		appOrigin + ", https://evil.example",
		"https://user@app.example.com",
		"https://app.example.com%2eevil.com",
		"https://app.example.com.",
		"http://localhost:5174",
		"http://localhost",
		"file://",
		"*",
	}
	paths := []struct{ method, path string }{
		{"GET", "/api/auth/me"},
		{"POST", "/api/auth/refresh"},
		{"POST", "/api/auth/login"},
		{"POST", "/api/auth/logout"},
		{"GET", "/api/admin/audit"},
		{"GET", "/api/no-such-route"},
	}
	for _, origin := range hostile {
		t.Run("origin "+origin, func(t *testing.T) {
			for _, p := range paths {
				// The simple request itself.
				r := in.do(t, call{method: p.method, path: p.path, token: g.Access,
					header: map[string]string{"Origin": origin}})
				checkNoCORS(t, r, p.method+" "+p.path)
				if r.Status >= 500 {
					t.Errorf("%s %s: got status %d", p.method, p.path, r.Status)
				}
				// And its preflight.
				r = in.do(t, call{method: "OPTIONS", path: p.path, header: map[string]string{
					"Origin":                         origin,
					"Access-Control-Request-Method":  p.method,
					"Access-Control-Request-Headers": "authorization, content-type",
				}})
				checkNoCORS(t, r, "preflight "+p.path)
				if r.Status >= 300 {
					t.Errorf("preflight %s: got status %d, want a 2xx without CORS headers",
						p.path, r.Status)
				}
			}
		})
	}

	for _, origin := range []string{appOrigin, "http://localhost:5173"} {
		t.Run("allowed "+origin, func(t *testing.T) {
			for _, p := range paths {
				r := in.do(t, call{method: p.method, path: p.path, token: g.Access,
					header: map[string]string{"Origin": origin}})
				checkAllowed(t, r, origin, p.method+" "+p.path)
				r = in.do(t, call{method: "OPTIONS", path: p.path, header: map[string]string{
					"Origin":                        origin,
					"Access-Control-Request-Method": p.method,
					"Access-Control-Request-Headers": "authorization, content-type, " +
						"x-requested-with",
				}})
				checkAllowed(t, r, origin, "preflight "+p.path)
				if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
					t.Errorf("preflight %s: got status %d, want 204", p.path, r.Status)
				}
				methods := r.Header.Get("Access-Control-Allow-Methods")
				if !strings.Contains(methods, p.method) {
					t.Errorf("preflight %s: Allow-Methods %q lacks %s", p.path, methods, p.method)
				}
				headers := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers"))
				for _, h := range []string{"authorization", "content-type", "x-requested-with"} {
					if !strings.Contains(headers, h) {
						t.Errorf("preflight %s: Allow-Headers %q lacks %s", p.path, headers, h)
					}
				}
			}
		})
	}

	t.Run("public key material", func(t *testing.T) {
		for _, path := range []string{"/.well-known/jwks.json",
			"/.well-known/openid-configuration"} {
			r := in.do(t, call{method: "GET", path: path,
				header: map[string]string{"Origin": "https://evil.example"}})
			r.wantStatus(t, http.StatusOK)
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("%s: got Allow-Origin %q, want *", path, got)
			}
			if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("%s: got Allow-Credentials %q beside *, want none", path, got)
			}
		}
	})
}

// checkNoCORS fails unless r grants no cross-origin access at all.
func checkNoCORS(t *testing.T, r reply, what string) {
	t.Helper()
	for _, h := range []string{"Access-Control-Allow-Origin",
		"Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
		"Access-Control-Allow-Headers", "Access-Control-Expose-Headers"} {
		if v := r.Header.Values(h); len(v) > 0 {
			t.Errorf("%s: got %s %q for a hostile origin, want none", what, h, v)
		}
	}
	if !varyOrigin(r) {
		t.Errorf("%s: got Vary %q, want Origin in it", what, r.Header.Values("Vary"))
	}
}

// checkAllowed fails unless r grants exactly origin access with
// credentials.
func checkAllowed(t *testing.T, r reply, origin, what string) {
	t.Helper()
	if got := r.Header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != origin {
		t.Errorf("%s: got Allow-Origin %q, want exactly %q", what, got, origin)
	}
	if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("%s: got Allow-Credentials %q, want true", what, got)
	}
	if !varyOrigin(r) {
		t.Errorf("%s: got Vary %q, want Origin in it", what, r.Header.Values("Vary"))
	}
}

func varyOrigin(r reply) bool {
	for _, v := range r.Header.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Origin") {
				return true
			}
		}
	}
	return false
}

// TestCookieCSRF checks the cookie-authenticated endpoints (refresh and
// logout) against cross-site requests: the X-Requested-With header is
// needed, and the browser's Sec-Fetch-Site and Origin must not say the
// request comes from another site, unless that site is allowlisted.
func TestCookieCSRF(t *testing.T) {
	t.Parallel()
	in := startServer(t, "--cors-origins", appOrigin)
	addr := uniqueEmail("csrf")
	pw := in.password("csrf")
	in.signup(t, addr, pw)
	g := in.loginCookie(t, addr, pw)

	refused := []struct {
		name   string
		xrw    bool
		header map[string]string
	}{
		{"no X-Requested-With", false, nil},
		{"no X-Requested-With, same origin", false, map[string]string{
			"Sec-Fetch-Site": "same-origin", "Origin": in.URL}},
		{"cross-site fetch", true, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site fetch", true, map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"cross-site fetch from a foreign origin", true, map[string]string{
			"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"foreign Origin, no Sec-Fetch-Site", true, map[string]string{
			"Origin": "https://evil.example"}},
		{"null Origin", true, map[string]string{"Origin": "null"}},
		{"look-alike Origin", true, map[string]string{"Origin": appOrigin + ".evil.com"}},
		{"Origin on another port", true, map[string]string{
			"Origin": "http://127.0.0.1:1"}},
	}
	for _, path := range []string{"/api/auth/refresh", "/api/auth/logout"} {
		for _, tt := range refused {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				r := in.do(t, call{method: "POST", path: path, cookie: g.Refresh, xrw: tt.xrw,
					header: tt.header})
				r.wantError(t, http.StatusForbidden, "csrf_check_failed")
				if r.refreshCookie() != "" {
					t.Errorf("a refused request got a new refresh cookie")
				}
			})
		}
	}

	// None of the refused requests spent or ended the session: the owner's
	// own requests still work, from the page's origin, from the
	// allowlisted app, and from a client that sends no browser headers.
	allowed := []struct {
		name   string
		header map[string]string
	}{
		{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin",
			"Origin": in.URL}},
		{"allowlisted app, cross-site", map[string]string{"Sec-Fetch-Site": "cross-site",
			"Origin": appOrigin}},
		{"no browser headers", nil},
	}
	cookie := g.Refresh
	for _, tt := range allowed {
		t.Run("refresh "+tt.name, func(t *testing.T) {
			r := in.do(t, call{method: "POST", path: "/api/auth/refresh", cookie: cookie,
				xrw: true, header: tt.header})
			r.wantStatus(t, http.StatusOK)
			next := in.grantOf(t, r)
			if next.Refresh == "" || next.Refresh == cookie {
				t.Fatalf("refresh set no new cookie")
			}
			cookie = next.Refresh
		})
	}
	r := in.do(t, call{method: "POST", path: "/api/auth/logout", cookie: cookie, xrw: true,
		header: map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": in.URL}})
	r.wantStatus(t, http.StatusNoContent)
	in.refresh(t, cookie).wantError(t, http.StatusUnauthorized, "session_revoked")
}
