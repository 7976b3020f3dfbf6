package httpapi

import "net/http"

// verify is the forward-auth endpoint for reverse proxies (nginx
// auth_request, Traefik ForwardAuth, Caddy forward_auth): 200 with the
// caller's identity in headers for a valid access token, the usual 401
// otherwise. It has no body, so proxies can pass its headers on.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	h := w.Header()
	h.Set("X-Sallyport-User", p.UserID)
	h.Set("X-Sallyport-Role", p.Role)
	h.Set("X-Sallyport-Session", p.SessionID)
	h.Set("X-Sallyport-Email", p.Email)
	w.WriteHeader(http.StatusOK)
	return nil
}
