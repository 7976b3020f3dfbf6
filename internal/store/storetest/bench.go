package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// BenchRotate measures refresh-token rotation: each of 16 clients per
// core rotates the token of its own session, one rotation per iteration,
// as in the performance target of 32 concurrent sessions on 2 cores. s
// must be empty.
func BenchRotate(b *testing.B, s store.Store) {
	benchRefresh(b, s, false)
}

// BenchRefresh measures the store's part of a whole refresh: read the
// token with its session, read the user, rotate. Otherwise as
// BenchRotate.
func BenchRefresh(b *testing.B, s store.Store) {
	benchRefresh(b, s, true)
}

func benchRefresh(b *testing.B, s store.Store, reads bool) {
	ctx := context.Background()
	if err := s.CreateUser(ctx, store.User{ID: "ann", Email: "ann@example.com"}); err != nil {
		b.Fatalf("CreateUser: %v", err)
	}
	var sessions atomic.Int64

	b.SetParallelism(16)
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
			if reads {
				if _, _, err := s.RefreshToken(ctx, parent); err != nil {
					b.Errorf("RefreshToken: %v", err)
					return
				}
				if _, err := s.UserByID(ctx, "ann"); err != nil {
					b.Errorf("UserByID: %v", err)
					return
				}
			}
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

// benchUsers is how many users the lookup benchmarks spread over.
const benchUsers = 1000

func createBenchUsers(b *testing.B, s store.Store) {
	ctx := context.Background()
	for i := range benchUsers {
		u := store.User{ID: fmt.Sprint(i), Email: fmt.Sprintf("user%d@example.com", i)}
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatalf("CreateUser: %v", err)
		}
	}
}

// BenchUserByEmail measures the lookup of a login, over 1,000 users, with
// GOMAXPROCS goroutines. s must be empty.
func BenchUserByEmail(b *testing.B, s store.Store) {
	ctx := context.Background()
	createBenchUsers(b, s)
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			email := fmt.Sprintf("user%d@example.com", next.Add(1)%benchUsers)
			if _, err := s.UserByEmail(ctx, email); err != nil {
				b.Errorf("UserByEmail: %v", err)
				return
			}
		}
	})
}

// BenchLogin measures the store's part of a login: look the user up by
// email and open a session with its first refresh token, from 16
// goroutines per core. s must be empty.
func BenchLogin(b *testing.B, s store.Store) {
	ctx := context.Background()
	createBenchUsers(b, s)
	var next atomic.Int64
	now := time.Now()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			u, err := s.UserByEmail(ctx, fmt.Sprintf("user%d@example.com", n%benchUsers))
			if err != nil {
				b.Errorf("UserByEmail: %v", err)
				return
			}
			id := fmt.Sprintf("login-%d", n)
			sess := store.Session{ID: id, UserID: u.ID, CreatedAt: now, LastUsedAt: now,
				ExpiresAt: now.Add(time.Hour)}
			if err := s.CreateSession(ctx, sess, store.RefreshToken{Hash: id}); err != nil {
				b.Errorf("CreateSession: %v", err)
				return
			}
		}
	})
}
