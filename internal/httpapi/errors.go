package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/store"
)

// Code is a stable, public, snake_case error code. Clients branch on it,
// so a code once published never changes meaning.
type Code struct {
	Name    string
	Status  int
	Message string
}

// Codes is the catalogue of every error code the API answers with.
var Codes = []Code{
	{"invalid_request", 400, "the request is malformed"},
	{"token_missing", 401, "an access token is required"},
	{"token_expired", 401, "access token expired"},
	{"token_invalid", 401, "access token is invalid"},
	{"session_revoked", 401, "the session has been revoked"},
	{"session_expired", 401, "the session has expired; log in again"},
	{"invalid_credentials", 401, "invalid email or password"},
	{"invalid_refresh_token", 401, "the refresh token is invalid"},
	{"refresh_token_reused", 401,
		"the refresh token was already used; the session has been revoked"},
	{"invalid_credential", 401, "the service credential is invalid"},
	{"account_disabled", 403, "the account is disabled"},
	{"csrf_check_failed", 403,
		"cookie-authenticated requests need an X-Requested-With header"},
	{"forbidden", 403, "not allowed"},
	{"not_found", 404, "not found"},
	{"method_not_allowed", 405, "method not allowed"},
	{"email_taken", 409, "an account with this email already exists"},
	{"payload_too_large", 413, "the request body is larger than 1 MiB"},
	{"unsupported_media_type", 415, "the request body must be application/json"},
	{"invalid_email", 422, "the email address is not valid"},
	{"weak_password", 422, "the password must be 8 to 256 bytes long, at least 8 characters"},
	{"too_many_attempts", 429, "too many attempts; try again later"},
	{"internal_error", 500, "internal error"},
	{"busy", 503, "the server is busy; try again shortly"},
	{"unavailable", 503, "the service is temporarily unavailable"},
}

var codeByName = func() map[string]Code {
	m := make(map[string]Code, len(Codes))
	for _, c := range Codes {
		m[c.Name] = c
	}
	return m
}()

// apiError is an error with a public code; message overrides the
// catalogue's when set. cause is logged, never sent.
type apiError struct {
	code    string
	message string
	cause   error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.cause.Error()
	}
	return e.code
}

func (e *apiError) Unwrap() error { return e.cause }

// errCode makes an apiError for a catalogue code.
func errCode(code string, cause error) error { return &apiError{code: code, cause: cause} }

// errMsg makes an apiError with a message of its own.
func errMsg(code, message string) error { return &apiError{code: code, message: message} }

// domainCodes maps domain errors to public codes.
var domainCodes = []struct {
	err  error
	code string
}{
	{auth.ErrInvalidRequest, "invalid_request"},
	{auth.ErrInvalidEmail, "invalid_email"},
	{auth.ErrWeakPassword, "weak_password"},
	{auth.ErrEmailTaken, "email_taken"},
	{auth.ErrInvalidCredentials, "invalid_credentials"},
	{auth.ErrAccountDisabled, "account_disabled"},
	{auth.ErrInvalidRefreshToken, "invalid_refresh_token"},
	{auth.ErrRefreshTokenReused, "refresh_token_reused"},
	{auth.ErrSessionExpired, "session_expired"},
	{auth.ErrSessionRevoked, "session_revoked"},
	{auth.ErrTokenMissing, "token_missing"},
	{auth.ErrTokenExpired, "token_expired"},
	{auth.ErrTokenInvalid, "token_invalid"},
	{auth.ErrNotFound, "not_found"},
	{auth.ErrInvalidCredential, "invalid_credential"},
	{auth.ErrBusy, "busy"},
	{store.ErrUnavailable, "unavailable"},
}

// classify turns any error into a catalogue code and the message to send.
func classify(err error) (Code, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		c := codeByName[ae.code]
		if ae.message != "" {
			return c, ae.message
		}
		return c, c.Message
	}
	for _, d := range domainCodes {
		if errors.Is(err, d.err) {
			c := codeByName[d.code]
			return c, c.Message
		}
	}
	c := codeByName["internal_error"]
	return c, c.Message
}

// writeError is the one place where errors become responses: status, the
// JSON body, the RFC 6750 header for token failures, and a log line with
// the internal cause for server-side failures.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	c, msg := classify(err)
	h := w.Header()
	if c.Status == http.StatusUnauthorized && (isTokenCode(c.Name) ||
		c.Name == "invalid_credential") {
		h.Set("WWW-Authenticate", bearerChallenge(c.Name, msg))
	}
	switch c.Name {
	case "busy", "unavailable", "too_many_attempts":
		h.Set("Retry-After", retryAfter(err))
	}
	if c.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed",
			"request_id", requestID(r.Context()), "code", c.Name, "err", err)
	}
	writeJSON(w, c.Status, errorBody{Error: c.Name, Message: msg})
}

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// isTokenCode reports whether code is about the access token on a
// protected route, which is when RFC 6750 asks for WWW-Authenticate.
func isTokenCode(code string) bool {
	switch code {
	case "token_missing", "token_expired", "token_invalid", "session_revoked":
		return true
	}
	return false
}

// bearerChallenge builds the WWW-Authenticate value. A missing token gets
// no error attribute, as RFC 6750 section 3.1 asks.
func bearerChallenge(code, msg string) string {
	if code == "token_missing" {
		return `Bearer realm="sallyport"`
	}
	return `Bearer realm="sallyport", error="invalid_token", error_description=` +
		strconv.Quote(msg)
}
