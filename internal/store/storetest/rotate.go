package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// rotation is the Rotation of parent into child at when, with nonce.
func rotation(sessionID, parent, child string, nonce []byte, when time.Time) store.Rotation {
	return store.Rotation{
		ParentHash: parent,
		Nonce:      nonce,
		Child:      store.RefreshToken{Hash: child, SessionID: sessionID, CreatedAt: when},
		At:         when,
	}
}

func testRotate(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))
	sess := newSession("s1", "ann")
	mustCreateSession(t, s, sess, "p")
	first, second := []byte("nonce-1"), []byte("nonce-2")

	res := mustRotate(t, s, rotation(sess.ID, "p", "c1", first, at(time.Minute)))
	if !res.Rotated {
		t.Fatalf("first rotation: got Rotated false, want true")
	}
	spent := store.RefreshToken{
		Hash: "p", SessionID: sess.ID, CreatedAt: base,
		RotatedAt: at(time.Minute), ChildNonce: first,
	}
	checkToken(t, "first rotation's parent", res.Parent, spent)
	parent, _ := getToken(t, s, "p")
	checkToken(t, "stored parent", parent, spent)

	child, childSess := getToken(t, s, "c1")
	wantChild := store.RefreshToken{Hash: "c1", SessionID: sess.ID, CreatedAt: at(time.Minute)}
	checkToken(t, "child", child, wantChild)
	touched := sess
	touched.LastUsedAt = at(time.Minute)
	checkSession(t, "child's session", childSess, touched)

	res = mustRotate(t, s, rotation(sess.ID, "p", "c2", second, at(2*time.Minute)))
	if res.Rotated {
		t.Fatalf("second rotation: got Rotated true, want false")
	}
	checkToken(t, "second rotation's parent", res.Parent, spent)
	_, _, err := s.RefreshToken(t.Context(), "c2")
	wantErr(t, "RefreshToken of the refused child", err, store.ErrNotFound)
	checkSession(t, "session after the refused rotation", getSession(t, s, sess.ID), touched)

	// The child is live: the chain goes on.
	res = mustRotate(t, s, rotation(sess.ID, "c1", "c3", second, at(3*time.Minute)))
	if !res.Rotated {
		t.Fatalf("rotation of the child: got Rotated false, want true")
	}
	if _, sess := getToken(t, s, "c3"); !ms(sess.LastUsedAt).Equal(ms(at(3 * time.Minute))) {
		t.Errorf("LastUsedAt after the second rotation: got %v, want %v",
			sess.LastUsedAt, at(3*time.Minute))
	}
}

func testRotateNotFound(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))
	mustCreateSession(t, s, newSession("s1", "ann"), "p")

	_, err := s.RotateRefreshToken(t.Context(),
		rotation("s1", "nope", "c1", []byte("n"), at(time.Minute)))
	wantErr(t, "RotateRefreshToken", err, store.ErrNotFound)
	_, _, err = s.RefreshToken(t.Context(), "c1")
	wantErr(t, "RefreshToken of the child", err, store.ErrNotFound)
}

// testRotateConcurrent races 20 rotations of one parent, each with its
// own child and nonce: one wins, the others see its nonce.
func testRotateConcurrent(t *testing.T, s store.Store) {
	const n = 20
	mustCreateUser(t, s, newUser("ann"))
	mustCreateSession(t, s, newSession("s1", "ann"), "p")

	var (
		results = make([]store.RotateResult, n)
		errs    = make([]error, n)
		start   = make(chan struct{})
		wg      sync.WaitGroup
	)
	for i := range n {
		wg.Go(func() {
			r := rotation("s1", "p", fmt.Sprintf("child-%d", i),
				[]byte(fmt.Sprintf("nonce-%d", i)), at(time.Duration(i+1)*time.Millisecond))
			<-start
			results[i], errs[i] = s.RotateRefreshToken(t.Context(), r)
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("rotation %d: %v", i, errs[i])
		}
		if results[i].Rotated {
			if winner >= 0 {
				t.Fatalf("rotations %d and %d: both got Rotated true, want one", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("got no rotation with Rotated true, want one")
	}

	wantNonce := []byte(fmt.Sprintf("nonce-%d", winner))
	wantAt := ms(at(time.Duration(winner+1) * time.Millisecond))
	for i, res := range results {
		if !bytes.Equal(res.Parent.ChildNonce, wantNonce) ||
			!ms(res.Parent.RotatedAt).Equal(wantAt) {
			t.Errorf("rotation %d: got parent nonce %q rotated at %v, want %q at %v",
				i, res.Parent.ChildNonce, res.Parent.RotatedAt, wantNonce, wantAt)
		}
	}

	for i := range n {
		_, _, err := s.RefreshToken(t.Context(), fmt.Sprintf("child-%d", i))
		switch {
		case i == winner && err != nil:
			t.Errorf("winner's child: got %v, want it stored", err)
		case i != winner && err == nil:
			t.Errorf("child %d of a losing rotation: got it stored, want %v",
				i, store.ErrNotFound)
		case i != winner:
			wantErr(t, "RefreshToken of a losing child", err, store.ErrNotFound)
		}
	}
	parent, _ := getToken(t, s, "p")
	if !bytes.Equal(parent.ChildNonce, wantNonce) {
		t.Errorf("stored parent nonce: got %q, want %q", parent.ChildNonce, wantNonce)
	}
}

// testConcurrentWrites runs the writes of many logins at once; none may
// fail for contention.
func testConcurrentWrites(t *testing.T, s store.Store) {
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = loginAndOut(t, s, fmt.Sprintf("user-%d", i)) })
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	users, err := s.ListUsers(t.Context())
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(users) != n {
		t.Errorf("ListUsers: got %d users, want %d", len(users), n)
	}
	revoked, err := s.RevokedSince(t.Context(), base)
	if err != nil {
		t.Fatalf("RevokedSince: %v", err)
	}
	if len(revoked) != n {
		t.Errorf("RevokedSince: got %d revocations, want %d", len(revoked), n)
	}
}

// loginAndOut signs a user up, opens a session, refreshes it twice and
// logs out, as a client would.
func loginAndOut(t *testing.T, s store.Store, id string) error {
	ctx := t.Context()
	if err := s.CreateUser(ctx, newUser(id)); err != nil {
		return err
	}
	sess := newSession(id+"-s", id)
	first := store.RefreshToken{Hash: id + "-t0", SessionID: sess.ID, CreatedAt: base}
	if err := s.CreateSession(ctx, sess, first); err != nil {
		return err
	}
	for i := 1; i <= 2; i++ {
		parent, child := fmt.Sprintf("%s-t%d", id, i-1), fmt.Sprintf("%s-t%d", id, i)
		r := rotation(sess.ID, parent, child, []byte(child), at(time.Duration(i)*time.Minute))
		res, err := s.RotateRefreshToken(ctx, r)
		if err != nil {
			return err
		}
		if !res.Rotated {
			return fmt.Errorf("rotation %d: got Rotated false, want true", i)
		}
	}
	if _, err := s.RevokeSession(ctx, sess.ID, "logout", at(time.Hour)); err != nil {
		return err
	}
	return nil
}

// testRotateRefused checks that a rotation the store refuses, for a
// child hash that is taken or a child that names another session,
// changes nothing: the parent stays live and the session untouched.
func testRotateRefused(t *testing.T, s store.Store) {
	mustCreateUser(t, s, newUser("ann"))
	sess := newSession("s1", "ann")
	mustCreateSession(t, s, sess, "p")
	mustCreateSession(t, s, newSession("s2", "ann"), "taken")

	tests := []struct {
		name  string
		child store.RefreshToken
		want  error // nil: any error
	}{
		{"child hash taken", store.RefreshToken{Hash: "taken", SessionID: "s1"},
			store.ErrConflict},
		{"child in another session", store.RefreshToken{Hash: "c", SessionID: "s2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := store.Rotation{ParentHash: "p", Nonce: []byte("n"), Child: tt.child,
				At: at(time.Minute)}
			_, err := s.RotateRefreshToken(t.Context(), r)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("RotateRefreshToken: got %v, want an error matching %v", err, tt.want)
			}
			parent, parentSess := getToken(t, s, "p")
			checkToken(t, "parent after a refused rotation", parent,
				store.RefreshToken{Hash: "p", SessionID: "s1", CreatedAt: base})
			checkSession(t, "session after a refused rotation", parentSess, sess)
			if tt.child.Hash != "taken" {
				_, _, err := s.RefreshToken(t.Context(), tt.child.Hash)
				wantErr(t, "RefreshToken of the refused child", err, store.ErrNotFound)
			}
		})
	}

	// The parent still rotates.
	res := mustRotate(t, s, rotation("s1", "p", "c2", []byte("n2"), at(2*time.Minute)))
	if !res.Rotated {
		t.Errorf("rotation after the refused ones: got Rotated false, want true")
	}
}
