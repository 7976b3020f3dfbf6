package testdb_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/testdb"
)

func TestBackends(t *testing.T) {
	want := []string{"sqlite", "postgres", "mongo"}
	if got := testdb.Backends(); !slices.Equal(got, want) {
		t.Errorf("Backends: got %q, want %q", got, want)
	}
}

// TestOpenIsFreshAndEmpty opens two stores of each backend: each starts
// empty, and what one stores the other does not see.
func TestOpenIsFreshAndEmpty(t *testing.T) {
	for _, backend := range testdb.Backends() {
		t.Run(backend, func(t *testing.T) {
			first, second := testdb.Open(t, backend), testdb.Open(t, backend)
			for _, s := range []store.Store{first, second} {
				users, err := s.ListUsers(t.Context())
				if err != nil || len(users) != 0 {
					t.Fatalf("ListUsers on a new store: got %d users, %v; want 0, nil",
						len(users), err)
				}
			}
			u := store.User{ID: "ann", Email: "ann@example.com", Role: "user"}
			if err := first.CreateUser(t.Context(), u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if _, err := second.UserByID(t.Context(), u.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UserByID on the other store: got %v, want %v", err, store.ErrNotFound)
			}
			if backend != "mongo" {
				if reason := testdb.RaceSkipReason(t, backend); reason != "" {
					t.Errorf("RaceSkipReason(%q): got %q, want none", backend, reason)
				}
			}
		})
	}
}

func TestURLsDiffer(t *testing.T) {
	for _, backend := range testdb.Backends() {
		t.Run(backend, func(t *testing.T) {
			if a, b := testdb.URL(t, backend), testdb.URL(t, backend); a == b {
				t.Errorf("two URLs: got %q twice, want two databases", a)
			}
		})
	}
}
