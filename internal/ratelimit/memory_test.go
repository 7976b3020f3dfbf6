package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	testStore(t, func(t *testing.T) (Store, Store) {
		m := NewMemory(0)
		return m, m
	})
}

func TestMemoryEvictsFirstToExpire(t *testing.T) {
	m := NewMemory(3)
	c := newClock()
	l := newBackoff(t, m, c, Backoff{Base: time.Minute, Max: time.Minute, Forget: time.Hour})
	ctx := context.Background()
	for _, k := range []string{"b", "a", "c"} {
		mustDuration(t)(l.Fail(ctx, k))
		c.Advance(time.Second)
	}
	mustDuration(t)(l.Fail(ctx, "b")) // b now expires last
	mustDuration(t)(l.Fail(ctx, "d")) // full: evicts a, which expires first

	if got := m.Len(); got != 3 {
		t.Errorf("Len: got %d, want 3", got)
	}
	if got := m.Evicted(); got != 1 {
		t.Errorf("Evicted: got %d, want 1", got)
	}
	for k, blocked := range map[string]bool{"a": false, "b": true, "c": true, "d": true} {
		if got := mustDuration(t)(l.Check(ctx, k)); (got > 0) != blocked {
			t.Errorf("key %s: got block %v, want blocked %v", k, got, blocked)
		}
	}
}

func TestMemoryDropsExpiredBeforeEvicting(t *testing.T) {
	m := NewMemory(2)
	c := newClock()
	r := Rate{Limit: 1, Period: time.Second}
	short := newLimiter(t, m, c, r)
	long := newBackoff(t, m, c, Backoff{Base: time.Hour, Max: time.Hour})
	ctx := context.Background()

	mustDuration(t)(long.Fail(ctx, "kept")) // oldest, but blocked for an hour
	mustDuration(t)(short.Allow(ctx, "x"))  // its bucket is full again in 1s
	c.Advance(2 * time.Second)
	mustDuration(t)(short.Allow(ctx, "y")) // store full: x has expired, drop it

	if got := m.Evicted(); got != 0 {
		t.Errorf("Evicted: got %d, want 0", got)
	}
	if got := mustDuration(t)(long.Check(ctx, "kept")); got <= 0 {
		t.Errorf("kept: got block %v, want it still blocked", got)
	}
}

// TestMemoryReadsAddNoKeys checks that checks and refused calls, which a
// flood of guesses at random keys makes, do not fill the store.
func TestMemoryReadsAddNoKeys(t *testing.T) {
	m := NewMemory(10)
	c := newClock()
	l := newBackoff(t, m, c, testPolicy)
	ctx := context.Background()
	for i := range 100 {
		mustDuration(t)(l.Check(ctx, fmt.Sprint(i)))
	}
	if err := l.Reset(ctx, "absent"); err != nil {
		t.Fatal(err)
	}
	if got := m.Len(); got != 0 {
		t.Errorf("Len after 100 checks: got %d, want 0", got)
	}
}

// TestMemoryBounded fills a small store with many more keys than it holds.
func TestMemoryBounded(t *testing.T) {
	const max = 100
	m := NewMemory(max)
	c := newClock()
	l := newBackoff(t, m, c, testPolicy)
	ctx := context.Background()
	for i := range 10 * max {
		mustDuration(t)(l.Fail(ctx, fmt.Sprint(i)))
	}
	if got := m.Len(); got != max {
		t.Errorf("Len: got %d, want %d", got, max)
	}
	if got := m.Evicted(); got != 9*max {
		t.Errorf("Evicted: got %d, want %d", got, 9*max)
	}
}
