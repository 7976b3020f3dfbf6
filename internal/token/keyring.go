package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
)

// Keyring holds the keys that sign and verify access tokens. It is safe for
// concurrent use; readers never block. The zero value is an empty ring, but
// NewKeyring is the usual way to make one.
type Keyring struct {
	mu    sync.Mutex // serialises Set
	state atomic.Pointer[ringState]
}

// ringState is an immutable snapshot of a Keyring.
type ringState struct {
	keys   []*Key // newest first
	byID   map[string]*Key
	signer *Key
	jwks   []byte
	algs   []string

	// gen changes whenever a key that verifies is added, removed or
	// replaced; Verifier drops cached tokens from an older generation.
	gen uint64
}

var emptyRing = newRingState(nil, 0)

// NewKeyring returns an empty keyring.
func NewKeyring() *Keyring {
	return &Keyring{}
}

// Set replaces the keys in the ring. The signer becomes the newest key, by
// CreatedAt, whose RetiredAt is zero; every key verifies. Set leaves out nil
// keys, keys without an ID, keys whose Signer does not suit their Algorithm
// (GenerateKey and OpenKey never make such keys), and all but the first key
// with a given ID.
//
// Tokens that a Verifier has cached stay cached when Set keeps the same
// verifying keys, and are checked afresh otherwise, so removing a key takes
// effect at once.
func (r *Keyring) Set(keys []*Key) {
	r.mu.Lock()
	defer r.mu.Unlock()

	old := r.load()
	gen := old.gen
	next := newRingState(keys, gen)
	if !sameVerifyingKeys(old, next) {
		next.gen = gen + 1
	}
	r.state.Store(next)
}

// Signer returns the key that signs new tokens, or nil if there is none.
func (r *Keyring) Signer() *Key {
	return r.load().signer
}

// Keys returns the keys in the ring, newest first. The slice is a copy; the
// keys are shared and must not be modified.
func (r *Keyring) Keys() []*Key {
	return slices.Clone(r.load().keys)
}

// JWKS returns the public keys as a JSON Web Key Set, {"keys":[...]}, each
// with kty, crv and x, y (EC and OKP) or n, e (RSA), plus kid, alg and use
// "sig". The document is built by Set; the caller must not modify it.
func (r *Keyring) JWKS() []byte {
	return r.load().jwks
}

// Algorithms returns the distinct algorithms of the keys in the ring, sorted.
func (r *Keyring) Algorithms() []string {
	return slices.Clone(r.load().algs)
}

// load returns the current state; an unset or nil ring is empty.
func (r *Keyring) load() *ringState {
	if r == nil {
		return emptyRing
	}
	if s := r.state.Load(); s != nil {
		return s
	}
	return emptyRing
}

func newRingState(keys []*Key, gen uint64) *ringState {
	type entry struct {
		key *Key
		pub jwk
	}
	var entries []entry
	s := &ringState{byID: make(map[string]*Key, len(keys)), gen: gen}
	for _, k := range keys {
		if k == nil || k.ID == "" || s.byID[k.ID] != nil {
			continue
		}
		if checkKey(k.Algorithm, k.Signer) != nil {
			continue
		}
		pub, err := publicJWK(k)
		if err != nil {
			continue
		}
		s.byID[k.ID] = k
		entries = append(entries, entry{k, pub})
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return b.key.CreatedAt.Compare(a.key.CreatedAt)
	})

	set := jwkSet{Keys: make([]jwk, 0, len(entries))}
	for _, e := range entries {
		s.keys = append(s.keys, e.key)
		set.Keys = append(set.Keys, e.pub)
		if s.signer == nil && e.key.RetiredAt.IsZero() {
			s.signer = e.key
		}
		if !slices.Contains(s.algs, e.key.Algorithm) {
			s.algs = append(s.algs, e.key.Algorithm)
		}
	}
	slices.Sort(s.algs)

	data, err := json.Marshal(set)
	if err != nil {
		// Marshalling a struct of strings cannot fail.
		panic(fmt.Sprintf("token: marshal JWKS: %v", err))
	}
	s.jwks = data
	return s
}

// sameVerifyingKeys reports whether a and b hold the same IDs with the same
// public keys.
func sameVerifyingKeys(a, b *ringState) bool {
	if len(a.byID) != len(b.byID) {
		return false
	}
	for id, ka := range a.byID {
		kb := b.byID[id]
		if kb == nil || ka.Algorithm != kb.Algorithm {
			return false
		}
		pub, ok := ka.Signer.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(kb.Signer.Public()) {
			return false
		}
	}
	return true
}

// jwkSet is a JSON Web Key Set (RFC 7517).
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// jwk is a public JSON Web Key.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// publicJWK returns the public half of k, which checkKey has accepted.
func publicJWK(k *Key) (jwk, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	j := jwk{Use: "sig", Alg: k.Algorithm, Kid: k.ID}
	switch pub := k.Signer.Public().(type) {
	case *ecdsa.PublicKey:
		// Bytes is 0x04 || x || y, each coordinate 32 bytes for P-256.
		point, err := pub.Bytes()
		if err != nil {
			return jwk{}, fmt.Errorf("encode key %q: %w", k.ID, err)
		}
		size := (len(point) - 1) / 2
		j.Kty, j.Crv = "EC", "P-256"
		j.X, j.Y = b64(point[1:1+size]), b64(point[1+size:])
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(pub)
	case *rsa.PublicKey:
		j.Kty = "RSA"
		j.N = b64(pub.N.Bytes())
		j.E = b64(big.NewInt(int64(pub.E)).Bytes())
	}
	return j, nil
}
