package abuse

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sallyport/sallyport/internal/ratelimit"
)

const redisURL = "redis://127.0.0.1:6379/0"

// needRedis returns a client of the local Redis; without one it skips
// the test locally and fails it in CI.
func needRedis(t *testing.T) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis on 127.0.0.1:6379: %v", err)
		}
		t.Skipf("start redis-server on 127.0.0.1:6379 to run this test (%v)", err)
	}
	return c
}

// TestSharedLimits runs two instances that share their limits through
// Redis and spreads the guesses over both: the limits must hold as if
// there were one server. Each run uses an address of its own (as a
// trusted proxy's X-Forwarded-For) and accounts of its own, and deletes
// its keys afterwards.
func TestSharedLimits(t *testing.T) {
	t.Parallel()
	rc := needRedis(t)
	args := []string{"--redis", redisURL, "--trusted-proxies", "127.0.0.1"}
	a, b := startServer(t, args...), startServer(t, args...)
	pick := func(i int) *instance { return []*instance{a, b}[i%2] }

	var keys []string
	t.Cleanup(func() {
		if err := rc.Del(context.Background(), keys...).Err(); err != nil {
			t.Errorf("delete redis keys: %v", err)
		}
	})
	newClient := func() map[string]string {
		ip := fmt.Sprintf("198.18.%d.%d", rand.IntN(256), 1+rand.IntN(254))
		keys = append(keys, ratelimit.DefaultRedisPrefix+"login-address:"+ratelimit.AddrKey(ip))
		return map[string]string{"X-Forwarded-For": ip}
	}
	account := func(addr string) string {
		key := ratelimit.DefaultRedisPrefix + "login-account:" + ratelimit.AccountKey(addr)
		keys = append(keys, key)
		return addr
	}

	t.Run("one account", func(t *testing.T) {
		client := newClient()
		addr := account(uniqueEmail("shared"))
		var got []reply
		for i := range accountFree + 3 {
			got = append(got, pick(i).failLogin(t, addr, client))
		}
		want := strings.Repeat("o", accountFree+1) + "xx"
		if s := statuses(got); s != want {
			t.Errorf("guesses alternating between two instances: got %s, want %s", s, want)
		}
	})

	t.Run("one address", func(t *testing.T) {
		client := newClient()
		var got []reply
		for i := range len(sprayPattern) {
			got = append(got, pick(i).failLogin(t, account(uniqueEmail("spray")), client))
		}
		if s := statuses(got); s != sprayPattern {
			t.Errorf("spraying over two instances: got %s, want %s", s, sprayPattern)
		}
	})
}
