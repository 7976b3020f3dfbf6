package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/ratelimit"
	"github.com/sallyport/sallyport/internal/store"
)

// CookieName is the name of the refresh token cookie.
const CookieName = "sallyport_refresh"

// cookiePath scopes the refresh cookie to the auth endpoints.
// TODO: when a proxy serves Sallyport under a path prefix (--public-url
// https://host/sso), the cookie should be scoped to /sso/api/auth; today
// it is always /api/auth, so such set-ups need the proxy to rewrite it.
const cookiePath = "/api/auth"

type credentials struct {
	Email              string `json:"email"`
	Password           string `json:"password"`
	ReturnRefreshToken bool   `json:"return_refresh_token"`
}

type userBody struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func newUserBody(u store.User) userBody {
	return userBody{ID: u.ID, Email: u.Email, Role: u.Role, CreatedAt: u.CreatedAt.UTC()}
}

type tokenBody struct {
	AccessToken  string   `json:"access_token"`
	Token        string   `json:"token"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    int64    `json:"expires_in"`
	ExpiresAt    int64    `json:"expires_at"`
	User         userBody `json:"user"`
	RefreshToken string   `json:"refresh_token,omitempty"`
}

func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	var in credentials
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := required("email", in.Email, "password", in.Password); err != nil {
		return err
	}
	if err := allow(r.Context(), s.limits.signup, ratelimit.AddrKey(clientIP(r))); err != nil {
		return err
	}
	g, err := s.svc.Signup(r.Context(), in.Email, in.Password, client(r))
	if err != nil {
		return err
	}
	s.writeGrant(w, r, http.StatusCreated, g, in.ReturnRefreshToken)
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in credentials
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := required("email", in.Email, "password", in.Password); err != nil {
		return err
	}
	ip := clientIP(r)
	if err := s.limits.loginAttempt(r.Context(), ip, in.Email); err != nil {
		return err
	}
	g, err := s.svc.Login(r.Context(), in.Email, in.Password, client(r))
	s.limits.loginDone(r.Context(), ip, in.Email, err)
	if err != nil {
		return err
	}
	s.writeGrant(w, r, http.StatusOK, g, in.ReturnRefreshToken)
	return nil
}

type refreshRequest struct {
	RefreshToken       string `json:"refresh_token"`
	ReturnRefreshToken bool   `json:"return_refresh_token"`
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	var in refreshRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	plain, fromCookie, err := s.refreshCredential(r, in.RefreshToken)
	if err != nil {
		return err
	}
	if plain == "" {
		return errMsg("invalid_refresh_token", "no refresh token in the body or cookie")
	}
	if err := allow(r.Context(), s.limits.refresh, ratelimit.AddrKey(clientIP(r))); err != nil {
		return err
	}
	g, err := s.svc.Refresh(r.Context(), plain, client(r))
	if err != nil {
		if fromCookie && dead(err) {
			s.clearCookie(w)
		}
		return err
	}
	s.writeGrant(w, r, http.StatusOK, g, in.ReturnRefreshToken)
	return nil
}

// isTokenFailure reports whether err only says the access token cannot
// be used, as opposed to the logout itself failing.
func isTokenFailure(err error) bool {
	return errors.Is(err, auth.ErrTokenInvalid) || errors.Is(err, auth.ErrSessionRevoked)
}

// dead reports whether a refresh error means the cookie is useless now.
func dead(err error) bool {
	for _, e := range []error{auth.ErrInvalidRefreshToken, auth.ErrRefreshTokenReused,
		auth.ErrSessionExpired, auth.ErrSessionRevoked} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// refreshCredential picks the refresh token from the body or, failing
// that, the cookie. A cookie only counts on a request that passes the
// cross-site checks.
func (s *Server) refreshCredential(r *http.Request, body string) (plain string,
	fromCookie bool, err error) {
	if body != "" {
		return body, false, nil
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return "", false, nil
	}
	if err := s.cors.checkCookieRequest(r); err != nil {
		return "", true, err
	}
	return c.Value, true, nil
}

type logoutRequest struct {
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token"`
}

// logout ends sessions. The caller proves which session with an access
// token or a refresh token; a dead one still gets 204, so the call is
// idempotent. The cookie is cleared in every case.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	var in logoutRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Scope == "" {
		in.Scope = auth.ScopeLocal
	}
	if !auth.ValidScope(in.Scope) {
		return errMsg("invalid_request", `field "scope" must be local, others or global`)
	}
	raw := bearer(r)
	if raw != "" {
		p, err := s.svc.LogoutAccess(r.Context(), raw, in.Scope, client(r))
		setUserID(r.Context(), p.UserID)
		if err == nil {
			s.clearCookie(w)
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		if !isTokenFailure(err) {
			return err
		}
		// A dead access token may come with a refresh token that still
		// names the session.
	}
	plain, _, err := s.refreshCredential(r, in.RefreshToken)
	if err != nil {
		return err
	}
	if plain == "" && raw == "" {
		return errCode("token_missing", nil)
	}
	if plain != "" {
		if err := s.svc.LogoutRefresh(r.Context(), plain, in.Scope, client(r)); err != nil {
			return err
		}
	}
	s.clearCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeGrant sends the token response and, unless the client asked for
// the refresh token in the body, sets it as the cookie.
func (s *Server) writeGrant(w http.ResponseWriter, r *http.Request, status int, g auth.Grant,
	inBody bool) {
	setUserID(r.Context(), g.User.ID)
	body := tokenBody{
		AccessToken: g.AccessToken,
		Token:       g.AccessToken,
		TokenType:   "Bearer",
		ExpiresIn:   int64(g.ExpiresIn / time.Second),
		ExpiresAt:   g.ExpiresAt.Unix(),
		User:        newUserBody(g.User),
	}
	if inBody {
		body.RefreshToken = g.RefreshToken
	} else {
		http.SetCookie(w, &http.Cookie{
			Name:     CookieName,
			Value:    g.RefreshToken,
			Path:     cookiePath,
			Expires:  g.Session.ExpiresAt,
			MaxAge:   int(time.Until(g.Session.ExpiresAt) / time.Second),
			HttpOnly: true,
			Secure:   s.secure,
			SameSite: http.SameSiteStrictMode,
		})
	}
	writeJSON(w, status, body)
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    "",
		Path:     cookiePath,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// bearer returns the access token of the Authorization header, which may
// carry the "Bearer " prefix (any case) or the bare token.
func bearer(r *http.Request) string {
	v := strings.TrimSpace(r.Header.Get("Authorization"))
	if strings.EqualFold(v, "bearer") {
		return "" // the scheme with no token is a missing token
	}
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return v
}
