package token

import (
	"errors"
	"fmt"
)

var (
	// ErrExpired means the token was signed by a key in the ring and is
	// otherwise valid, but its exp lies further in the past than the leeway.
	ErrExpired = errors.New("token expired")

	// ErrInvalid means the token is malformed, badly signed, signed by an
	// unknown key, or carries claims this server does not accept. Verify joins
	// it with the specific cause, so errors.Is matches both.
	ErrInvalid = errors.New("invalid token")

	// ErrNoSigningKey means the keyring has no key that may sign.
	ErrNoSigningKey = errors.New("no signing key")

	// ErrUnseal means a sealed private key could not be decrypted: the master
	// key is not the one it was sealed with, or the stored data is corrupt.
	ErrUnseal = errors.New("cannot unseal private key")
)

// invalid joins ErrInvalid with the specific cause.
func invalid(cause error) error {
	return fmt.Errorf("%w: %w", ErrInvalid, cause)
}

// invalidf joins ErrInvalid with a formatted cause.
func invalidf(format string, args ...any) error {
	return invalid(fmt.Errorf(format, args...))
}
