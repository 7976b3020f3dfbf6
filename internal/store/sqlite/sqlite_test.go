package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/sqlite"
	"github.com/sallyport/sallyport/internal/store/storetest"
)

// openTemp opens a new store in a directory that the test removes.
func openTemp(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "sallyport.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sallyport.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	want, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if want < 1 {
		t.Fatalf("SchemaVersion after Open: got %d, want at least 1", want)
	}
	u := store.User{ID: "ann", Email: "ann@example.com", Role: "user"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s.Close()
	if _, err := s.UserByID(ctx, u.ID); err != nil {
		t.Errorf("UserByID after reopening: got %v, want the user", err)
	}
	if got, err := s.SchemaVersion(ctx); err != nil || got != want {
		t.Errorf("SchemaVersion after reopening: got %d, %v; want %d, nil", got, err, want)
	}
	if applied, err := s.Migrate(ctx); err != nil || applied != 0 {
		t.Errorf("Migrate after reopening: got %d, %v; want 0, nil", applied, err)
	}
	if n := countRows(t, path, "SELECT COUNT(*) FROM schema_migrations"); n != want {
		t.Errorf("rows in schema_migrations: got %d, want %d", n, want)
	}
}

func TestOpenSetsUpTheFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing", "data")
	path := filepath.Join(dir, "sallyport.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()

	info, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("stat the directory: %v", err)
	}
	if got := info.Mode().Perm(); got != 0o700 {
		t.Errorf("directory mode: got %v, want %v", got, os.FileMode(0o700))
	}
	db := rawDB(t, path)
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatalf("read journal mode: %v", err)
	}
	if mode != "wal" {
		t.Errorf("journal mode: got %q, want %q", mode, "wal")
	}
}

func TestOpenFails(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	junk := []byte("this is not a database, not at all, and it is long enough.")
	if err := os.WriteFile(garbage, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	s := openAt(t, newer)
	s.Close()
	db := rawDB(t, newer)
	if _, err := db.Exec("INSERT INTO schema_migrations VALUES (999, 0)"); err != nil {
		t.Fatalf("insert a future migration: %v", err)
	}

	tests := []struct {
		name string
		path string
	}{
		{"question mark in path", filepath.Join(dir, "a?b.db")},
		{"a directory", dir},
		{"not a database", garbage},
		{"migrated by a newer build", newer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.Open(t.Context(), tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q): got nil error, want one", tt.path)
			}
		})
	}
}

func TestClosedIsUnavailable(t *testing.T) {
	ctx := t.Context()
	s := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	tests := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return s.Ping(ctx) }},
		{"UserByID", func() error { _, err := s.UserByID(ctx, "ann"); return err }},
		{"CreateUser", func() error { return s.CreateUser(ctx, store.User{ID: "ann"}) }},
		{"RotateRefreshToken", func() error {
			_, err := s.RotateRefreshToken(ctx, store.Rotation{ParentHash: "p"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("got %v, want %v", err, store.ErrUnavailable)
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
}

func TestConflictKeepsCause(t *testing.T) {
	s := openTemp(t)
	u := store.User{ID: "ann", Email: "ann@example.com"}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	err := s.CreateUser(t.Context(), u)
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second CreateUser: got %v, want %v", err, store.ErrConflict)
	}
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("second CreateUser: got %v, which matches another sentinel too", err)
	}
}

func TestRefusedRotationChangesNothing(t *testing.T) {
	ctx := t.Context()
	s := openTemp(t)
	if err := s.CreateUser(ctx, store.User{ID: "ann", Email: "ann@example.com"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	sess := store.Session{ID: "s1", UserID: "ann"}
	if err := s.CreateSession(ctx, sess, store.RefreshToken{Hash: "p"}); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	other := store.Session{ID: "s2", UserID: "ann"}
	if err := s.CreateSession(ctx, other, store.RefreshToken{Hash: "taken"}); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}

	tests := []struct {
		name  string
		child store.RefreshToken
		want  error
	}{
		{"child hash taken", store.RefreshToken{Hash: "taken"}, store.ErrConflict},
		{"child in another session", store.RefreshToken{Hash: "c", SessionID: "s2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := store.Rotation{ParentHash: "p", Nonce: []byte("n"), Child: tt.child,
				At: time.Now()}
			_, err := s.RotateRefreshToken(ctx, r)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("RotateRefreshToken: got %v, want an error matching %v", err, tt.want)
			}
			parent, _, err := s.RefreshToken(ctx, "p")
			if err != nil {
				t.Fatalf("RefreshToken: %v", err)
			}
			if !parent.RotatedAt.IsZero() {
				t.Errorf("parent after a refused rotation: got rotated at %v, want live",
					parent.RotatedAt)
			}
		})
	}
}

func BenchmarkRotate(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	if err := s.CreateUser(ctx, store.User{ID: "ann", Email: "ann@example.com"}); err != nil {
		b.Fatalf("CreateUser: %v", err)
	}
	var sessions atomic.Int64

	b.SetParallelism(16) // 32 clients on 2 cores, as in the target
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprintf("s%d", sessions.Add(1))
		now := time.Now()
		sess := store.Session{ID: id, UserID: "ann", CreatedAt: now, LastUsedAt: now,
			ExpiresAt: now.Add(time.Hour)}
		parent := id + "-0"
		if err := s.CreateSession(ctx, sess, store.RefreshToken{Hash: parent}); err != nil {
			b.Errorf("CreateSession: %v", err)
			return
		}
		for i := 1; pb.Next(); i++ {
			child := fmt.Sprintf("%s-%d", id, i)
			r := store.Rotation{ParentHash: parent, Nonce: []byte(child),
				Child: store.RefreshToken{Hash: child, CreatedAt: now}, At: now}
			res, err := s.RotateRefreshToken(ctx, r)
			if err != nil || !res.Rotated {
				b.Errorf("RotateRefreshToken: got %v, %v; want true, nil", res.Rotated, err)
				return
			}
			parent = child
		}
	})
}

func BenchmarkUserByEmail(b *testing.B) {
	const users = 1000
	ctx := context.Background()
	s := openTemp(b)
	for i := range users {
		u := store.User{ID: fmt.Sprint(i), Email: fmt.Sprintf("user%d@example.com", i)}
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatalf("CreateUser: %v", err)
		}
	}

	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			email := fmt.Sprintf("user%d@example.com", next.Add(1)%users)
			if _, err := s.UserByEmail(ctx, email); err != nil {
				b.Errorf("UserByEmail: %v", err)
				return
			}
		}
	})
}

// openAt opens the store at path.
func openAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// rawDB opens path with the driver alone, to look under the store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open %q: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countRows(t *testing.T, path, query string) int {
	t.Helper()
	var n int
	if err := rawDB(t, path).QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
