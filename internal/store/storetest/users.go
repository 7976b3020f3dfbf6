package storetest

import (
	"testing"

	"github.com/sallyport/sallyport/internal/store"
)

func testCreateUser(t *testing.T, s store.Store) {
	u := newUser("ann")
	u.Role = "admin"
	u.UpdatedAt = at(day)
	mustCreateUser(t, s, u)

	got, err := s.UserByID(t.Context(), u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, "UserByID", got, u)

	got, err = s.UserByEmail(t.Context(), u.Email)
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	checkUser(t, "UserByEmail", got, u)

	disabled := newUser("bob")
	disabled.Disabled = true
	mustCreateUser(t, s, disabled)
	got, err = s.UserByID(t.Context(), disabled.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, "disabled user", got, disabled)
}

func testCreateUserConflict(t *testing.T, s store.Store) {
	ann := newUser("ann")
	mustCreateUser(t, s, ann)

	tests := []struct {
		name string
		user store.User
	}{
		{"same email", store.User{ID: "ann2", Email: ann.Email, Role: "user"}},
		{"same id", store.User{ID: ann.ID, Email: "other@example.com", Role: "user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.CreateUser(t.Context(), tt.user)
			wantErr(t, "CreateUser", err, store.ErrConflict)

			got, err := s.UserByID(t.Context(), ann.ID)
			if err != nil {
				t.Fatalf("UserByID: %v", err)
			}
			checkUser(t, "first user", got, ann)
		})
	}

	_, err := s.UserByID(t.Context(), "ann2")
	wantErr(t, "UserByID of the refused user", err, store.ErrNotFound)
	_, err = s.UserByEmail(t.Context(), "other@example.com")
	wantErr(t, "UserByEmail of the refused user", err, store.ErrNotFound)
}

func testUserNotFound(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))

	_, err := s.UserByID(t.Context(), "nobody")
	wantErr(t, "UserByID", err, store.ErrNotFound)
	_, err = s.UserByEmail(t.Context(), "nobody@example.com")
	wantErr(t, "UserByEmail", err, store.ErrNotFound)
}

func testEmailByteForByte(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))

	_, err := s.UserByEmail(t.Context(), "Ann@example.com")
	wantErr(t, "UserByEmail with other case", err, store.ErrNotFound)

	upper := newUser("ann-upper")
	upper.Email = "Ann@example.com"
	if err := s.CreateUser(t.Context(), upper); err != nil {
		t.Fatalf("CreateUser with an email differing in case: got %v, want nil", err)
	}
	got, err := s.UserByEmail(t.Context(), upper.Email)
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	checkUser(t, "UserByEmail", got, upper)
}

func testListUsers(t *testing.T, s store.Store) {
	users, err := s.ListUsers(t.Context())
	if err != nil {
		t.Fatalf("ListUsers on an empty store: %v", err)
	}
	if len(users) != 0 {
		t.Fatalf("ListUsers on an empty store: got %d users, want 0", len(users))
	}

	a, b, c := newUser("a"), newUser("b"), newUser("c")
	a.CreatedAt, b.CreatedAt, c.CreatedAt = at(-2*day), at(-day), base
	for _, u := range []store.User{b, c, a} {
		mustCreateUser(t, s, u)
	}

	users, err = s.ListUsers(t.Context())
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	want := []store.User{a, b, c}
	if len(users) != len(want) {
		t.Fatalf("ListUsers: got %d users, want %d", len(users), len(want))
	}
	for i := range want {
		checkUser(t, "ListUsers", users[i], want[i])
	}
}

func testUpdateUser(t *testing.T, s store.Store) {
	newHash, admin, yes, no := "new-hash", "admin", true, false
	later := at(day)

	tests := []struct {
		name     string
		disabled bool // the user's state before the update
		upd      store.UserUpdate
		want     func(u store.User) store.User
	}{{
		name:     "password only",
		disabled: true,
		upd:      store.UserUpdate{PasswordHash: &newHash, UpdatedAt: later},
		want:     func(u store.User) store.User { u.PasswordHash = newHash; return u },
	}, {
		name: "role only",
		upd:  store.UserUpdate{Role: &admin, UpdatedAt: later},
		want: func(u store.User) store.User { u.Role = admin; return u },
	}, {
		name: "disable",
		upd:  store.UserUpdate{Disabled: &yes, UpdatedAt: later},
		want: func(u store.User) store.User { u.Disabled = true; return u },
	}, {
		name:     "enable",
		disabled: true,
		upd:      store.UserUpdate{Disabled: &no, UpdatedAt: later},
		want:     func(u store.User) store.User { u.Disabled = false; return u },
	}, {
		name: "every field",
		upd: store.UserUpdate{
			PasswordHash: &newHash, Role: &admin, Disabled: &yes, UpdatedAt: later,
		},
		want: func(u store.User) store.User {
			u.PasswordHash, u.Role, u.Disabled = newHash, admin, true
			return u
		},
	}, {
		name:     "time only",
		disabled: true,
		upd:      store.UserUpdate{UpdatedAt: later},
		want:     func(u store.User) store.User { return u },
	}}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUser(string(rune('a' + i)))
			u.Role, u.Disabled = "editor", tt.disabled
			mustCreateUser(t, s, u)

			if err := s.UpdateUser(t.Context(), u.ID, tt.upd); err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
			got, err := s.UserByID(t.Context(), u.ID)
			if err != nil {
				t.Fatalf("UserByID: %v", err)
			}
			want := tt.want(u)
			want.UpdatedAt = later
			checkUser(t, "updated user", got, want)
		})
	}
}

func testUpdateUserNotFound(t *testing.T, s store.Store) {
	role := "admin"
	err := s.UpdateUser(t.Context(), "nobody", store.UserUpdate{Role: &role, UpdatedAt: base})
	wantErr(t, "UpdateUser", err, store.ErrNotFound)

	_, err = s.UserByID(t.Context(), "nobody")
	wantErr(t, "UserByID after UpdateUser", err, store.ErrNotFound)
}
