package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const testRedisURL = "redis://127.0.0.1:6379/0"

// newTestRedis returns a Redis store with a prefix of its own, whose keys
// are deleted when the test ends. Without a server it skips locally and
// fails in CI.
func newTestRedis(t testing.TB, prefix string) *Redis {
	t.Helper()
	r, err := NewRedis(testRedisURL, WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.Ping(context.Background()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis on 127.0.0.1:6379: %v", err)
		}
		t.Skipf("start redis-server on 127.0.0.1:6379 (%v)", err)
	}
	return r
}

// testPrefix returns a key prefix no other test uses and removes every key
// under it when the test ends.
func testPrefix(t testing.TB) string {
	prefix := "sallyport:test:" + rand.Text() + ":"
	t.Cleanup(func() {
		r, err := NewRedis(testRedisURL)
		if err != nil {
			t.Error(err)
			return
		}
		defer r.Close()
		ctx := context.Background()
		keys, err := r.client.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = r.client.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("clean up redis keys %s*: %v", prefix, err)
		}
	})
	return prefix
}

func TestRedis(t *testing.T) {
	testStore(t, func(t *testing.T) (Store, Store) {
		prefix := testPrefix(t)
		return newTestRedis(t, prefix), newTestRedis(t, prefix)
	})
}

func TestRedisKeysExpire(t *testing.T) {
	prefix := testPrefix(t)
	r := newTestRedis(t, prefix)
	c := newClock()
	ctx := context.Background()
	b := newBackoff(t, r, c, Backoff{Free: 1, Base: time.Second, Max: time.Minute,
		Forget: 10 * time.Minute})
	v := newLimiter(t, r, c, Rate{Limit: 10, Period: 10 * time.Second})
	mustDuration(t)(b.Fail(ctx, "k"))
	mustDuration(t)(v.Allow(ctx, "k"))

	tests := []struct {
		key      string
		min, max time.Duration
	}{
		{prefix + "login:k", 9 * time.Minute, 10 * time.Minute},
		{prefix + "signup:k", 0, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			ttl, err := r.client.PTTL(ctx, tt.key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if ttl <= tt.min || ttl > tt.max {
				t.Errorf("PTTL: got %v, want in (%v, %v]", ttl, tt.min, tt.max)
			}
		})
	}
}

func TestRedisUnreachable(t *testing.T) {
	// A port that was free a moment ago: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	r, err := NewRedis("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := newClock()
	b := newBackoff(t, r, c, testPolicy)
	v := newLimiter(t, r, c, Rate{Limit: 1, Period: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	calls := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return r.Ping(ctx) }},
		{"Check", func() error { _, err := b.Check(ctx, "k"); return err }},
		{"Attempt", func() error { _, err := b.Attempt(ctx, "k"); return err }},
		{"Fail", func() error { _, err := b.Fail(ctx, "k"); return err }},
		{"Reset", func() error { return b.Reset(ctx, "k") }},
		{"Allow", func() error { _, err := v.Allow(ctx, "k"); return err }},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrUnavailable) {
				t.Errorf("got %v, want an error matching ErrUnavailable", err)
			}
		})
	}
}

func TestNewRedisURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"redis://127.0.0.1:6379", true},
		{"redis://127.0.0.1:6379/2", true},
		{"redis://:secret@127.0.0.1:6379/0", true},
		{"rediss://127.0.0.1:6380", true},
		{"", false},
		{"127.0.0.1:6379", false},
		{"http://127.0.0.1:6379", false},
		{"unix:///tmp/redis.sock", false},
		{"redis://127.0.0.1:6379/notadb", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			r, err := NewRedis(tt.url)
			if r != nil {
				r.Close()
			}
			if (err == nil) != tt.ok {
				t.Errorf("NewRedis(%q): got error %v, want ok %v", tt.url, err, tt.ok)
			}
		})
	}
}

func init() {
	// go-redis logs failed dials to the standard error; the test of an
	// unreachable server makes many on purpose.
	redis.SetLogger(quietLogger{})
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
