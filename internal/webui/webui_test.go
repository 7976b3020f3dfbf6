package webui

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><html><head>` +
	`<script type="module" src="/assets/index-abc123.js"></script></head>` +
	`<body><div id="root"></div></body></html>`

var bigJS = "console.log('sallyport');\n" + strings.Repeat("export const x = 1;\n", 200)

func appFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":             {Data: []byte(indexHTML)},
		"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-abc123.js": {Data: []byte(bigJS)},
		"assets/index-def456.css": {
			Data: []byte("body{margin:0}"),
		},
	}
}

func do(t *testing.T, h http.Handler, method, target string,
	header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestServesFilesAndFallsBack(t *testing.T) {
	h := Handler(appFS())
	tests := []struct {
		name       string
		target     string
		accept     string
		wantStatus int
		wantBody   string // substring
		wantType   string // prefix
		wantCache  string
	}{
		{"root is index.html", "/", "", 200, `<div id="root">`, "text/html", "no-cache"},
		{"index.html by name", "/index.html", "", 200, `<div id="root">`, "text/html", "no-cache"},
		{"client route", "/sessions", "", 200, `<div id="root">`, "text/html", "no-cache"},
		{"nested client route", "/a/b/c", "", 200, `<div id="root">`, "text/html", "no-cache"},
		{"trailing slash", "/login/", "", 200, `<div id="root">`, "text/html", "no-cache"},
		{"route with query", "/login?next=%2Fsessions", "", 200, `<div id="root">`,
			"text/html", "no-cache"},
		{"navigation to a dotted route", "/users/ada.lovelace", "text/html,*/*", 200,
			`<div id="root">`, "text/html", "no-cache"},
		{"hashed asset", "/assets/index-abc123.js", "", 200, "sallyport", "text/javascript",
			"public, max-age=31536000, immutable"},
		{"hashed css", "/assets/index-def456.css", "", 200, "margin", "text/css",
			"public, max-age=31536000, immutable"},
		{"unhashed file", "/favicon.svg", "", 200, "<svg", "image/svg+xml", "no-cache"},
		{"missing asset", "/assets/index-old.js", "", 404, "not found", "text/plain", ""},
		{"missing asset even for html", "/assets/nope", "text/html", 404, "not found",
			"text/plain", ""},
		{"missing file with extension", "/favicon.ico", "", 404, "not found", "text/plain", ""},
		// Cleaned paths never leave the file system: these become client routes.
		{"traversal stays inside", "/../../etc/passwd", "", 200, `<div id="root">`,
			"text/html", "no-cache"},
		{"encoded traversal", "/%2e%2e/%2e%2e/etc/passwd", "", 200, `<div id="root">`,
			"text/html", "no-cache"},
		{"traversal to a missing file", "/../../etc/shadow.txt", "", 404, "not found",
			"text/plain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, h, http.MethodGet, tt.target, map[string]string{"Accept": tt.accept})
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := body(t, res); !strings.Contains(got, tt.wantBody) {
				t.Errorf("got body %q, want it to contain %q", got, tt.wantBody)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("got Content-Type %q, want prefix %q", got, tt.wantType)
			}
			if tt.wantCache != "" {
				if got := res.Header.Get("Cache-Control"); got != tt.wantCache {
					t.Errorf("got Cache-Control %q, want %q", got, tt.wantCache)
				}
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("got X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}
}

func TestAPIPathsNeverGetTheApp(t *testing.T) {
	h := Handler(appFS())
	for _, tt := range []struct{ method, target string }{
		{http.MethodGet, "/api"},
		{http.MethodGet, "/api/"},
		{http.MethodGet, "/api/auth/nope"},
		{http.MethodPost, "/api/auth/nope"},
		{http.MethodDelete, "/api/v2/things"},
		{http.MethodGet, "/api/auth/me.html"},
	} {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			res := do(t, h, tt.method, tt.target, map[string]string{"Accept": "text/html"})
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("got status %d, want 404", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("got Content-Type %q, want application/json", got)
			}
			var e struct{ Error, Message string }
			if err := json.Unmarshal([]byte(body(t, res)), &e); err != nil {
				t.Fatalf("decode error body: %v", err)
			}
			if e.Error != "not_found" || e.Message == "" {
				t.Errorf("got error %+v, want not_found with a message", e)
			}
		})
	}
}

func TestSecurityHeadersOnHTML(t *testing.T) {
	h := Handler(appFS())
	for _, target := range []string{"/", "/index.html", "/sessions"} {
		t.Run(target, func(t *testing.T) {
			res := do(t, h, http.MethodGet, target, nil)
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{
				"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
				"base-uri 'self'", "form-action 'self'", "object-src 'none'",
			} {
				if !strings.Contains(csp, want) {
					t.Errorf("got CSP %q, want it to contain %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("got CSP %q, want no unsafe-inline or unsafe-eval", csp)
			}
			if got := res.Header.Get("Referrer-Policy"); got != "strict-origin-when-cross-origin" {
				t.Errorf("got Referrer-Policy %q, want strict-origin-when-cross-origin", got)
			}
			if got := res.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("got X-Frame-Options %q, want DENY", got)
			}
		})
	}

	res := do(t, h, http.MethodGet, "/assets/index-abc123.js", nil)
	if got := res.Header.Get("Content-Security-Policy"); got != "" {
		t.Errorf("got CSP %q on a script, want it only on HTML", got)
	}
}

func TestConditionalAndHead(t *testing.T) {
	h := Handler(appFS())
	first := do(t, h, http.MethodGet, "/", nil)
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("got no ETag on index.html, want one")
	}

	again := do(t, h, http.MethodGet, "/", map[string]string{"If-None-Match": etag})
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("got status %d for a matching If-None-Match, want 304", again.StatusCode)
	}

	head := do(t, h, http.MethodHead, "/sessions", nil)
	if head.StatusCode != http.StatusOK {
		t.Errorf("got HEAD status %d, want 200", head.StatusCode)
	}
	if got := body(t, head); got != "" {
		t.Errorf("got HEAD body %q, want none", got)
	}

	post := do(t, h, http.MethodPost, "/", nil)
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("got POST status %d, want 405", post.StatusCode)
	}
	if got := post.Header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("got Allow %q, want GET, HEAD", got)
	}
}

func TestGzip(t *testing.T) {
	h := Handler(appFS())
	tests := []struct {
		name     string
		target   string
		encoding string
		wantGzip bool
	}{
		{"big script, gzip accepted", "/assets/index-abc123.js", "gzip, deflate, br", true},
		{"big script, gzip refused", "/assets/index-abc123.js", "gzip;q=0, br", false},
		{"big script, no header", "/assets/index-abc123.js", "", false},
		{"small file", "/assets/index-def456.css", "gzip", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, h, http.MethodGet, tt.target, map[string]string{
				"Accept-Encoding": tt.encoding,
			})
			got := res.Header.Get("Content-Encoding") == "gzip"
			if got != tt.wantGzip {
				t.Fatalf("got gzip %v, want %v", got, tt.wantGzip)
			}
			raw := []byte(body(t, res))
			if got {
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					t.Fatalf("open gzip body: %v", err)
				}
				if raw, err = io.ReadAll(zr); err != nil {
					t.Fatalf("read gzip body: %v", err)
				}
			}
			want := appFS()[strings.TrimPrefix(tt.target, "/")].Data
			if !bytes.Equal(raw, want) {
				t.Errorf("got %d bytes of content, want the file's %d", len(raw), len(want))
			}
		})
	}
}

func TestNoUI(t *testing.T) {
	h := Handler(fstest.MapFS{})
	tests := []struct {
		target     string
		wantStatus int
		wantBody   string
	}{
		{"/", 200, "without the web UI"},
		{"/index.html", 200, "without the web UI"},
		{"/sessions", 404, "not found"},
		{"/assets/index.js", 404, "not found"},
		{"/api/auth/nope", 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res := do(t, h, http.MethodGet, tt.target, map[string]string{"Accept": "text/html"})
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := body(t, res); !strings.Contains(got, tt.wantBody) {
				t.Errorf("got body %q, want it to contain %q", got, tt.wantBody)
			}
		})
	}
}
