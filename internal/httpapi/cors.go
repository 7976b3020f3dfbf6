package httpapi

import (
	"net/http"
	"net/url"
	"strings"
)

// corsPolicy answers cross-origin requests from an allowlist of exact
// origins. An origin not on the list gets no CORS headers at all, so the
// browser keeps the response from the page; it is never reflected.
type corsPolicy struct {
	allowed map[string]bool
	// csrf refuses cross-site cookie-authenticated requests, trusting
	// the allowlisted origins.
	csrf *http.CrossOriginProtection
}

// NormalizeOrigin returns the scheme://host[:port] form of an origin in
// lower case, or "" when s is not a plain http(s) origin.
func NormalizeOrigin(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" ||
		u.Fragment != "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

func newCORS(origins []string) (*corsPolicy, error) {
	p := &corsPolicy{allowed: map[string]bool{}, csrf: http.NewCrossOriginProtection()}
	for _, o := range origins {
		n := NormalizeOrigin(o)
		if n == "" {
			return nil, errMsg("invalid_request", "bad CORS origin "+o)
		}
		p.allowed[n] = true
		if err := p.csrf.AddTrustedOrigin(n); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// allows reports whether origin, exactly as the browser sent it, is on
// the list. The comparison is on the whole string: a suffix, a different
// port or scheme, or "null" never matches.
func (p *corsPolicy) allows(origin string) bool {
	return origin != "" && origin == strings.ToLower(origin) && p.allowed[origin]
}

// apply sets the CORS headers for r and reports whether r was a preflight
// that has been answered.
func (p *corsPolicy) apply(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	path := r.URL.Path
	public := strings.HasPrefix(path, "/.well-known/")
	if !public && !strings.HasPrefix(path, "/api/") {
		return false
	}
	if len(p.allowed) > 0 && !public {
		h.Add("Vary", "Origin")
	}
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions &&
		r.Header.Get("Access-Control-Request-Method") != ""
	switch {
	case public:
		// Key material and discovery are public; any page may read them,
		// without credentials.
		h.Set("Access-Control-Allow-Origin", "*")
	case p.allows(origin):
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers",
			"WWW-Authenticate, Retry-After, X-Request-Id")
	default:
		if preflight {
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		return false
	}
	if !preflight {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Requested-With")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// checkCookieRequest guards endpoints authenticated by the refresh
// cookie: the X-Requested-With header (which a cross-site form cannot
// send) and the browser's own Sec-Fetch-Site / Origin signals.
func (p *corsPolicy) checkCookieRequest(r *http.Request) error {
	if r.Header.Get("X-Requested-With") == "" {
		return errCode("csrf_check_failed", nil)
	}
	if err := p.csrf.Check(r); err != nil {
		return errMsg("csrf_check_failed", "cross-site requests may not use the refresh cookie")
	}
	return nil
}
