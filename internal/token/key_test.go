package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base32"
	"errors"
	"regexp"
	"testing"
	"time"
)

func TestGenerateKey(t *testing.T) {
	ks := testKeys()
	tests := []struct {
		alg  string
		key  *Key
		want any // the type of Signer
	}{
		{ES256, ks.es, &ecdsa.PrivateKey{}},
		{EdDSA, ks.ed, ed25519.PrivateKey{}},
		{RS256, ks.rs, &rsa.PrivateKey{}},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			k := tt.key
			if k.Algorithm != tt.alg {
				t.Errorf("got algorithm %q, want %q", k.Algorithm, tt.alg)
			}
			if err := checkKey(k.Algorithm, k.Signer); err != nil {
				t.Errorf("got unusable key: %v", err)
			}
			if k.CreatedAt.IsZero() || !k.RetiredAt.IsZero() {
				t.Errorf("got created %v retired %v, want created set, retired zero",
					k.CreatedAt, k.RetiredAt)
			}
			if len(k.ID) < 22 {
				t.Errorf("got ID %q, want at least 128 bits", k.ID)
			}
		})
	}

	t.Run("unsupported", func(t *testing.T) {
		for _, alg := range []string{"", "HS256", "none", "es256", "ES384", "PS256"} {
			if k, err := GenerateKey(alg, testNow); err == nil {
				t.Errorf("GenerateKey(%q): got %v, want an error", alg, k)
			}
		}
	})
}

func TestNewID(t *testing.T) {
	urlSafe := regexp.MustCompile(`^[A-Z2-7]+$`)
	seen := make(map[string]bool)
	for range 1000 {
		id := NewID()
		if !urlSafe.MatchString(id) {
			t.Fatalf("got ID %q, want only A-Z and 2-7", id)
		}
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(id)
		if err != nil || len(raw)*8 < 128 {
			t.Fatalf("got ID %q (%d bytes, %v), want at least 128 bits", id, len(raw), err)
		}
		if seen[id] {
			t.Fatalf("got ID %q twice", id)
		}
		seen[id] = true
	}
}

func TestSealOpen(t *testing.T) {
	ks := testKeys()
	master := bytes.Repeat([]byte{7}, MasterKeySize)
	retired := testNow.Add(time.Minute)
	for _, k := range []*Key{ks.es, ks.ed, ks.rs} {
		t.Run(k.Algorithm, func(t *testing.T) {
			sealed, err := k.Seal(master)
			if err != nil {
				t.Fatal(err)
			}
			again, err := k.Seal(master)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(sealed, again) {
				t.Error("got the same ciphertext twice, want a fresh nonce each time")
			}
			got, err := OpenKey(k.ID, k.Algorithm, sealed, master, k.CreatedAt, retired)
			if err != nil {
				t.Fatal(err)
			}
			if !samePublic(got.Signer, k.Signer) {
				t.Error("got a different key back")
			}
			if got.ID != k.ID || got.Algorithm != k.Algorithm ||
				!got.CreatedAt.Equal(k.CreatedAt) || !got.RetiredAt.Equal(retired) {
				t.Errorf("got %s %s %v %v, want %s %s %v %v",
					got.ID, got.Algorithm, got.CreatedAt, got.RetiredAt,
					k.ID, k.Algorithm, k.CreatedAt, retired)
			}
		})
	}
}

func TestOpenKeyRefuses(t *testing.T) {
	k := testKeys().es
	master := bytes.Repeat([]byte{7}, MasterKeySize)
	sealed, err := k.Seal(master)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	otherMaster := bytes.Repeat([]byte{8}, MasterKeySize)

	tests := []struct {
		name       string
		id, alg    string
		sealed     []byte
		master     []byte
		wantUnseal bool
	}{
		{"wrong master key", k.ID, ES256, sealed, otherMaster, true},
		{"other key ID", "other-id", ES256, sealed, master, true},
		{"flipped nonce bit", k.ID, ES256, flip(1), master, true},
		{"flipped ciphertext bit", k.ID, ES256, flip(len(sealed) / 2), master, true},
		{"flipped tag bit", k.ID, ES256, flip(len(sealed) - 1), master, true},
		{"unknown version", k.ID, ES256, flip(0), master, true},
		{"truncated", k.ID, ES256, sealed[:20], master, true},
		{"empty", k.ID, ES256, nil, master, true},
		{"wrong algorithm", k.ID, EdDSA, sealed, master, false},
		{"unknown algorithm", k.ID, "HS256", sealed, master, false},
		{"short master key", k.ID, ES256, sealed, master[:16], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenKey(tt.id, tt.alg, tt.sealed, tt.master, testNow, time.Time{})
			if err == nil {
				t.Fatalf("got key %v, want an error", got)
			}
			if errors.Is(err, ErrUnseal) != tt.wantUnseal {
				t.Errorf("got %v, want ErrUnseal %v", err, tt.wantUnseal)
			}
		})
	}
}

func TestSealRefuses(t *testing.T) {
	ks := testKeys()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	master := make([]byte, MasterKeySize)
	tests := []struct {
		name   string
		key    *Key
		master []byte
	}{
		{"master key too short", ks.es, master[:31]},
		{"master key too long", ks.es, append(master, 0)},
		{"algorithm does not suit key", &Key{ID: "x", Algorithm: RS256, Signer: ks.es.Signer},
			master},
		{"P-384 key for ES256", &Key{ID: "x", Algorithm: ES256, Signer: p384}, master},
		{"no signer", &Key{ID: "x", Algorithm: ES256}, master},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := tt.key.Seal(tt.master); err == nil {
				t.Errorf("got %d sealed bytes, want an error", len(got))
			}
		})
	}
}

// samePublic reports whether a and b have equal public keys.
func samePublic(a, b crypto.Signer) bool {
	pub, ok := a.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(b.Public())
}
