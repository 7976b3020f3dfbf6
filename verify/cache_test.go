package verify

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestCacheSkipsSignatureCheck(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	tests := []struct {
		name string
		opts []Option
		want uint64
	}{
		{"cache on", nil, 1},
		{"cache off", []Option{WithCacheSize(0)}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustNew(t, is, tt.opts...)
			tok := sign(t, k, is.claimsFor(time.Now()), nil)
			for range 3 {
				if _, err := v.Verify(context.Background(), tok); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			}
			if got := v.signatureChecks.Load(); got != tt.want {
				t.Errorf("signature checks for 3 uses: got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCacheNeverOutlivesExp(t *testing.T) {
	clk := newClock()
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	v := mustNew(t, is, withClock(clk.Now), WithLeeway(time.Second))
	c := is.claimsFor(clk.Now())
	c["exp"] = clk.Now().Add(time.Minute).Unix()
	tok := sign(t, k, c, nil)
	ctx := context.Background()

	steps := []struct {
		advance time.Duration
		want    error
	}{
		{0, nil},
		{59 * time.Second, nil},
		{1500 * time.Millisecond, nil}, // past exp, within the leeway
		{time.Second, ErrTokenExpired}, // past exp plus the leeway
		{time.Hour, ErrTokenExpired},
	}
	for i, s := range steps {
		clk.Add(s.advance)
		_, err := v.Verify(ctx, tok)
		if !errors.Is(err, s.want) || (s.want == nil && err != nil) {
			t.Errorf("step %d: got %v, want %v", i, err, s.want)
		}
	}
	if got := v.signatureChecks.Load(); got != 1 {
		t.Errorf("signature checks: got %d, want 1 (the rest from the cache)", got)
	}
}

func TestCacheBounded(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	const size = 16
	v := mustNew(t, is, WithCacheSize(size))
	for i := range 100 {
		c := is.claimsFor(time.Now())
		c["jti"] = fmt.Sprint("token-", i)
		if _, err := v.Verify(context.Background(), sign(t, k, c, nil)); err != nil {
			t.Fatalf("Verify %d: %v", i, err)
		}
		if n := v.cache.len(); n > size {
			t.Fatalf("after %d tokens: cache holds %d, want at most %d", i+1, n, size)
		}
	}
	if n := v.cache.len(); n < size*3/4 {
		t.Errorf("cache holds %d, want at least %d", n, size*3/4)
	}
}

func TestCacheShrinkDropsStaleFirst(t *testing.T) {
	c := newCache(4)
	live := &entry{gen: 1}
	dead := &entry{gen: 0}
	stale := func(e *entry) bool { return e.gen == 0 }
	c.put("a", live, stale)
	c.put("b", dead, stale)
	c.put("c", dead, stale)
	c.put("d", dead, stale)
	c.put("e", live, stale) // the fifth insert shrinks
	for _, k := range []string{"a", "e"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("live entry %q: evicted, want kept", k)
		}
	}
	if n := c.len(); n != 2 {
		t.Errorf("len: got %d, want 2", n)
	}
}
