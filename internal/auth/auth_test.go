package auth_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/sqlite"
)

// These tests cover what the HTTP tests in package httpapi cannot see
// from outside: stored hashes, the hashing work per login, clean-up of
// dead records, and several instances sharing one store.

const pw = "correct horse battery"

var fastParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type instance struct {
	svc    *auth.Service
	store  *sqlite.Store
	hasher *password.Hasher
}

// env is a data directory and master key that instances share.
type env struct {
	path   string
	master []byte
	clock  *clock
	cfg    auth.Config
}

func newEnv(t *testing.T) *env {
	master := make([]byte, 32)
	rand.Read(master)
	return &env{
		path:   filepath.Join(t.TempDir(), "sallyport.db"),
		master: master,
		clock:  &clock{now: time.Now().UTC().Truncate(time.Second)},
		cfg: auth.Config{
			Issuer: "http://127.0.0.1:8080", Audience: "sallyport",
			AccessTTL: 15 * time.Minute, RefreshGrace: 10 * time.Second,
			Leeway: 30 * time.Second, SessionIdle: 168 * time.Hour,
			SessionMax: 720 * time.Hour, SigningAlg: "ES256",
		},
	}
}

// start opens the store and starts a service on it, as a server process
// would.
func (e *env) start(t *testing.T) *instance {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, e.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := password.NewHasher(fastParams, 16<<20, 10*time.Second)
	cfg := e.cfg
	cfg.MasterKey = e.master
	svc, err := auth.New(cfg, st, h, auth.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return &instance{svc: svc, store: st, hasher: h}
}

// eventually polls cond until it holds or a generous deadline passes; it
// waits for background work, it does not measure speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBcryptImportRehashed(t *testing.T) {
	ctx := context.Background()
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		t.Run(prefix, func(t *testing.T) {
			e := newEnv(t)
			in := e.start(t)
			u, err := in.svc.CreateUser(ctx, "imported@example.com", "placeholder pw", "user")
			if err != nil {
				t.Fatal(err)
			}
			b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			hash := prefix + string(b[4:])
			err = in.store.UpdateUser(ctx, u.ID, store.UserUpdate{PasswordHash: &hash,
				UpdatedAt: e.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}

			_, err = in.svc.Login(ctx, u.Email, "wrong password", auth.Client{})
			if !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("wrong password: got %v, want ErrInvalidCredentials", err)
			}
			if got := storedHash(t, in, u.Email); got != hash {
				t.Fatalf("a failed login changed the hash to %q", got)
			}
			if _, err := in.svc.Login(ctx, u.Email, pw, auth.Client{}); err != nil {
				t.Fatalf("bcrypt login: %v", err)
			}
			got := storedHash(t, in, u.Email)
			if !strings.HasPrefix(got, "$argon2id$") {
				t.Fatalf("after login the hash is %.10q..., want argon2id", got)
			}
			if _, err := in.svc.Login(ctx, u.Email, pw, auth.Client{}); err != nil {
				t.Fatalf("login after the rehash: %v", err)
			}
		})
	}
}

func storedHash(t *testing.T, in *instance, email string) string {
	t.Helper()
	u, err := in.store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.PasswordHash
}

// TestLoginHashWork checks that an unknown email costs the same hashing
// as a wrong password: one argon2id computation each.
func TestLoginHashWork(t *testing.T) {
	ctx := context.Background()
	in := newEnv(t).start(t)
	if _, err := in.svc.CreateUser(ctx, "known@example.com", pw, "user"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, email, password string
	}{
		{"wrong password", "known@example.com", "wrong password"},
		{"unknown email", "unknown@example.com", pw},
		{"right password", "known@example.com", pw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := in.hasher.Computed()
			in.svc.Login(ctx, tt.email, tt.password, auth.Client{})
			if got := in.hasher.Computed() - before; got != 1 {
				t.Errorf("got %d hash computations, want 1", got)
			}
		})
	}
}

// TestCleanup checks that dead sessions and spent refresh tokens are
// removed, so the tables do not grow without bound, and live ones stay.
func TestCleanup(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.cfg.SessionIdle = 2 * time.Hour
	e.cfg.SessionMax = 48 * time.Hour
	in := e.start(t)
	if _, err := in.svc.CreateUser(ctx, "c@example.com", pw, "user"); err != nil {
		t.Fatal(err)
	}
	login := func() auth.Grant {
		g, err := in.svc.Login(ctx, "c@example.com", pw, auth.Client{})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	idle := login()
	revoked := login()
	live := login()
	p, err := in.svc.Authenticate(revoked.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.Logout(ctx, p, auth.ScopeLocal, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	// Keep the live session in use for a day, past the idle time of the
	// others and the day that revoked sessions are kept for the feed;
	// each refresh spends a token.
	e.clock.Advance(30 * time.Minute)
	for range 26 {
		live, err = in.svc.Refresh(ctx, live.RefreshToken, auth.Client{})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
	}
	e.clock.Advance(-30 * time.Minute) // 26 h after login; rotations at x:30

	n, err := in.svc.Cleanup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Errorf("Cleanup removed %d records, want at least the 2 dead sessions", n)
	}
	for name, g := range map[string]auth.Grant{"idle": idle, "revoked": revoked} {
		_, err := in.store.SessionByID(ctx, g.Session.ID)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s session: got %v, want it removed", name, err)
		}
	}
	if _, err := in.store.SessionByID(ctx, live.Session.ID); err != nil {
		t.Errorf("live session: %v", err)
	}
	// Of the live session's 27 refresh tokens, those spent more than the
	// idle time ago are gone; the two spent lately stay, so that a replay
	// is still seen as reuse, and so does the live one.
	if got := countTokens(t, e.path, live.Session.ID); got != 3 {
		t.Errorf("got %d refresh tokens of the live session, want 3", got)
	}
	if _, err := in.svc.Refresh(ctx, live.RefreshToken, auth.Client{}); err != nil {
		t.Errorf("live session after cleanup: %v", err)
	}
}

// countTokens counts a session's refresh tokens in the SQLite file.
func countTokens(t *testing.T, path, sid string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT COUNT(*) FROM refresh_tokens WHERE session_id = ?`, sid).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestInstancesShareRevocations runs two instances on one store: a logout
// on one must be refused by the other within its polling interval, and a
// key rotated by one (as the CLI does) must be picked up by the other.
func TestInstancesShareRevocations(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.start(t)
	b := e.start(t)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { a.svc.Run(runCtx, 5*time.Millisecond, func(error) {}) })

	if _, err := a.svc.CreateUser(ctx, "shared@example.com", pw, "user"); err != nil {
		t.Fatal(err)
	}
	g, err := a.svc.Login(ctx, "shared@example.com", pw, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.svc.Authenticate(g.AccessToken)
	if err != nil {
		t.Fatalf("instance b refuses a token of instance a: %v", err)
	}
	if err := b.svc.Logout(ctx, p, auth.ScopeLocal, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Authenticate(g.AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Errorf("instance b: got %v, want ErrSessionRevoked at once", err)
	}
	eventually(t, "instance a refusing the revoked session", func() bool {
		_, err := a.svc.Authenticate(g.AccessToken)
		return errors.Is(err, auth.ErrSessionRevoked)
	})

	k, err := b.svc.RotateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "instance a signing with the rotated key", func() bool {
		return a.svc.Keyring().Signer().ID == k.ID
	})

	// The in-memory set forgets a revocation once the session's tokens
	// have all expired.
	if a.svc.RevokedCount() == 0 {
		t.Fatal("instance a holds no revocation")
	}
	e.clock.Advance(16 * time.Minute)
	eventually(t, "the revocation being pruned", func() bool {
		return a.svc.RevokedCount() == 0
	})
}
