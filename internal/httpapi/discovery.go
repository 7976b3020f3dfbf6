package httpapi

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3.1 document of the HTTP API.
func OpenAPI() []byte { return openAPIDoc }

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openAPIDoc)
	return err
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	// Short, so verifiers see a rotated key soon; they also refetch on an
	// unknown kid.
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, err := w.Write(s.svc.Keyring().JWKS())
	return err
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.issuer,
		"jwks_uri":                              s.issuer + "/.well-known/jwks.json",
		"id_token_signing_alg_values_supported": s.svc.Keyring().Algorithms(),
		"token_endpoint":                        s.issuer + "/api/auth/login",
		"revocation_endpoint":                   s.issuer + "/api/auth/logout",
		"userinfo_endpoint":                     s.issuer + "/api/auth/me",
		"subject_types_supported":               []string{"public"},
		"response_types_supported":              []string{"token"},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti",
			"sid", "role", "email"},
	})
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Ready(r.Context()); err != nil {
		return errCode("unavailable", err)
	}
	// Logins fail closed without the limit store, so it is part of ready.
	if s.limitDB != nil {
		if err := s.limitDB.Ping(r.Context()); err != nil {
			return errCode("unavailable", err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
