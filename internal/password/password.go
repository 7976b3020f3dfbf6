// Package password checks password strength and hashes and verifies
// passwords.
//
// New hashes are argon2id in the PHC string format, for example
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in standard base64 without padding. Verification also
// accepts argon2id hashes made with other parameters and bcrypt hashes
// ($2a$, $2b$ and $2y$) imported from another application; both report that
// the password should be rehashed when it is weaker than the current
// parameters, so that imported accounts move to argon2id on their next
// successful login.
//
// A [Hasher] bounds how many hashes run at once, so that a flood of logins
// cannot use more memory than its budget: callers beyond the limit wait a
// short while and then get [ErrBusy].
package password

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Length limits for a new password. The lower bound counts characters
// (runes), the upper bound counts bytes, because it exists to bound work.
const (
	MinRunes = 8
	MaxBytes = 256
)

// ErrWeak is matched by every error [Validate] returns.
var ErrWeak = errors.New("weak password")

// ErrTooShort is returned by [Validate] for a password of fewer than
// [MinRunes] characters. It wraps [ErrWeak].
var ErrTooShort = fmt.Errorf("%w: shorter than %d characters", ErrWeak, MinRunes)

// ErrTooLong is returned by [Validate] for a password of more than
// [MaxBytes] bytes. It wraps [ErrWeak].
var ErrTooLong = fmt.Errorf("%w: longer than %d bytes", ErrWeak, MaxBytes)

// ErrBusy is returned by the [Hasher] methods when too many hashes are
// running or waiting, or when the wait for a free slot timed out. The caller
// should ask the client to retry later.
var ErrBusy = errors.New("password hasher busy")

// ErrInvalidHash is matched by the error [Hasher.Verify] returns for a
// stored hash it cannot use: malformed, of an unknown scheme, or with
// parameters outside the bounds it accepts.
var ErrInvalidHash = errors.New("invalid password hash")

// Validate reports whether pw is acceptable as a new password. It returns
// nil, [ErrTooShort] or [ErrTooLong].
func Validate(pw string) error {
	if len(pw) > MaxBytes {
		return ErrTooLong
	}
	if utf8.RuneCountInString(pw) < MinRunes {
		return ErrTooShort
	}
	return nil
}
