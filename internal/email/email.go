// Package email checks and normalizes the email addresses that identify
// accounts.
//
// [Normalize] accepts only a plain address of the form local@domain: no
// display name, no angle brackets, no comments, no quoted local part, no
// IP address in brackets. Surrounding white space is removed. The address
// must be valid UTF-8 of at most 254 bytes, with a local part of at most 64
// bytes, no control, format or white-space characters inside, and a domain
// of at least two labels separated by dots, each label made of letters,
// digits, hyphens or non-ASCII characters, not starting or ending with a
// hyphen, and the last label not all digits.
//
// Normalizing changes only the letters A to Z, which become a to z. Every
// other character, including every non-ASCII one, stays exactly as it was
// written. So two addresses normalize to the same string only when they
// differ in the case of ASCII letters and in nothing else:
// "Bob@Example.COM" and "bob@example.com" are one account, while
// "ÉLISE@example.com" and "élise@example.com" are two. Unicode lower-casing
// and case folding are not used because they merge distinct addresses:
// lower-casing turns the Kelvin sign (U+212A) into the letter k, and case
// folding also turns the long s (U+017F) into s. Nor are Unicode
// normalization forms applied, so an accented letter written as one code
// point or as two stays two different addresses. Normalizing a normalized
// address returns it unchanged.
package email

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits from RFC 5321, in bytes.
const (
	maxLen      = 254
	maxLocalLen = 64
	maxLabelLen = 63
)

// ErrInvalid is matched by every error [Normalize] returns.
var ErrInvalid = errors.New("invalid email address")

// Normalize returns the normalized form of the address s, or an error
// matching [ErrInvalid] that says what is wrong. The package documentation
// gives the rules. The error does not repeat the address, which is
// personal data.
func Normalize(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalid)
	}
	s = strings.TrimFunc(s, unicode.IsSpace)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(s) > maxLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalid, maxLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			return "", fmt.Errorf("%w: contains the character %U", ErrInvalid, r)
		}
	}

	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", fmt.Errorf("%w: not a plain local@domain address", ErrInvalid)
	}
	at := strings.LastIndexByte(s, '@')
	if at > maxLocalLen {
		return "", fmt.Errorf("%w: local part longer than %d bytes", ErrInvalid, maxLocalLen)
	}
	if err := checkDomain(s[at+1:]); err != nil {
		return "", err
	}
	return foldASCII(s), nil
}

// checkDomain reports whether domain is a host name with at least two
// labels.
func checkDomain(domain string) error {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%w: domain has no dot", ErrInvalid)
	}
	for _, label := range labels {
		if err := checkLabel(label); err != nil {
			return err
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fmt.Errorf("%w: top-level domain is all digits", ErrInvalid)
	}
	return nil
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return fmt.Errorf("%w: empty domain label", ErrInvalid)
	case len(label) > maxLabelLen:
		return fmt.Errorf("%w: domain label longer than %d bytes", ErrInvalid, maxLabelLen)
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("%w: domain label starts or ends with a hyphen", ErrInvalid)
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c < utf8.RuneSelf && c != '-' && !isASCIILetter(c) && !('0' <= c && c <= '9') {
			return fmt.Errorf("%w: domain contains %q", ErrInvalid, c)
		}
	}
	return nil
}

// foldASCII maps A-Z to a-z and leaves every other byte as it is.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
