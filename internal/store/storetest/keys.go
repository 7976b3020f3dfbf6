package storetest

import (
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

func testSigningKeys(t *testing.T, s store.Store) {
	keys, err := s.ListKeys(t.Context())
	if err != nil {
		t.Fatalf("ListKeys on an empty store: %v", err)
	}
	if len(keys) != 0 {
		t.Fatalf("ListKeys on an empty store: got %d keys, want 0", len(keys))
	}

	k1 := store.SigningKey{ID: "k1", Algorithm: "ES256", Sealed: []byte{1, 2, 3},
		CreatedAt: at(-60 * day)}
	k2 := store.SigningKey{ID: "k2", Algorithm: "EdDSA", Sealed: []byte{4, 5},
		CreatedAt: at(-day)}
	k3 := store.SigningKey{ID: "k3", Algorithm: "RS256", Sealed: []byte{0, 255},
		CreatedAt: base}

	tests := []struct {
		add  store.SigningKey
		want []store.SigningKey // ListKeys after adding add
	}{
		{k1, []store.SigningKey{k1}},
		{k2, []store.SigningKey{retired(k1, k2.CreatedAt), k2}},
		{k3, []store.SigningKey{
			retired(k1, k2.CreatedAt), retired(k2, k3.CreatedAt), k3,
		}},
	}
	for _, tt := range tests {
		t.Run("add "+tt.add.ID, func(t *testing.T) {
			if err := s.AddSigningKey(t.Context(), tt.add); err != nil {
				t.Fatalf("AddSigningKey: %v", err)
			}
			got, err := s.ListKeys(t.Context())
			if err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ListKeys: got %d keys, want %d", len(got), len(tt.want))
			}
			for i := range tt.want {
				checkKey(t, "ListKeys", got[i], tt.want[i])
			}
		})
	}
}

func retired(k store.SigningKey, when time.Time) store.SigningKey {
	k.RetiredAt = when
	return k
}
