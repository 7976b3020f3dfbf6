package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/mongo"
	"github.com/sallyport/sallyport/internal/store/storetest"
	"github.com/sallyport/sallyport/internal/store/testdb"
)

// openTemp opens a store on a new database that the test drops.
func openTemp(tb testing.TB) (*mongo.Store, string) {
	tb.Helper()
	url := testdb.URL(tb, "mongo")
	s, err := mongo.Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, url
}

func TestStore(t *testing.T) {
	opts := storetest.Options{SkipRaces: testdb.RaceSkipReason(t, "mongo")}
	storetest.RunWithOptions(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	}, opts)
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

	again, err := mongo.Open(ctx, url)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer again.Close()
	if applied, err := again.Migrate(ctx); err != nil || applied != 0 {
		t.Errorf("Migrate again: got %d, %v; want 0, nil", applied, err)
	}
	if got, err := again.SchemaVersion(ctx); err != nil || got != want {
		t.Errorf("SchemaVersion: got %d, %v; want %d, nil", got, err, want)
	}
	if _, err := again.UserByID(ctx, "ann"); err != nil {
		t.Errorf("UserByID after opening again: got %v, want the user", err)
	}
	// The unique index on the email is there.
	err = again.CreateUser(ctx, store.User{ID: "ann2", Email: "ann@example.com"})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateUser with a taken email: got %v, want %v", err, store.ErrConflict)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := t.Context()
	s, url := openTemp(t)
	s.Close()

	client, err := testdb.ConnectMongo(url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer client.Disconnect(context.Background())
	future := bson.D{{Key: "_id", Value: 999}, {Key: "name", Value: "from the future"}}
	db := client.Database(dbName(t, url))
	if _, err := db.Collection("schema_migrations").InsertOne(ctx, future); err != nil {
		t.Fatalf("insert a future schema step: %v", err)
	}

	s, err = mongo.Open(ctx, url)
	if err == nil {
		s.Close()
		t.Fatalf("Open of a database set up by a newer build: got nil error, want one")
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
// there: Open fails with ErrUnavailable within the selection timeout.
func TestUnreachableIsUnavailable(t *testing.T) {
	url := "mongodb://127.0.0.1:1/none?serverSelectionTimeoutMS=300"
	_, err := mongo.Open(t.Context(), url)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open: got %v, want %v", err, store.ErrUnavailable)
	}
}

func TestDefaultDatabase(t *testing.T) {
	url := testdb.URL(t, "mongo")
	if got := dbName(t, url); got == "" || got == mongo.DefaultDatabase {
		t.Fatalf("test URL %q names database %q, want a test database", url, got)
	}
}

// TestConcurrentKeyRotation adds keys from several goroutines at once,
// as several instances running "sallyport keys rotate" would: the
// newest key stays the one active signer.
func TestConcurrentKeyRotation(t *testing.T) {
	testdb.SkipRaces(t, "mongo")
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
	var active []string
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			active = append(active, k.ID)
		}
	}
	want := fmt.Sprintf("k%d", n-1)
	if len(keys) != n || len(active) != 1 || active[0] != want {
		t.Errorf("after %d concurrent rotations: got %d keys, active %q; want %d, [%s]",
			n, len(keys), active, n, want)
	}
}

// TestOlderKeyDoesNotWin adds a key older than the active one, as an
// instance with a slow clock would: the newer key keeps signing.
func TestOlderKeyDoesNotWin(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t)
	now := time.Now().UTC()
	newer := store.SigningKey{ID: "newer", Algorithm: "ES256", Sealed: []byte{1}, CreatedAt: now}
	older := store.SigningKey{ID: "older", Algorithm: "ES256", Sealed: []byte{2},
		CreatedAt: now.Add(-time.Minute)}
	for _, k := range []store.SigningKey{newer, older} {
		if err := s.AddSigningKey(ctx, k); err != nil {
			t.Fatalf("AddSigningKey(%q): %v", k.ID, err)
		}
	}
	keys, err := s.ListKeys(ctx)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	if len(keys) != 2 || keys[0].ID != "older" || keys[0].RetiredAt.IsZero() ||
		!keys[1].RetiredAt.IsZero() {
		t.Errorf("keys: got %+v, want older retired and newer active", keys)
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

// dbName is the database that a test URL names.
func dbName(t *testing.T, url string) string {
	t.Helper()
	_, rest, _ := strings.Cut(url, "://")
	_, path, _ := strings.Cut(rest, "/")
	name, _, _ := strings.Cut(path, "?")
	return name
}
