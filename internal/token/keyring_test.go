package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"slices"
	"testing"
)

func TestKeyringSet(t *testing.T) {
	ks := testKeys()
	retired := func(k *Key) *Key {
		c := *k
		c.RetiredAt = testNow
		return &c
	}
	renamed := func(k *Key, id string) *Key {
		c := *k
		c.ID = id
		return &c
	}
	mislabelled := &Key{ID: "mislabelled", Algorithm: RS256, Signer: ks.es.Signer,
		CreatedAt: testNow}
	// es is newer than ed, which is newer than rs.
	tests := []struct {
		name       string
		keys       []*Key
		wantSigner *Key
		wantIDs    []string // newest first
		wantAlgs   []string
	}{
		{"empty", nil, nil, nil, nil},
		{"one key", []*Key{ks.rs}, ks.rs, []string{ks.rs.ID}, []string{RS256}},
		{"newest signs, any order", []*Key{ks.rs, ks.es, ks.ed}, ks.es,
			[]string{ks.es.ID, ks.ed.ID, ks.rs.ID}, []string{ES256, EdDSA, RS256}},
		{"retired newest does not sign", []*Key{retired(ks.es), ks.ed, ks.rs}, ks.ed,
			[]string{ks.es.ID, ks.ed.ID, ks.rs.ID}, []string{ES256, EdDSA, RS256}},
		{"all retired: none signs, all verify", []*Key{retired(ks.es), retired(ks.ed)}, nil,
			[]string{ks.es.ID, ks.ed.ID}, []string{ES256, EdDSA}},
		{"bad keys left out", []*Key{nil, renamed(ks.es, ""), mislabelled, ks.ed,
			{ID: "no-signer", Algorithm: ES256}}, ks.ed,
			[]string{ks.ed.ID}, []string{EdDSA}},
		{"duplicate ID: first wins", []*Key{ks.ed, renamed(ks.es, ks.ed.ID)}, ks.ed,
			[]string{ks.ed.ID}, []string{EdDSA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewKeyring()
			r.Set(tt.keys)
			if got := r.Signer(); got != tt.wantSigner {
				t.Errorf("got signer %v, want %v", keyID(got), keyID(tt.wantSigner))
			}
			var gotIDs []string
			for _, k := range r.Keys() {
				gotIDs = append(gotIDs, k.ID)
			}
			if !slices.Equal(gotIDs, tt.wantIDs) {
				t.Errorf("got keys %v, want %v", gotIDs, tt.wantIDs)
			}
			if got := r.Algorithms(); !slices.Equal(got, tt.wantAlgs) {
				t.Errorf("got algorithms %v, want %v", got, tt.wantAlgs)
			}
			var set struct{ Keys []map[string]string }
			if err := json.Unmarshal(r.JWKS(), &set); err != nil {
				t.Fatalf("JWKS %s: %v", r.JWKS(), err)
			}
			if len(set.Keys) != len(tt.wantIDs) {
				t.Errorf("got %d JWKs, want %d", len(set.Keys), len(tt.wantIDs))
			}
		})
	}
}

func TestKeyringZeroValue(t *testing.T) {
	var r Keyring
	if r.Signer() != nil || len(r.Keys()) != 0 || len(r.Algorithms()) != 0 {
		t.Errorf("got signer %v, keys %v, algorithms %v; want none",
			r.Signer(), r.Keys(), r.Algorithms())
	}
	if got, want := string(r.JWKS()), `{"keys":[]}`; got != want {
		t.Errorf("got JWKS %s, want %s", got, want)
	}
	if _, err := Issue(&r, Claims{}); err == nil {
		t.Error("Issue on an empty ring: got no error, want one")
	}
}

func TestKeyringJWKS(t *testing.T) {
	r, ks := testRing(t)
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(r.JWKS(), &set); err != nil {
		t.Fatalf("JWKS %s: %v", r.JWKS(), err)
	}
	want := []struct {
		key    *Key
		fields []string
	}{
		{ks.es, []string{"kty", "use", "alg", "kid", "crv", "x", "y"}},
		{ks.ed, []string{"kty", "use", "alg", "kid", "crv", "x"}},
		{ks.rs, []string{"kty", "use", "alg", "kid", "n", "e"}},
	}
	if len(set.Keys) != len(want) {
		t.Fatalf("got %d keys, want %d", len(set.Keys), len(want))
	}
	for i, w := range want {
		t.Run(w.key.Algorithm, func(t *testing.T) {
			j := set.Keys[i]
			gotFields := slices.Sorted(func(yield func(string) bool) {
				for f := range j {
					if !yield(f) {
						return
					}
				}
			})
			if wantFields := slices.Sorted(slices.Values(w.fields)); !slices.Equal(gotFields,
				wantFields) {
				t.Errorf("got fields %v, want exactly %v", gotFields, wantFields)
			}
			if j["kid"] != w.key.ID || j["alg"] != w.key.Algorithm || j["use"] != "sig" {
				t.Errorf("got kid %q alg %q use %q, want %q %q %q", j["kid"], j["alg"],
					j["use"], w.key.ID, w.key.Algorithm, "sig")
			}
			pub, err := parseJWK(j)
			if err != nil {
				t.Fatal(err)
			}
			if !samePublic(signerOf{pub}, w.key.Signer) {
				t.Error("JWK does not hold the key's public key")
			}
		})
	}

	t.Run("rebuilt by Set", func(t *testing.T) {
		before := string(r.JWKS())
		r.Set([]*Key{ks.ed})
		if string(r.JWKS()) == before {
			t.Error("JWKS unchanged after Set")
		}
	})
}

// parseJWK rebuilds a public key from a JWK, independently of publicJWK.
func parseJWK(j map[string]string) (crypto.PublicKey, error) {
	dec := func(s string) []byte {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		return b
	}
	switch j["kty"] {
	case "EC":
		point := append([]byte{4}, dec(j["x"])...)
		point = append(point, dec(j["y"])...)
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	case "OKP":
		return ed25519.PublicKey(dec(j["x"])), nil
	case "RSA":
		n := new(big.Int).SetBytes(dec(j["n"]))
		e := new(big.Int).SetBytes(dec(j["e"]))
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	}
	return nil, nil
}

// signerOf adapts a public key to samePublic.
type signerOf struct{ pub crypto.PublicKey }

func (s signerOf) Public() crypto.PublicKey { return s.pub }

func (s signerOf) Sign(_ io.Reader, _ []byte, _ crypto.SignerOpts) ([]byte, error) {
	return nil, nil
}

func keyID(k *Key) string {
	if k == nil {
		return "<nil>"
	}
	return k.ID
}
