package httpapi

import (
	"net/http"
	"strconv"
	"strings"
)

// verify is the forward-auth endpoint for reverse proxies (nginx
// auth_request, Traefik ForwardAuth, Caddy forward_auth): 200 with the
// caller's identity in headers for a valid access token, the usual 401
// otherwise. With ?role=a,b it also answers 403 forbidden unless the
// caller has one of those roles, so a proxy can guard admin routes.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	// The stored role (cached for a second or two), not the token's, so a
	// demotion reaches the proxy without waiting for the token to expire.
	role, err := s.svc.CurrentRole(r.Context(), p)
	if err != nil {
		return err
	}
	if want := r.URL.Query().Get("role"); want != "" && !hasRole(role, want) {
		return errMsg("forbidden", "this route needs the role "+strconv.Quote(want))
	}
	h := w.Header()
	h.Set("X-Sallyport-User", p.UserID)
	h.Set("X-Sallyport-Role", role)
	h.Set("X-Sallyport-Session", p.SessionID)
	h.Set("X-Sallyport-Email", p.Email)
	w.WriteHeader(http.StatusOK)
	return nil
}

// hasRole reports whether role is one of the comma-separated roles.
func hasRole(role, roles string) bool {
	for _, r := range strings.Split(roles, ",") {
		if strings.TrimSpace(r) == role {
			return true
		}
	}
	return false
}
