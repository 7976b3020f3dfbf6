package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/postgres"
	"github.com/sallyport/sallyport/internal/store/storetest"
	"github.com/sallyport/sallyport/internal/store/testdb"
)

// openTemp opens a store on a new database that the test drops.
func openTemp(tb testing.TB) (*postgres.Store, string) {
	tb.Helper()
	url := testdb.URL(tb, "postgres")
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, url
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}

func TestMigrations(t *testing.T) {
	ctx := t.Context()
	s, url := openTemp(t)
	want, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if want < 1 {
		t.Fatalf("SchemaVersion after Open: got %d, want at least 1", want)
	}
	if err := s.CreateUser(ctx, store.User{ID: "ann", Email: "ann@example.com"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}

	// Several instances starting at once: the advisory lock lets one
	// migrate, and the others find the work done.
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			other, err := postgres.Open(ctx, url)
			if err == nil {
				other.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d at once: %v", i, err)
		}
	}

	if applied, err := s.Migrate(ctx); err != nil || applied != 0 {
		t.Errorf("Migrate again: got %d, %v; want 0, nil", applied, err)
	}
	if got, err := s.SchemaVersion(ctx); err != nil || got != want {
		t.Errorf("SchemaVersion: got %d, %v; want %d, nil", got, err, want)
	}
	if _, err := s.UserByID(ctx, "ann"); err != nil {
		t.Errorf("UserByID after migrating again: got %v, want the user", err)
	}
	if n := count(t, url, "SELECT COUNT(*) FROM schema_migrations"); n != want {
		t.Errorf("rows in schema_migrations: got %d, want %d", n, want)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s, url := openTemp(t)
	s.Close()
	exec(t, url, "INSERT INTO schema_migrations VALUES (999, now())")

	s, err := postgres.Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatalf("Open of a database migrated by a newer build: got nil error, want one")
	}
}

func TestClosedIsUnavailable(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t)
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
		{"AddSigningKey", func() error {
			return s.AddSigningKey(ctx, store.SigningKey{ID: "k", Sealed: []byte{1}})
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

// TestUnreachableIsUnavailable opens a store on a server that is not
// there: Open fails with ErrUnavailable and does not hang.
func TestUnreachableIsUnavailable(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://postgres@127.0.0.1:1/none")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open: got %v, want %v", err, store.ErrUnavailable)
	}
}

// TestKilledConnectionsRecover ends every connection of the store from
// the server side, as a restart of PostgreSQL does: calls fail at most
// with ErrUnavailable while it happens and work again afterwards without
// anything reopening the store.
func TestKilledConnectionsRecover(t *testing.T) {
	ctx := t.Context()
	s, url := openTemp(t)
	if err := s.CreateUser(ctx, store.User{ID: "ann", Email: "ann@example.com"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	exec(t, url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)

	for i := range 3 {
		_, err := s.UserByID(ctx, "ann")
		if err != nil && !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("UserByID %d after the kill: got %v, want nil or %v", i, err,
				store.ErrUnavailable)
		}
	}
	if _, err := s.UserByID(ctx, "ann"); err != nil {
		t.Errorf("UserByID once the pool has reconnected: got %v, want the user", err)
	}
}

func TestConflictKeepsCause(t *testing.T) {
	s, _ := openTemp(t)
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

// TestConcurrentKeyRotation adds keys from several goroutines at once,
// as several instances running "sallyport keys rotate" would: one key
// stays active.
func TestConcurrentKeyRotation(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t)
	const n = 8
	base := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k := store.SigningKey{ID: fmt.Sprintf("k%d", i), Algorithm: "ES256",
				Sealed: []byte{byte(i)}, CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}
			if err := s.AddSigningKey(ctx, k); err != nil {
				t.Errorf("AddSigningKey(%q): %v", k.ID, err)
			}
		})
	}
	wg.Wait()
	keys, err := s.ListKeys(ctx)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	active := 0
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			active++
		}
	}
	if len(keys) != n || active != 1 {
		t.Errorf("after %d concurrent rotations: got %d keys, %d active; want %d, 1",
			n, len(keys), active, n)
	}
}

func BenchmarkRotate(b *testing.B) {
	s, _ := openTemp(b)
	storetest.BenchRotate(b, s)
}

func BenchmarkRefresh(b *testing.B) {
	s, _ := openTemp(b)
	storetest.BenchRefresh(b, s)
}

func BenchmarkUserByEmail(b *testing.B) {
	s, _ := openTemp(b)
	storetest.BenchUserByEmail(b, s)
}

func BenchmarkLogin(b *testing.B) {
	s, _ := openTemp(b)
	storetest.BenchLogin(b, s)
}

// exec runs q on the database at url, beside the store.
func exec(t *testing.T, url, q string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func count(t *testing.T, url, q string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
