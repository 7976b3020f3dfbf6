// Package storetest is the behavioural contract of store.Store. Every
// backend runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := openTestStore(t)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Each subtest gets a fresh, empty store from open. The times the suite
// stores have sub-millisecond parts and a zone other than UTC, so every
// comparison also checks that times come back in UTC with at least
// millisecond precision.
package storetest

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// Options adjusts Run for a backend.
type Options struct {
	// SkipConcurrent, when not empty, skips the subtests whose names
	// contain "Concurrent", giving it as the reason. A backend sets it
	// only when it cannot run them, such as a test server that allows
	// one connection.
	SkipConcurrent string
	// SkipRaces, when not empty, skips the subtests that race
	// conditional updates of one record against each other, giving it as
	// the reason. A backend sets it only on a test server whose updates
	// are not atomic under concurrency, such as FerretDB.
	SkipRaces string
}

// races are the subtests that SkipRaces skips.
var races = map[string]bool{"RotateRefreshTokenConcurrent": true}

// Run runs the whole suite against the stores that open returns. open
// must return a new empty store for each call and register its cleanup
// with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	RunWithOptions(t, open, Options{})
}

// RunWithOptions is Run with opts.
func RunWithOptions(t *testing.T, open func(t *testing.T) store.Store, opts Options) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open opener)
	}{
		{"Ping", fresh(testPing)},
		{"TimesRoundTrip", fresh(testTimesRoundTrip)},
		{"CreateUser", fresh(testCreateUser)},
		{"CreateUserConflict", fresh(testCreateUserConflict)},
		{"UserNotFound", fresh(testUserNotFound)},
		{"EmailByteForByte", fresh(testEmailByteForByte)},
		{"ListUsers", fresh(testListUsers)},
		{"UpdateUser", fresh(testUpdateUser)},
		{"UpdateUserNotFound", fresh(testUpdateUserNotFound)},
		{"CreateSession", fresh(testCreateSession)},
		{"SessionNotFound", fresh(testSessionNotFound)},
		{"ListSessions", fresh(testListSessions)},
		{"RotateRefreshToken", fresh(testRotate)},
		{"RotateRefreshTokenNotFound", fresh(testRotateNotFound)},
		{"RotateRefreshTokenRefused", fresh(testRotateRefused)},
		{"RotateRefreshTokenConcurrent", fresh(testRotateConcurrent)},
		{"RevokeSession", fresh(testRevokeSession)},
		{"RevokeUserSessions", fresh(testRevokeUserSessions)},
		{"RevokedSince", fresh(testRevokedSince)},
		{"DeleteExpired", testDeleteExpired},
		{"SigningKeys", fresh(testSigningKeys)},
		{"CreateService", fresh(testCreateService)},
		{"CreateServiceConflict", fresh(testCreateServiceConflict)},
		{"ListServices", fresh(testListServices)},
		{"DeleteService", fresh(testDeleteService)},
		{"AuditRoundTrip", fresh(testAuditRoundTrip)},
		{"ListAudit", fresh(testListAudit)},
		{"ListAuditPages", fresh(testListAuditPages)},
		{"DeleteAuditBefore", fresh(testDeleteAuditBefore)},
		{"ConcurrentWrites", fresh(testConcurrentWrites)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if opts.SkipConcurrent != "" && strings.Contains(tt.name, "Concurrent") {
				t.Skip(opts.SkipConcurrent)
			}
			if opts.SkipRaces != "" && races[tt.name] {
				t.Skip(opts.SkipRaces)
			}
			tt.fn(t, open)
		})
	}
}

// opener returns a new empty store.
type opener = func(t *testing.T) store.Store

// fresh adapts a test that needs one new store.
func fresh(test func(t *testing.T, s store.Store)) func(t *testing.T, open opener) {
	return func(t *testing.T, open opener) { test(t, open(t)) }
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: got %v, want nil", err)
	}
}

// base is the time the suite counts from. Its sub-millisecond part and
// its zone make every stored time test the precision and UTC rules.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535_897_932, time.FixedZone("UTC+2", 2*3600))

const day = 24 * time.Hour

func at(d time.Duration) time.Time { return base.Add(d) }

func newUser(id string) store.User {
	return store.User{
		ID:           id,
		Email:        id + "@example.com",
		PasswordHash: "hash-of-" + id,
		Role:         "user",
		CreatedAt:    base,
		UpdatedAt:    base,
	}
}

func newSession(id, userID string) store.Session {
	return store.Session{
		ID:         id,
		UserID:     userID,
		UserAgent:  "agent of " + id,
		IP:         "192.0.2.1",
		CreatedAt:  base,
		LastUsedAt: base,
		ExpiresAt:  at(30 * day),
	}
}

func mustCreateUser(t *testing.T, s store.Store, u store.User) {
	t.Helper()
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", u.ID, err)
	}
}

// mustCreateSession creates sess with a first token whose hash is hash,
// created with the session.
func mustCreateSession(t *testing.T, s store.Store, sess store.Session, hash string) {
	t.Helper()
	first := store.RefreshToken{Hash: hash, SessionID: sess.ID, CreatedAt: sess.CreatedAt}
	if err := s.CreateSession(t.Context(), sess, first); err != nil {
		t.Fatalf("CreateSession(%q): %v", sess.ID, err)
	}
}

func mustRevoke(t *testing.T, s store.Store, id string, when time.Time) {
	t.Helper()
	if _, err := s.RevokeSession(t.Context(), id, "test", when); err != nil {
		t.Fatalf("RevokeSession(%q): %v", id, err)
	}
}

func mustRotate(t *testing.T, s store.Store, r store.Rotation) store.RotateResult {
	t.Helper()
	res, err := s.RotateRefreshToken(t.Context(), r)
	if err != nil {
		t.Fatalf("RotateRefreshToken(%q): %v", r.ParentHash, err)
	}
	return res
}

func getSession(t *testing.T, s store.Store, id string) store.Session {
	t.Helper()
	sess, err := s.SessionByID(t.Context(), id)
	if err != nil {
		t.Fatalf("SessionByID(%q): %v", id, err)
	}
	return sess
}

func getToken(t *testing.T, s store.Store, hash string) (store.RefreshToken, store.Session) {
	t.Helper()
	tok, sess, err := s.RefreshToken(t.Context(), hash)
	if err != nil {
		t.Fatalf("RefreshToken(%q): %v", hash, err)
	}
	return tok, sess
}

// wantErr fails unless err matches want.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

// ms is t as the suite compares it: in UTC, to the millisecond.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Millisecond).UTC()
}

// checkUTC fails for every non-zero time that is not in UTC.
func checkUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for _, tm := range times {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s: got time %v in %v, want UTC", what, tm, tm.Location())
		}
	}
}

func normUser(u store.User) store.User {
	u.CreatedAt, u.UpdatedAt = ms(u.CreatedAt), ms(u.UpdatedAt)
	return u
}

func checkUser(t *testing.T, what string, got, want store.User) {
	t.Helper()
	checkUTC(t, what, got.CreatedAt, got.UpdatedAt)
	if g, w := normUser(got), normUser(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got %+v, want %+v", what, g, w)
	}
}

func normSession(s store.Session) store.Session {
	s.CreatedAt, s.LastUsedAt = ms(s.CreatedAt), ms(s.LastUsedAt)
	s.ExpiresAt, s.RevokedAt = ms(s.ExpiresAt), ms(s.RevokedAt)
	return s
}

func checkSession(t *testing.T, what string, got, want store.Session) {
	t.Helper()
	checkUTC(t, what, got.CreatedAt, got.LastUsedAt, got.ExpiresAt, got.RevokedAt)
	if g, w := normSession(got), normSession(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got %+v, want %+v", what, g, w)
	}
}

func normToken(tok store.RefreshToken) store.RefreshToken {
	tok.CreatedAt, tok.RotatedAt = ms(tok.CreatedAt), ms(tok.RotatedAt)
	if len(tok.ChildNonce) == 0 {
		tok.ChildNonce = nil
	}
	return tok
}

func checkToken(t *testing.T, what string, got, want store.RefreshToken) {
	t.Helper()
	checkUTC(t, what, got.CreatedAt, got.RotatedAt)
	if g, w := normToken(got), normToken(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got %+v, want %+v", what, g, w)
	}
}

func checkKey(t *testing.T, what string, got, want store.SigningKey) {
	t.Helper()
	checkUTC(t, what, got.CreatedAt, got.RetiredAt)
	if got.ID != want.ID || got.Algorithm != want.Algorithm ||
		!bytes.Equal(got.Sealed, want.Sealed) ||
		!ms(got.CreatedAt).Equal(ms(want.CreatedAt)) ||
		!ms(got.RetiredAt).Equal(ms(want.RetiredAt)) {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func testTimesRoundTrip(t *testing.T, s store.Store) {
	// Nanoseconds that round to microseconds without crossing a
	// millisecond, so a backend may keep microseconds.
	zone := time.FixedZone("UTC-7", -7*3600)
	times := []time.Time{
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 7, 31, 23, 59, 59, 123_456_789, zone),
		time.Date(2099, 12, 31, 23, 59, 59, 987_654_321, time.Local),
	}
	for i, tm := range times {
		u := newUser(string(rune('a' + i)))
		u.CreatedAt, u.UpdatedAt = tm, tm
		mustCreateUser(t, s, u)

		got, err := s.UserByID(t.Context(), u.ID)
		if err != nil {
			t.Fatalf("UserByID(%q): %v", u.ID, err)
		}
		checkUTC(t, u.ID, got.CreatedAt, got.UpdatedAt)
		if !got.CreatedAt.Truncate(time.Millisecond).Equal(tm.Truncate(time.Millisecond)) {
			t.Errorf("CreatedAt: got %v, want %v", got.CreatedAt, tm)
		}
		if !got.UpdatedAt.Truncate(time.Millisecond).Equal(tm.Truncate(time.Millisecond)) {
			t.Errorf("UpdatedAt: got %v, want %v", got.UpdatedAt, tm)
		}
	}
}
