package verify

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

type claimsKey struct{}

// Middleware returns a handler that verifies the access token in the
// request's Authorization header (the token, with or without a "Bearer "
// prefix) and calls next with the claims in the request context, where
// ClaimsFrom finds them. A request without a valid token never reaches
// next: it gets the answer WriteError gives for the error of Verify.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := v.Verify(r.Context(), TokenFromHeader(r.Header))
		if err != nil {
			WriteError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
	})
}

// TokenFromHeader returns the access token of the Authorization header in
// h: its value without a "Bearer " prefix (in any case), or the whole value
// when it has none, trimmed of spaces.
func TokenFromHeader(h http.Header) string {
	v := strings.TrimSpace(h.Get("Authorization"))
	if strings.EqualFold(v, "bearer") {
		return "" // the scheme alone is a missing token, as on the server
	}
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return v
}

// NewContext returns a copy of ctx that carries c. Middleware uses it; it is
// exported for tests of handlers that sit behind Middleware.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the claims that Middleware put in ctx, and false when
// there are none.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// RequireRole returns a middleware that lets a request through only when
// the claims in its context (put there by Verifier.Middleware, which must run
// first) carry one of roles. Otherwise it answers 403 forbidden, or 401
// token_missing when the request has no claims at all.
func RequireRole(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := ClaimsFrom(r.Context())
			switch {
			case !ok:
				WriteError(w, ErrTokenMissing)
			case !c.HasRole(roles...):
				WriteError(w, ErrForbidden)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// response is the answer for one error code, as Sallyport's server gives it.
type response struct {
	code    string
	status  int
	message string
	body    []byte
}

func newResponse(code string, status int, message string) *response {
	body := `{"error":` + strconv.Quote(code) + `,"message":` + strconv.Quote(message) + "}\n"
	return &response{code: code, status: status, message: message, body: []byte(body)}
}

var (
	respMissing     = newResponse("token_missing", 401, "an access token is required")
	respExpired     = newResponse("token_expired", 401, "access token expired")
	respInvalid     = newResponse("token_invalid", 401, "access token is invalid")
	respRevoked     = newResponse("session_revoked", 401, "the session has been revoked")
	respForbidden   = newResponse("forbidden", 403, "not allowed")
	respUnavailable = newResponse("unavailable", 503, "the service is temporarily unavailable")
)

// responseFor picks the answer for err.
func responseFor(err error) *response {
	switch {
	case errors.Is(err, ErrTokenMissing):
		return respMissing
	case errors.Is(err, ErrTokenExpired):
		return respExpired
	case errors.Is(err, ErrSessionRevoked):
		return respRevoked
	case errors.Is(err, ErrForbidden):
		return respForbidden
	case errors.Is(err, ErrUnavailable),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return respUnavailable
	}
	return respInvalid
}

// ErrorCode returns the error code WriteError answers err with:
// token_missing, token_expired, token_invalid, session_revoked, forbidden or
// unavailable.
func ErrorCode(err error) string {
	return responseFor(err).code
}

// WriteError answers a request whose token was refused with err, the way
// Sallyport's own endpoints do: the status (401, 403 or 503), a JSON body
// {"error": code, "message": text}, and for 401 a WWW-Authenticate header,
// with error="invalid_token" unless the token was missing (RFC 6750). The
// message never includes the cause.
func WriteError(w http.ResponseWriter, err error) {
	resp := responseFor(err)
	h := w.Header()
	switch resp.status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", challenge(resp))
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

func challenge(resp *response) string {
	if resp == respMissing {
		return `Bearer realm="sallyport"`
	}
	return `Bearer realm="sallyport", error="invalid_token", error_description=` +
		strconv.Quote(resp.message)
}
