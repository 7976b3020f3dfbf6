package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

func testCreateSession(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))
	sess := newSession("s1", "ann")
	sess.LastUsedAt = at(time.Minute)
	first := store.RefreshToken{Hash: "h1", SessionID: sess.ID, CreatedAt: at(time.Second)}
	if err := s.CreateSession(t.Context(), sess, first); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}

	checkSession(t, "SessionByID", getSession(t, s, sess.ID), sess)
	tok, tokSess := getToken(t, s, first.Hash)
	checkToken(t, "RefreshToken", tok, first)
	checkSession(t, "RefreshToken's session", tokSess, sess)
}

func testSessionNotFound(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))
	mustCreateSession(t, s, newSession("s1", "ann"), "h1")

	_, err := s.SessionByID(t.Context(), "nope")
	wantErr(t, "SessionByID", err, store.ErrNotFound)
	_, _, err = s.RefreshToken(t.Context(), "nope")
	wantErr(t, "RefreshToken", err, store.ErrNotFound)
}

func testListSessions(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))
	mustCreateUser(t, s, newUser("bob"))

	oldest, middle, revoked := newSession("s1", "ann"), newSession("s2", "ann"),
		newSession("s3", "ann")
	middle.CreatedAt, revoked.CreatedAt = at(time.Hour), at(2*time.Hour)
	// Expired sessions are listed: the caller decides what expiry means.
	expired := newSession("s4", "ann")
	expired.CreatedAt, expired.ExpiresAt = at(3*time.Hour), at(-time.Hour)
	other := newSession("b1", "bob")
	for i, sess := range []store.Session{middle, expired, oldest, revoked, other} {
		mustCreateSession(t, s, sess, "h"+string(rune('0'+i)))
	}
	mustRevoke(t, s, revoked.ID, at(4*time.Hour))

	tests := []struct {
		user string
		want []store.Session
	}{
		{"ann", []store.Session{expired, middle, oldest}},
		{"bob", []store.Session{other}},
		{"nobody", nil},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			got, err := s.ListSessions(t.Context(), tt.user)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ListSessions: got %d sessions, want %d", len(got), len(tt.want))
			}
			for i := range tt.want {
				checkSession(t, "ListSessions", got[i], tt.want[i])
			}
		})
	}
}

func testRevokeSession(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))
	sess := newSession("s1", "ann")
	mustCreateSession(t, s, sess, "h1")

	ok, err := s.RevokeSession(t.Context(), sess.ID, "logout", at(time.Hour))
	if err != nil || !ok {
		t.Fatalf("first RevokeSession: got %v, %v; want true, nil", ok, err)
	}
	want := sess
	want.RevokedAt, want.RevokeReason = at(time.Hour), "logout"
	got := getSession(t, s, sess.ID)
	checkSession(t, "revoked session", got, want)
	if !got.Revoked() {
		t.Errorf("Revoked: got false, want true")
	}

	ok, err = s.RevokeSession(t.Context(), sess.ID, "admin", at(2*time.Hour))
	if err != nil || ok {
		t.Fatalf("second RevokeSession: got %v, %v; want false, nil", ok, err)
	}
	checkSession(t, "session revoked twice", getSession(t, s, sess.ID), want)
	_, tokSess := getToken(t, s, "h1")
	checkSession(t, "RefreshToken's session", tokSess, want)

	_, err = s.RevokeSession(t.Context(), "nope", "logout", at(time.Hour))
	wantErr(t, "RevokeSession of a missing session", err, store.ErrNotFound)
}

func testRevokeUserSessions(t *testing.T, s store.Store) {
	tests := []struct {
		name   string
		except string // a suffix of a session id, or empty
		want   []string
	}{
		{"all", "", []string{"1", "2", "3"}},
		{"all but one", "2", []string{"1", "3"}},
		{"except a missing id", "9", []string{"1", "2", "3"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each row has its own users: u with sessions 0 (revoked
			// before) to 3, v with one session.
			prefix := string(rune('a' + i))
			u, v := prefix+"-u", prefix+"-v"
			mustCreateUser(t, s, newUser(u))
			mustCreateUser(t, s, newUser(v))
			for _, n := range []string{"0", "1", "2", "3"} {
				mustCreateSession(t, s, newSession(u+n, u), u+n+"-token")
			}
			mustCreateSession(t, s, newSession(v+"1", v), v+"1-token")
			mustRevoke(t, s, u+"0", base)
			except := ""
			if tt.except != "" {
				except = u + tt.except
			}

			when := at(time.Hour)
			got, err := s.RevokeUserSessions(t.Context(), u, except, "password", when)
			if err != nil {
				t.Fatalf("RevokeUserSessions: %v", err)
			}
			var want []string
			for _, n := range tt.want {
				want = append(want, u+n)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("revoked ids: got %q, want %q", got, want)
			}

			for _, id := range want {
				sess := getSession(t, s, id)
				if !ms(sess.RevokedAt).Equal(ms(when)) || sess.RevokeReason != "password" {
					t.Errorf("session %q: got revoked at %v for %q, want %v for %q",
						id, sess.RevokedAt, sess.RevokeReason, when, "password")
				}
			}
			if before := getSession(t, s, u+"0"); !ms(before.RevokedAt).Equal(ms(base)) {
				t.Errorf("session revoked before: got revoked at %v, want %v",
					before.RevokedAt, base)
			}
			if tt.except != "" && tt.except != "9" {
				if kept := getSession(t, s, except); kept.Revoked() {
					t.Errorf("excepted session %q: got revoked, want live", except)
				}
			}
			if other := getSession(t, s, v+"1"); other.Revoked() {
				t.Errorf("other user's session: got revoked, want live")
			}

			again, err := s.RevokeUserSessions(t.Context(), u, except, "again", at(2*time.Hour))
			if err != nil || len(again) != 0 {
				t.Errorf("second RevokeUserSessions: got %q, %v; want none, nil", again, err)
			}
		})
	}
}

func testRevokedSince(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))
	mustCreateUser(t, s, newUser("bob"))
	owners := map[string]string{"r1": "ann", "r2": "bob", "r3": "ann", "r4": "bob", "live": "ann"}
	for id, user := range owners {
		mustCreateSession(t, s, newSession(id, user), id+"-token")
	}
	// Revoked out of order, to see the result sorted by time.
	revokedAt := map[string]time.Time{
		"r3": at(3 * time.Hour), "r1": at(time.Hour), "r4": at(4 * time.Hour),
		"r2": at(2 * time.Hour),
	}
	for _, id := range []string{"r3", "r1", "r4", "r2"} {
		mustRevoke(t, s, id, revokedAt[id])
	}

	tests := []struct {
		name  string
		since time.Time
		want  []string
	}{
		{"all", time.Time{}, []string{"r1", "r2", "r3", "r4"}},
		{"at one revocation", at(2 * time.Hour), []string{"r2", "r3", "r4"}},
		{"between two", at(2*time.Hour + time.Minute), []string{"r3", "r4"}},
		{"after all", at(5 * time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.RevokedSince(t.Context(), tt.since)
			if err != nil {
				t.Fatalf("RevokedSince: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("RevokedSince: got %d revocations %+v, want %q",
					len(got), got, tt.want)
			}
			for i, id := range tt.want {
				r := got[i]
				checkUTC(t, "RevokedAt", r.RevokedAt)
				if r.SessionID != id || r.UserID != owners[id] ||
					!ms(r.RevokedAt).Equal(ms(revokedAt[id])) {
					t.Errorf("revocation %d: got %+v, want %s of %s at %v",
						i, r, id, owners[id], revokedAt[id])
				}
			}
		})
	}
}
