package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// maxAddressLen is the length in bytes of the longest email address an
// account can have.
const maxAddressLen = 254

// AccountKey returns the limiter key of the account an email names:
// "acct:" and the hex SHA-256 of the email after trimming white space,
// NFKC normalization and Unicode case folding. Every variant of one
// address in case, compatibility characters or Unicode form shares the
// key: "Bob@Example.com" and "BOB@EXAMPLE.COM", the Kelvin sign and the
// letter k, fullwidth and plain letters. The key has a fixed size and
// holds no raw email, though a hash of a guessed address can be compared
// with it.
//
// The key merges more than the account store does (package email folds
// only ASCII case), on purpose: two accounts whose addresses differ only
// that way share one counter, so failures at one slow the other, while a
// guesser can never spread attempts at one account over several keys.
//
// Input longer than 254 bytes after trimming names no account (package
// email refuses it, as RFC 5321 does), so no guess made through it can
// reach one; it is keyed on its bytes as they are, without normalizing.
func AccountKey(email string) string {
	s := strings.TrimFunc(email, unicode.IsSpace)
	// Normalizing a megabyte of combining marks or compatibility
	// characters takes a fifth of a second or more, more than a password
	// hash, and it happens before any limit applies: a login body full of
	// them would cost the server far more than it costs the client.
	if len(s) <= maxAddressLen {
		s = norm.NFKC.String(s)
		// Folding can undo normalization (a folded letter may compose with
		// a following mark), so normalize again.
		s = norm.NFKC.String(cases.Fold().String(s))
	}
	sum := sha256.Sum256([]byte(s))
	return "acct:" + hex.EncodeToString(sum[:])
}

// AddrKey returns the limiter key of a client address: "ip:" and the
// address for IPv4, "ip:" and the /64 network for IPv6, since one client
// commonly holds a whole /64 and could otherwise rotate through it. A
// value that is not an IP address is kept as it is.
func AddrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return "ip:" + netip.PrefixFrom(a, 64).Masked().String()
	}
	return "ip:" + a.String()
}
