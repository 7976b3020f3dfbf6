package auth

import "errors"

// Errors returned by Service. The HTTP layer maps each to one status and
// one public error code; the wrapped cause stays internal.
var (
	ErrInvalidRequest      = errors.New("invalid request")
	ErrInvalidEmail        = errors.New("invalid email")
	ErrWeakPassword        = errors.New("weak password")
	ErrEmailTaken          = errors.New("email taken")
	ErrInvalidCredentials  = errors.New("invalid credentials")
	ErrAccountDisabled     = errors.New("account disabled")
	ErrInvalidRefreshToken = errors.New("invalid refresh token")
	ErrRefreshTokenReused  = errors.New("refresh token reused")
	ErrSessionExpired      = errors.New("session expired")
	ErrSessionRevoked      = errors.New("session revoked")
	ErrTokenMissing        = errors.New("token missing")
	ErrTokenExpired        = errors.New("token expired")
	ErrTokenInvalid        = errors.New("token invalid")
	ErrNotFound            = errors.New("not found")
	ErrBusy                = errors.New("busy")
)
