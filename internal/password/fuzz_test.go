package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// FuzzVerify feeds arbitrary stored hashes to Verify. It must never panic,
// must refuse what it cannot use with ErrInvalidHash and no verdict, and
// must accept an argon2id string only in the canonical form Hash writes.
// The seeds in testdata/fuzz/FuzzVerify include valid hashes of fuzzPassword.
func FuzzVerify(f *testing.F) {
	const fuzzPassword = "correct horse"
	// Four slots of testParams bound the memory of any accepted hash, and a
	// low bcrypt cap keeps each input fast.
	h := newTestHasher(f, 4, time.Minute)
	h.maxBcryptCost = bcrypt.MinCost + 1

	f.Fuzz(func(t *testing.T, encoded string) {
		ok, rehash, err := h.Verify(context.Background(), encoded, fuzzPassword)
		if err != nil {
			if ok || rehash {
				t.Errorf("Verify(%q): got %v, %v with error %v; want false, false",
					encoded, ok, rehash, err)
			}
			if !errors.Is(err, ErrInvalidHash) {
				t.Errorf("Verify(%q): got error %v, want ErrInvalidHash", encoded, err)
			}
			return
		}
		if !strings.HasPrefix(encoded, argon2Prefix) {
			return
		}
		stored, err := parsePHC(encoded)
		if err != nil {
			t.Fatalf("parsePHC(%q): got %v after Verify accepted it", encoded, err)
		}
		if got := encodePHC(stored.params, stored.salt, stored.key); got != encoded {
			t.Errorf("encodePHC(parsePHC(%q)): got %q, want the input", encoded, got)
		}
	})
}
