package verify

import (
	"errors"
	"fmt"
)

// The errors of Verify. Each one is joined with the specific cause, so that
// errors.Is matches both the sentinel and, say, a context error.
var (
	// ErrTokenMissing means there was no token to check.
	ErrTokenMissing = errors.New("access token missing")

	// ErrTokenExpired means the token is genuine and otherwise valid, but its
	// exp lies further in the past than the leeway.
	ErrTokenExpired = errors.New("access token expired")

	// ErrTokenInvalid means the token is malformed, too large, badly signed,
	// signed by an unknown key or with an algorithm other than its key's, or
	// carries claims this Verifier does not accept.
	ErrTokenInvalid = errors.New("access token invalid")

	// ErrSessionRevoked means the token is valid but its session has been
	// revoked, as learned from the revocation feed.
	ErrSessionRevoked = errors.New("session revoked")

	// ErrUnavailable means the Verifier cannot decide now: the revocation
	// feed has been unreachable for longer than the grace period, or the key
	// set could not be fetched for a token signed by a new key.
	ErrUnavailable = errors.New("token verification unavailable")

	// ErrForbidden means the token is valid but lacks a required role. Verify
	// never returns it; WriteError answers it with 403.
	ErrForbidden = errors.New("forbidden")
)

// invalid joins ErrTokenInvalid with cause.
func invalid(cause error) error {
	return fmt.Errorf("%w: %w", ErrTokenInvalid, cause)
}

// invalidf joins ErrTokenInvalid with a formatted cause.
func invalidf(format string, args ...any) error {
	return invalid(fmt.Errorf(format, args...))
}

// clip shortens s, which may come from a hostile token, for an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
