package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// cleanupFixture fills s with one record of each kind that DeleteExpired
// may remove, and its live neighbours, all relative to base:
//
//	session expired      ExpiresAt a minute ago
//	session idle         LastUsedAt 8 days ago
//	session revoked-old  revoked 2 days ago
//	session revoked-new  revoked an hour ago
//	session live         tokens live-t0 (rotated 3 days ago),
//	                     live-t1 (rotated a minute ago), live-t2 (live)
//	key k1               retired 60 days ago
//	key k2               retired a day ago
//	key k3               active
//
// It returns the hashes of each session's tokens.
func cleanupFixture(t *testing.T, s store.Store) map[string][]string {
	mustCreateUser(t, s, newUser("ann"))
	sessions := []store.Session{
		{ID: "expired", CreatedAt: at(-40 * day), LastUsedAt: at(-time.Hour),
			ExpiresAt: at(-time.Minute)},
		{ID: "idle", CreatedAt: at(-10 * day), LastUsedAt: at(-8 * day),
			ExpiresAt: at(20 * day)},
		{ID: "revoked-old", CreatedAt: at(-5 * day), LastUsedAt: at(-time.Hour),
			ExpiresAt: at(25 * day)},
		{ID: "revoked-new", CreatedAt: at(-5 * day), LastUsedAt: at(-time.Hour),
			ExpiresAt: at(25 * day)},
		{ID: "live", CreatedAt: at(-5 * day), LastUsedAt: at(-5 * day),
			ExpiresAt: at(25 * day)},
	}
	tokens := map[string][]string{}
	for _, sess := range sessions {
		sess.UserID = "ann"
		mustCreateSession(t, s, sess, sess.ID+"-t0")
		tokens[sess.ID] = []string{sess.ID + "-t0"}
	}
	mustRevoke(t, s, "revoked-old", at(-2*day))
	mustRevoke(t, s, "revoked-new", at(-time.Hour))
	mustRotate(t, s, rotation("live", "live-t0", "live-t1", []byte("n1"), at(-3*day)))
	mustRotate(t, s, rotation("live", "live-t1", "live-t2", []byte("n2"), at(-time.Minute)))
	tokens["live"] = append(tokens["live"], "live-t1", "live-t2")

	keys := []store.SigningKey{
		{ID: "k1", CreatedAt: at(-100 * day)},
		{ID: "k2", CreatedAt: at(-60 * day)},
		{ID: "k3", CreatedAt: at(-day)},
	}
	for _, k := range keys {
		k.Algorithm, k.Sealed = "ES256", []byte("sealed "+k.ID)
		if err := s.AddSigningKey(t.Context(), k); err != nil {
			t.Fatalf("AddSigningKey(%q): %v", k.ID, err)
		}
	}
	return tokens
}

func testDeleteExpired(t *testing.T, open opener) {
	tests := []struct {
		name     string
		cleanup  store.Cleanup
		sessions []string // sessions removed, with their tokens
		tokens   []string // spent tokens removed on their own
		keys     []string
	}{{
		name: "nothing asked",
	}, {
		name:     "expired",
		cleanup:  store.Cleanup{Now: base},
		sessions: []string{"expired"},
	}, {
		name:     "idle",
		cleanup:  store.Cleanup{IdleBefore: at(-7 * day)},
		sessions: []string{"idle"},
	}, {
		name:     "revoked long ago",
		cleanup:  store.Cleanup{RevokedBefore: at(-day)},
		sessions: []string{"revoked-old"},
	}, {
		name:    "spent tokens",
		cleanup: store.Cleanup{SpentBefore: at(-day)},
		tokens:  []string{"live-t0"},
	}, {
		name:    "retired keys",
		cleanup: store.Cleanup{KeysRetiredBefore: at(-30 * day)},
		keys:    []string{"k1"},
	}, {
		name:    "every retired key but never the active one",
		cleanup: store.Cleanup{KeysRetiredBefore: at(365 * day)},
		keys:    []string{"k1", "k2"},
	}, {
		name: "everything at once",
		cleanup: store.Cleanup{
			Now: base, IdleBefore: at(-7 * day), RevokedBefore: at(-day),
			SpentBefore: at(-day), KeysRetiredBefore: at(-30 * day),
		},
		sessions: []string{"expired", "idle", "revoked-old"},
		tokens:   []string{"live-t0"},
		keys:     []string{"k1"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			tokens := cleanupFixture(t, s)

			n, err := s.DeleteExpired(t.Context(), tt.cleanup)
			if err != nil {
				t.Fatalf("DeleteExpired: %v", err)
			}
			// A backend may or may not count the tokens that go with
			// their session.
			least := int64(len(tt.sessions) + len(tt.tokens) + len(tt.keys))
			most := least
			for _, id := range tt.sessions {
				most += int64(len(tokens[id]))
			}
			if n < least || n > most {
				t.Errorf("DeleteExpired: got %d removed, want %d to %d", n, least, most)
			}

			checkSessionsLeft(t, s, tokens, tt.sessions, tt.tokens)
			checkKeysLeft(t, s, tt.keys)
		})
	}
}

// checkSessionsLeft checks that the sessions gone, their tokens and the
// tokens spent are gone, and that everything else is still there.
func checkSessionsLeft(t *testing.T, s store.Store, tokens map[string][]string,
	gone, spent []string) {
	t.Helper()
	for id, hashes := range tokens {
		_, err := s.SessionByID(t.Context(), id)
		sessionGone := slices.Contains(gone, id)
		switch {
		case sessionGone:
			wantErr(t, "SessionByID("+id+")", err, store.ErrNotFound)
		case err != nil:
			t.Errorf("SessionByID(%q): got %v, want it kept", id, err)
		}
		for _, h := range hashes {
			_, _, err := s.RefreshToken(t.Context(), h)
			switch {
			case sessionGone || slices.Contains(spent, h):
				wantErr(t, "RefreshToken("+h+")", err, store.ErrNotFound)
			case err != nil:
				t.Errorf("RefreshToken(%q): got %v, want it kept", h, err)
			}
		}
	}
}

func checkKeysLeft(t *testing.T, s store.Store, gone []string) {
	t.Helper()
	keys, err := s.ListKeys(t.Context())
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.ID)
	}
	var want []string
	for _, id := range []string{"k1", "k2", "k3"} {
		if !slices.Contains(gone, id) {
			want = append(want, id)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("keys left: got %q, want %q", got, want)
	}
}
