package storetest

import (
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

func newService(name string, created time.Time) store.ServiceAccount {
	return store.ServiceAccount{
		ID:         "id-" + name,
		Name:       name,
		SecretHash: "secret-of-" + name,
		CreatedAt:  created,
	}
}

func mustCreateService(t *testing.T, s store.Store, a store.ServiceAccount) {
	t.Helper()
	if err := s.CreateService(t.Context(), a); err != nil {
		t.Fatalf("CreateService(%q): %v", a.Name, err)
	}
}

func checkService(t *testing.T, what string, got, want store.ServiceAccount) {
	t.Helper()
	checkUTC(t, what, got.CreatedAt)
	got.CreatedAt, want.CreatedAt = ms(got.CreatedAt), ms(want.CreatedAt)
	if got != want {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

// checkServices compares the whole list, in order.
func checkServices(t *testing.T, what string, got, want []store.ServiceAccount) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d accounts %+v, want %d", what, len(got), got, len(want))
	}
	for i := range want {
		checkService(t, what, got[i], want[i])
	}
}

func testCreateService(t *testing.T, s store.Store) {
	a := newService("feed-reader", base)
	mustCreateService(t, s, a)

	got, err := s.ServiceBySecretHash(t.Context(), a.SecretHash)
	if err != nil {
		t.Fatalf("ServiceBySecretHash: %v", err)
	}
	checkService(t, "ServiceBySecretHash", got, a)

	_, err = s.ServiceBySecretHash(t.Context(), "secret-of-nobody")
	wantErr(t, "ServiceBySecretHash of an unknown secret", err, store.ErrNotFound)
	_, err = s.ServiceBySecretHash(t.Context(), "Secret-of-feed-reader")
	wantErr(t, "ServiceBySecretHash with other case", err, store.ErrNotFound)
}

func testCreateServiceConflict(t *testing.T, s store.Store) {
	first := newService("api", base)
	mustCreateService(t, s, first)

	tests := []struct {
		name    string
		account store.ServiceAccount
	}{
		{"same id", store.ServiceAccount{ID: first.ID, Name: "other", SecretHash: "s1"}},
		{"same name", store.ServiceAccount{ID: "id-2", Name: first.Name, SecretHash: "s2"}},
		{"same secret", store.ServiceAccount{ID: "id-3", Name: "third",
			SecretHash: first.SecretHash}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.account.CreatedAt = at(time.Hour)
			err := s.CreateService(t.Context(), tt.account)
			wantErr(t, "CreateService", err, store.ErrConflict)

			list, err := s.ListServices(t.Context())
			if err != nil {
				t.Fatalf("ListServices: %v", err)
			}
			checkServices(t, "ListServices after a refused create", list,
				[]store.ServiceAccount{first})
		})
	}
}

func testListServices(t *testing.T, s store.Store) {
	list, err := s.ListServices(t.Context())
	if err != nil {
		t.Fatalf("ListServices on an empty store: %v", err)
	}
	if len(list) != 0 {
		t.Fatalf("ListServices on an empty store: got %d accounts, want 0", len(list))
	}

	// Created out of order; b and c at the same time, so the id decides.
	a, b, c := newService("a", at(-day)), newService("b", base), newService("c", base)
	for _, acct := range []store.ServiceAccount{c, a, b} {
		mustCreateService(t, s, acct)
	}
	list, err = s.ListServices(t.Context())
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	checkServices(t, "ListServices", list, []store.ServiceAccount{a, b, c})
}

func testDeleteService(t *testing.T, s store.Store) {
	keep, gone := newService("keep", base), newService("gone", at(time.Hour))
	mustCreateService(t, s, keep)
	mustCreateService(t, s, gone)

	if err := s.DeleteService(t.Context(), gone.Name); err != nil {
		t.Fatalf("DeleteService: %v", err)
	}
	_, err := s.ServiceBySecretHash(t.Context(), gone.SecretHash)
	wantErr(t, "ServiceBySecretHash of the deleted account", err, store.ErrNotFound)
	got, err := s.ServiceBySecretHash(t.Context(), keep.SecretHash)
	if err != nil {
		t.Fatalf("ServiceBySecretHash of the other account: %v", err)
	}
	checkService(t, "the other account", got, keep)

	tests := []struct {
		name string
		arg  string
	}{
		{"deleted twice", gone.Name},
		{"never there", "nobody"},
		{"by id instead of name", keep.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.DeleteService(t.Context(), tt.arg)
			wantErr(t, "DeleteService", err, store.ErrNotFound)
		})
	}

	list, err := s.ListServices(t.Context())
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	checkServices(t, "ListServices after the deletes", list, []store.ServiceAccount{keep})

	// The name and the secret are free again.
	again := gone
	again.ID = "id-gone-2"
	if err := s.CreateService(t.Context(), again); err != nil {
		t.Errorf("CreateService with a deleted account's name: got %v, want nil", err)
	}
}
