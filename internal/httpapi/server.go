// Package httpapi puts the auth service on HTTP: the /api/auth endpoints,
// discovery documents, health, metrics and the OpenAPI document. Handlers
// decode, call package auth, and encode; errors become responses in one
// place, writeError.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/clientip"
	"github.com/sallyport/sallyport/internal/ratelimit"
)

// Options configures a Server.
type Options struct {
	// Service runs the auth flows; required.
	Service *auth.Service
	// Logger receives one line per request; required.
	Logger *slog.Logger
	// Issuer is the public URL, published in the discovery document.
	Issuer string
	// SecureCookie sets the Secure attribute on the refresh cookie.
	SecureCookie bool
	// UI serves everything outside the API; nil answers 404.
	UI http.Handler
	// Metrics counts requests and events; nil makes a new one.
	Metrics *Metrics
	// Limits are the abuse limits; the zero value turns them off.
	Limits LimitPolicy
	// LimitStore keeps the limit counters (memory or Redis); nil turns
	// the limits off.
	LimitStore ratelimit.Store
	// ClientIP finds the client's address, believing forwarding headers
	// only from trusted proxies. The zero value trusts none.
	ClientIP clientip.Resolver
	// CORSOrigins lists the exact origins (scheme://host[:port]) whose
	// pages may call the API with credentials.
	CORSOrigins []string
}

// Server is the HTTP face of Sallyport. It is an http.Handler, safe for
// concurrent use.
type Server struct {
	svc     *auth.Service
	log     *slog.Logger
	issuer  string
	secure  bool
	metrics *Metrics
	cors    *corsPolicy
	limits  *limits
	limitDB ratelimit.Store
	ips     clientip.Resolver
	mux     *http.ServeMux
	meCache sync.Map // user id to *meEntry
	meCount atomic.Int64
}

// New builds the server and its routes. It fails only on a malformed
// CORS origin.
func New(o Options) (*Server, error) {
	cors, err := newCORS(o.CORSOrigins)
	if err != nil {
		return nil, err
	}
	lim, err := newLimits(o.LimitStore, o.Limits)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cors:    cors,
		limits:  lim,
		limitDB: o.LimitStore,
		ips:     o.ClientIP,
		svc:     o.Service,
		log:     o.Logger,
		issuer:  o.Issuer,
		secure:  o.SecureCookie,
		metrics: o.Metrics,
		mux:     http.NewServeMux(),
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	s.routes(o.UI)
	return s, nil
}

func (s *Server) routes(ui http.Handler) {
	m := s.mux
	m.Handle("/api/auth/signup", s.method("POST", s.signup))
	m.Handle("/api/auth/login", s.method("POST", s.login))
	m.Handle("/api/auth/refresh", s.method("POST", s.refresh))
	m.Handle("/api/auth/logout", s.method("POST", s.logout))
	m.Handle("/api/auth/me", s.method("GET", s.authed(s.me)))
	m.Handle("/api/auth/sessions", s.method("GET", s.authed(s.sessions)))
	m.Handle("/api/auth/sessions/{id}", s.method("DELETE", s.authed(s.deleteSession)))
	m.Handle("/api/auth/password", s.method("POST", s.authed(s.changePassword)))
	// Any method: some proxies forward the original request's method.
	m.Handle("/api/auth/verify", s.handle(s.authed(s.verify)))
	m.Handle("/api/auth/revocations", s.method("GET", s.revocations))
	m.Handle("/api/admin/audit", s.method("GET", s.authed(s.adminOnly(s.audit))))
	m.Handle("/api/openapi.json", s.method("GET", s.openAPI))
	m.Handle("/api/", s.handle(func(http.ResponseWriter, *http.Request) error {
		return errCode("not_found", nil)
	}))
	m.Handle("/.well-known/jwks.json", s.method("GET", s.jwks))
	m.Handle("/.well-known/openid-configuration", s.method("GET", s.discovery))
	m.Handle("/.well-known/", s.handle(func(http.ResponseWriter, *http.Request) error {
		return errCode("not_found", nil)
	}))
	m.Handle("/healthz", s.method("GET", s.healthz))
	m.Handle("/readyz", s.method("GET", s.readyz))
	m.Handle("/metrics", s.method("GET", s.serveMetrics))
	if ui == nil {
		ui = s.handle(func(http.ResponseWriter, *http.Request) error {
			return errCode("not_found", nil)
		})
	}
	m.Handle("/", ui)
}

// ServeHTTP runs the request through the common wrapping: request id,
// security headers, panic recovery, and one log line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		id = newRequestID()
	}
	info := &reqInfo{id: id, ip: s.ips.IP(r)}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	h := rec.Header()
	h.Set("X-Request-Id", id)
	h.Set("X-Content-Type-Options", "nosniff")
	if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" {
		h.Set("Cache-Control", "no-store")
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic", "request_id", id, "panic", p)
			if !rec.wrote {
				s.writeError(rec, r, errCode("internal_error", nil))
			}
		}
		d := time.Since(start)
		s.metrics.observe(rec.status, d)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("route", route(r)),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("request_id", id),
			slog.String("user_id", info.userID),
			slog.String("ip", info.ip),
		)
	}()
	if s.cors.apply(rec, r) {
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// route names the matched pattern, never the raw path, so ids in paths
// stay out of the route label.
func route(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(http.ResponseWriter, *http.Request) error

func (s *Server) handle(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// method serves fn for one HTTP method (and HEAD for GET) and answers
// others with 405 in the JSON error shape.
func (s *Server) method(m string, fn handlerFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != m && !(m == "GET" && r.Method == "HEAD") {
			w.Header().Set("Allow", m)
			return errCode("method_not_allowed", nil)
		}
		return fn(w, r)
	})
}

type infoKey struct{}

// reqInfo carries what the log line needs to learn from the handler.
type reqInfo struct {
	id        string
	ip        string
	userID    string
	principal auth.Principal
}

func info(ctx context.Context) *reqInfo {
	i, _ := ctx.Value(infoKey{}).(*reqInfo)
	return i
}

func requestID(ctx context.Context) string {
	if i := info(ctx); i != nil {
		return i.id
	}
	return ""
}

func setUserID(ctx context.Context, id string) {
	if i := info(ctx); i != nil {
		i.userID = id
	}
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// validRequestID accepts a caller's id only when it is short and plain, so
// it cannot forge log lines.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// clientIP is the client's address as resolved for this request.
func clientIP(r *http.Request) string {
	if i, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return i.ip
	}
	return r.RemoteAddr
}

// maxUserAgent bounds the user agent kept with sessions and audit events.
const maxUserAgent = 512

// client describes the caller for the auth service. The user agent is cut
// here, once, for everything that stores it.
func client(r *http.Request) auth.Client {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	return auth.Client{IP: clientIP(r), UserAgent: ua}
}

// recorder remembers the status for the log line.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// writeRaw sends an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
