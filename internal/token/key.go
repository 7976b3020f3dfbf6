package token

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// The signing algorithms Sallyport supports, named as in JWS (RFC 7518).
const (
	ES256 = "ES256" // ECDSA on P-256 with SHA-256, the default
	EdDSA = "EdDSA" // Ed25519
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256
)

// Sizes of keys and sealed data.
const (
	// MasterKeySize is the length in bytes of the master key that seals
	// private keys.
	MasterKeySize = 32

	// minRSABits is the smallest RSA modulus OpenKey accepts and the size
	// GenerateKey creates.
	minRSABits = 2048

	// sealVersion is the first byte of sealed data; it names the format:
	// HKDF-SHA-256 of the master key, then AES-256-GCM with a random nonce
	// and the key ID as additional data, over the PKCS #8 private key.
	sealVersion = 1

	// sealInfo separates the sealing key from any other use of the master key.
	sealInfo = "sallyport token: private key seal v1"
)

// Key is a signing key. ID is the JWT kid; Algorithm is one of ES256, EdDSA
// and RS256 and must suit Signer, which is an *ecdsa.PrivateKey on P-256, an
// ed25519.PrivateKey or an *rsa.PrivateKey of at least 2048 bits. A key with
// a non-zero RetiredAt no longer signs but still verifies.
type Key struct {
	ID        string
	Algorithm string
	Signer    crypto.Signer
	CreatedAt time.Time
	RetiredAt time.Time
}

// GenerateKey creates a key for alg with a random ID and CreatedAt set to
// now.
func GenerateKey(alg string, now time.Time) (*Key, error) {
	var (
		signer crypto.Signer
		err    error
	)
	switch alg {
	case ES256:
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	case RS256:
		signer, err = rsa.GenerateKey(rand.Reader, minRSABits)
	default:
		return nil, fmt.Errorf("generate key: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	return &Key{ID: NewID(), Algorithm: alg, Signer: signer, CreatedAt: now}, nil
}

// Seal encrypts the private key for storage: PKCS #8, then AES-256-GCM under
// a key derived from master, with the key ID as additional data so that a
// sealed key cannot be moved to another row. master must be 32 bytes.
func (k *Key) Seal(master []byte) ([]byte, error) {
	if err := checkKey(k.Algorithm, k.Signer); err != nil {
		return nil, fmt.Errorf("seal key %q: %w", k.ID, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return nil, fmt.Errorf("seal key %q: %w", k.ID, err)
	}
	aead, err := sealCipher(master)
	if err != nil {
		return nil, fmt.Errorf("seal key %q: %w", k.ID, err)
	}
	return aead.Seal([]byte{sealVersion}, nil, der, []byte(k.ID)), nil
}

// OpenKey decrypts a private key sealed by [Key.Seal] and checks that it
// suits alg. A wrong master key, a different id or altered data give an error
// that matches [ErrUnseal].
func OpenKey(id, alg string, sealed, master []byte, createdAt, retiredAt time.Time) (*Key, error) {
	if len(sealed) == 0 || sealed[0] != sealVersion {
		return nil, fmt.Errorf("open key %q: %w: unknown format", id, ErrUnseal)
	}
	aead, err := sealCipher(master)
	if err != nil {
		return nil, fmt.Errorf("open key %q: %w", id, err)
	}
	der, err := aead.Open(nil, nil, sealed[1:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("open key %q: %w", id, ErrUnseal)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("open key %q: parse private key: %w", id, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("open key %q: private key of type %T cannot sign", id, parsed)
	}
	if err := checkKey(alg, signer); err != nil {
		return nil, fmt.Errorf("open key %q: %w", id, err)
	}
	k := &Key{
		ID:        id,
		Algorithm: alg,
		Signer:    signer,
		CreatedAt: createdAt,
		RetiredAt: retiredAt,
	}
	return k, nil
}

// sealCipher returns the AEAD that seals private keys under master.
func sealCipher(master []byte) (cipher.AEAD, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("master key is %d bytes, want %d", len(master), MasterKeySize)
	}
	key, err := hkdf.Key(sha256.New, master, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("derive sealing key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealing cipher: %w", err)
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// checkKey reports whether signer is a private key that alg can use.
func checkKey(alg string, signer crypto.Signer) error {
	switch k := signer.(type) {
	case *ecdsa.PrivateKey:
		if k != nil && alg == ES256 && k.Curve == elliptic.P256() {
			return nil
		}
	case ed25519.PrivateKey:
		if alg == EdDSA && len(k) == ed25519.PrivateKeySize {
			return nil
		}
	case *rsa.PrivateKey:
		if k != nil && k.N != nil && alg == RS256 && k.N.BitLen() >= minRSABits {
			return nil
		}
	case nil:
		return errors.New("no private key")
	}
	return fmt.Errorf("private key of type %T does not suit algorithm %q", signer, alg)
}

// NewID returns a random identifier with 128 bits of entropy, written in
// base32 (A-Z, 2-7) so that it is safe in URLs, file names and shell
// arguments. It serves for key IDs, token IDs (jti), session IDs and user
// IDs.
func NewID() string {
	return rand.Text()
}
