// Package webui serves the built web app: its static files, index.html for
// client-side routes, cache rules and the security headers of the pages.
//
// Paths under /api/ are never answered with the app: they get the API's
// JSON 404, so that a mistyped endpoint does not look like a web page.
// Files under assets/ carry a content hash in their names and are cached
// for a year; everything else is revalidated on each use.
package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// CSP is the Content-Security-Policy sent with every HTML page. Scripts,
// styles and connections come from the app's own origin only; nothing
// inline, no framing, no plugins.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

const (
	immutable    = "public, max-age=31536000, immutable"
	revalidate   = "no-cache"
	assetsPrefix = "assets/"
	// minGzipSize is the smallest file worth compressing.
	minGzipSize = 1024
)

// noUIPage is the answer at "/" of a binary built with the noui tag.
const noUIPage = "Sallyport is running. This binary was built without the web UI " +
	"(build tag noui); the API is served under /api/auth/.\n"

// file is one file of the app, held in memory.
type file struct {
	name string
	data []byte
	etag string

	gzipOnce sync.Once
	gzipped  []byte // nil when compressing does not pay
}

// handler serves the files of one fs.FS.
type handler struct {
	files map[string]*file
	index *file
}

// Handler returns a handler that serves the app in fsys, read once when
// Handler is called. A GET of a path that names no file and looks like a
// client route (no extension, or a browser asking for HTML) gets
// index.html. When fsys has no index.html (a noui build), "/" answers a
// short plain-text page instead. The handler is safe for concurrent use.
func Handler(fsys fs.FS) http.Handler {
	h := &handler{files: make(map[string]*file)}
	// TODO: a file that cannot be read is skipped rather than reported,
	// because Handler has no error result; embed.FS never fails here.
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(data)
		etag := `"` + hex.EncodeToString(sum[:12]) + `"`
		h.files[name] = &file{name: name, data: data, etag: etag}
		return nil
	})
	h.index = h.files["index.html"]
	return h
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		apiNotFound(w)
		return
	}

	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if f, ok := h.files[name]; ok {
		h.serve(w, r, f)
		return
	}

	switch {
	case h.index == nil && name == "index.html":
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
		hdr.Set("Cache-Control", revalidate)
		_, _ = w.Write([]byte(noUIPage))
	case h.index == nil, !isClientRoute(name, r):
		hdr.Set("Cache-Control", revalidate)
		http.NotFound(w, r)
	default:
		h.serve(w, r, h.index)
	}
}

// isClientRoute reports whether a path that names no file should get
// index.html: never under assets/, always for a browser navigation, and
// otherwise only when its last segment has no extension (so a missing
// "/favicon.ico" is a 404, not a page).
func isClientRoute(name string, r *http.Request) bool {
	if name == "assets" || strings.HasPrefix(name, assetsPrefix) {
		return false
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		return true
	}
	return path.Ext(name) == ""
}

// serve writes one file with its cache and security headers, compressed
// when the client accepts gzip and it pays.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, f *file) {
	hdr := w.Header()
	if strings.HasPrefix(f.name, assetsPrefix) {
		hdr.Set("Cache-Control", immutable)
	} else {
		hdr.Set("Cache-Control", revalidate)
	}
	ctype := mime.TypeByExtension(path.Ext(f.name))
	if ctype == "" {
		ctype = http.DetectContentType(f.data)
	}
	hdr.Set("Content-Type", ctype)
	if strings.HasPrefix(ctype, "text/html") {
		hdr.Set("Content-Security-Policy", CSP)
		hdr.Set("X-Frame-Options", "DENY")
	}

	body, etag := f.data, f.etag
	if gz := f.gzip(); gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body = gz
			etag = strings.TrimSuffix(f.etag, `"`) + `-gz"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(body))
}

// gzip returns the compressed contents, made on first use, or nil when the
// file is small, already compressed, or does not shrink.
func (f *file) gzip() []byte {
	f.gzipOnce.Do(func() {
		if len(f.data) < minGzipSize || !compressible(f.name) {
			return
		}
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return
		}
		if _, err := zw.Write(f.data); err != nil {
			return
		}
		if err := zw.Close(); err != nil {
			return
		}
		if buf.Len() < len(f.data)*9/10 {
			f.gzipped = buf.Bytes()
		}
	})
	return f.gzipped
}

func compressible(name string) bool {
	switch path.Ext(name) {
	case ".html", ".js", ".mjs", ".css", ".svg", ".json", ".txt", ".map":
		return true
	}
	return false
}

// acceptsGzip reports whether the request lists gzip without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// apiNotFound answers an unknown /api/ path in the API's error shape.
func apiNotFound(w http.ResponseWriter) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"error":"not_found","message":"no such API endpoint"}` + "\n"))
}
