package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// maxBcryptCost is the highest bcrypt cost Verify accepts: every cost
// bcrypt defines, since imported hashes must verify as they are.
//
// BUG: a hash of very high cost (cost 20 takes about a minute here, 31
// about a day) holds the one bcrypt slot that long on each login attempt,
// so other imported users who still have bcrypt hashes wait or get
// ErrBusy meanwhile; argon2id logins are not held up. Such hashes only
// enter through an import, and a successful login rehashes to argon2id.
const maxBcryptCost = bcrypt.MaxCost

// waitersPerSlot bounds the queue of callers waiting for a slot.
const waitersPerSlot = 64

// maxSlots keeps the slot and queue counts far from overflow for any budget.
const maxSlots = 1 << 20

// Hasher hashes and verifies passwords while bounding the memory they use.
// Each argon2id computation takes one slot of Params.Memory (a stored hash
// with more memory takes as many slots as it needs), and each bcrypt
// computation takes one slot. Callers wait for free slots up to a maximum
// time, and only a bounded number of callers may wait.
//
// A Hasher is safe for concurrent use. Create one with [NewHasher]; the zero
// value is not usable.
type Hasher struct {
	params        Params
	slots         int
	maxWait       time.Duration
	maxBcryptCost int
	lim           *limiter
	// bcryptLim lets one bcrypt computation run at a time, apart from
	// the argon2id slots: bcrypt needs almost no memory, but an imported
	// hash of high cost can take seconds, and must not hold the slots
	// that every other login needs.
	bcryptLim *limiter
	dummy     string // a hash of no password, for VerifyDummy
	computed  atomic.Uint64
}

// NewHasher returns a Hasher that makes new hashes with p and runs at most
// budgetBytes/(2 * p.Memory KiB) argon2id computations at once, and always
// at least one. Each hash counts twice its memory because Go's collector
// lets the heap grow to about twice the live memory before reclaiming it,
// and the budget is meant to bound the process, not just the live hashes.
// A caller waits up to maxWait for a free slot before getting
// [ErrBusy]; if maxWait is not positive, callers never wait. At most 64
// callers per slot may wait; the next gets ErrBusy at once.
//
// NewHasher panics if p fails [Params.Validate]: parameters come from
// configuration, which should have been validated before.
func NewHasher(p Params, budgetBytes int64, maxWait time.Duration) *Hasher {
	if err := p.Validate(); err != nil {
		panic("password: NewHasher: " + err.Error())
	}
	slots := budgetBytes / (2 * int64(p.Memory) * 1024)
	slots = max(1, min(slots, maxSlots))

	h := &Hasher{
		params:        p,
		slots:         int(slots),
		maxWait:       maxWait,
		maxBcryptCost: maxBcryptCost,
		lim:           newLimiter(int(slots), int(slots)*waitersPerSlot),
		bcryptLim:     newLimiter(1, waitersPerSlot),
	}
	// Verifying a password against random salt and key costs the same as
	// against a real hash, without spending a computation here.
	h.dummy = encodePHC(p, randomBytes(p.SaltLen), randomBytes(p.KeyLen))
	return h
}

// Hash returns the argon2id PHC string of pw with a fresh random salt. It
// returns [ErrBusy] when no slot was free in time, or the error of ctx when
// ctx ends first.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	p := h.params
	salt := randomBytes(p.SaltLen)
	var key []byte
	err := h.run(ctx, 1, func() {
		key = argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	})
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return encodePHC(p, salt, key), nil
}

// Verify reports whether pw matches the stored hash encoded, and, when it
// does, whether the password should be hashed again with [Hasher.Hash]
// because encoded is bcrypt or argon2id with weaker parameters than the
// Hasher's. A wrong password gives ok false and a nil error. An encoded
// string that is malformed, of another scheme, or with parameters out of
// bounds gives an error matching [ErrInvalidHash]; no slot was waited for
// in that case. Verify returns [ErrBusy] or the error of ctx like Hash.
//
// Bcrypt, as everywhere, ignores the bytes of a password past the 72nd.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (
	ok, needsRehash bool, err error,
) {
	switch {
	case strings.HasPrefix(encoded, argon2Prefix):
		ok, needsRehash, err = h.verifyArgon2(ctx, encoded, pw)
	case strings.HasPrefix(encoded, "$2"):
		ok, err = h.verifyBcrypt(ctx, encoded, pw)
		needsRehash = ok
	default:
		err = fmt.Errorf("%w: unknown scheme", ErrInvalidHash)
	}
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	return ok, needsRehash, nil
}

// VerifyDummy does the work of verifying pw against an argon2id hash with
// the Hasher's parameters, and discards the result. Call it when a login
// names an unknown account, so that the response takes as long as for a
// wrong password. It returns only [ErrBusy] or the error of ctx.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	_, _, err := h.Verify(ctx, h.dummy, pw)
	return err
}

// Computed returns the number of argon2id and bcrypt computations done so
// far by Hash, Verify and VerifyDummy.
func (h *Hasher) Computed() uint64 {
	return h.computed.Load()
}

// Check reports, without hashing anything, whether Verify could ever
// accept encoded: a well-formed argon2id hash within the bounds and the
// memory budget, or a well-formed bcrypt hash of a cost bcrypt defines.
// It is for hashes imported from another system. The error wraps
// ErrInvalidHash.
func (h *Hasher) Check(encoded string) error {
	if strings.HasPrefix(encoded, "$2") {
		if !isBcrypt(encoded) {
			return fmt.Errorf("%w: malformed bcrypt hash", ErrInvalidHash)
		}
		cost, err := bcrypt.Cost([]byte(encoded))
		if err != nil || cost < bcrypt.MinCost || cost > h.maxBcryptCost {
			return fmt.Errorf("%w: bcrypt cost out of range", ErrInvalidHash)
		}
		return nil
	}
	stored, err := parsePHC(encoded)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidHash, err)
	}
	if stored.params.Memory > uint32(h.slots)*h.params.Memory {
		return fmt.Errorf("%w: argon2id memory %d KiB exceeds the budget",
			ErrInvalidHash, stored.params.Memory)
	}
	return nil
}

func (h *Hasher) verifyArgon2(ctx context.Context, encoded, pw string) (
	ok, weak bool, err error,
) {
	stored, err := parsePHC(encoded)
	if err != nil {
		return false, false, fmt.Errorf("%w: %w", ErrInvalidHash, err)
	}
	p := stored.params
	// Round up: a hash with more memory than one slot takes several.
	slots := int((uint64(p.Memory) + uint64(h.params.Memory) - 1) / uint64(h.params.Memory))
	if slots > h.slots {
		return false, false, fmt.Errorf("%w: argon2id memory %d KiB exceeds the budget",
			ErrInvalidHash, p.Memory)
	}

	var key []byte
	err = h.run(ctx, slots, func() {
		key = argon2.IDKey([]byte(pw), stored.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	})
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(key, stored.key) == 1
	return ok, ok && p.weakerThan(h.params), nil
}

func (h *Hasher) verifyBcrypt(ctx context.Context, encoded, pw string) (bool, error) {
	if !isBcrypt(encoded) {
		return false, fmt.Errorf("%w: malformed bcrypt hash", ErrInvalidHash)
	}
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrInvalidHash, err)
	}
	if cost > h.maxBcryptCost {
		return false, fmt.Errorf("%w: bcrypt cost %d above %d",
			ErrInvalidHash, cost, h.maxBcryptCost)
	}

	var cmpErr error
	err = h.runOn(ctx, h.bcryptLim, 1, func() {
		cmpErr = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw))
	})
	switch {
	case err != nil:
		return false, err
	case errors.Is(cmpErr, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	case cmpErr != nil:
		return false, fmt.Errorf("%w: %w", ErrInvalidHash, cmpErr)
	}
	return true, nil
}

// run calls fn while holding n argon2id slots, and counts the
// computation.
func (h *Hasher) run(ctx context.Context, n int, fn func()) error {
	return h.runOn(ctx, h.lim, n, fn)
}

// runOn calls fn while holding n slots of lim, and counts the computation.
func (h *Hasher) runOn(ctx context.Context, lim *limiter, n int, fn func()) error {
	if err := lim.acquire(ctx, n, h.maxWait); err != nil {
		return err
	}
	defer lim.release(n)
	fn()
	h.computed.Add(1)
	return nil
}

// bcryptAlphabet is the base64 alphabet of bcrypt's salt and hash.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// isBcrypt reports whether s has the exact shape of a bcrypt hash:
// $2a$, $2b$ or $2y$, two cost digits, $, and 53 characters of salt and
// hash. The bcrypt package itself accepts other minor versions and ignores
// bytes past the hash.
func isBcrypt(s string) bool {
	if len(s) != 60 || s[6] != '$' {
		return false
	}
	switch s[:4] {
	case "$2a$", "$2b$", "$2y$":
	default:
		return false
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return false
	}
	for i := 7; i < len(s); i++ {
		if strings.IndexByte(bcryptAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

func randomBytes(n uint32) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails since Go 1.24; it crashes the program instead
	return b
}
