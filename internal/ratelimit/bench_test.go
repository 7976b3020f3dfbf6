package ratelimit

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

var benchPolicy = Backoff{Free: 5, Base: time.Second, Max: 15 * time.Minute}

func benchStores(b *testing.B) map[string]func(b *testing.B) Store {
	return map[string]func(b *testing.B) Store{
		"memory": func(*testing.B) Store { return NewMemory(0) },
		"redis":  func(b *testing.B) Store { return newTestRedis(b, testPrefix(b)) },
	}
}

// BenchmarkBackoffCheck measures the check made before every login, over
// 1,000 keys that each have failures.
func BenchmarkBackoffCheck(b *testing.B) {
	for name, newStore := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			l, err := NewBackoffLimiter(newStore(b), "login", benchPolicy)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			keys := make([]string, 1000)
			for i := range keys {
				keys[i] = AccountKey(strconv.Itoa(i) + "@example.com")
				if _, err := l.Fail(ctx, keys[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := l.Check(ctx, keys[i%len(keys)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

// BenchmarkLimiterAllow measures a volume check over 1,000 keys.
func BenchmarkLimiterAllow(b *testing.B) {
	for name, newStore := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			l, err := NewLimiter(newStore(b), "refresh",
				Rate{Limit: 1_000_000, Period: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := l.Allow(ctx, strconv.Itoa(i%1000)); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

func BenchmarkAccountKey(b *testing.B) {
	for b.Loop() {
		AccountKey("Bob.Example@Example.COM")
	}
}

// BenchmarkAccountKeyHostile measures the key of a login body's worth of
// combining marks, which must cost far less than a password hash.
func BenchmarkAccountKeyHostile(b *testing.B) {
	hostile := strings.Repeat("e\u0301\u0327", (1<<20)/5)
	for b.Loop() {
		AccountKey(hostile)
	}
}
