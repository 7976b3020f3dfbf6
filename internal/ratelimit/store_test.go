package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable time source for limiters under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	// Whole microseconds, the resolution of the Redis store.
	return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// storePair returns two handles on one shared state: for memory the same
// store twice, for Redis two clients of one server and prefix.
type storePair func(t *testing.T) (Store, Store)

var testPolicy = Backoff{Free: 3, Base: time.Second, Max: 10 * time.Second,
	Forget: time.Hour}

func newBackoff(t *testing.T, s Store, c *clock, b Backoff) *BackoffLimiter {
	t.Helper()
	l, err := NewBackoffLimiter(s, "login", b, WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newLimiter(t *testing.T, s Store, c *clock, r Rate) *Limiter {
	t.Helper()
	l, err := NewLimiter(s, "signup", r, WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testStore is the behaviour every Store must have.
func testStore(t *testing.T, pair storePair) {
	t.Run("BackoffSchedule", func(t *testing.T) { testBackoffSchedule(t, pair) })
	t.Run("BackoffReset", func(t *testing.T) { testBackoffReset(t, pair) })
	t.Run("BackoffForget", func(t *testing.T) { testBackoffForget(t, pair) })
	t.Run("BackoffForgive", func(t *testing.T) { testBackoffForgive(t, pair) })
	t.Run("ConcurrentForgive", func(t *testing.T) { testConcurrentForgive(t, pair) })
	t.Run("BackoffNoLockout", func(t *testing.T) { testBackoffNoLockout(t, pair) })
	t.Run("TenThousandGuesses", func(t *testing.T) { testTenThousandGuesses(t, pair) })
	t.Run("ConcurrentAttempts", func(t *testing.T) { testConcurrentAttempts(t, pair) })
	t.Run("TokenBucket", func(t *testing.T) { testTokenBucket(t, pair) })
	t.Run("ConcurrentAllow", func(t *testing.T) { testConcurrentAllow(t, pair) })
	t.Run("KeysAndNamesApart", func(t *testing.T) { testKeysAndNamesApart(t, pair) })
	t.Run("SharedState", func(t *testing.T) { testSharedState(t, pair) })
}

// testBackoffSchedule plays one key through a script of calls.
func testBackoffSchedule(t *testing.T, pair storePair) {
	const (
		check = iota
		attempt
		fail
	)
	s := time.Second
	steps := []struct {
		name    string
		advance time.Duration
		op      int
		want    time.Duration
	}{
		{"fresh key passes check", 0, check, 0},
		{"failure 1 is free", 0, fail, 0},
		{"failure 2 is free", 0, fail, 0},
		{"attempt 3 passes and counts", 0, attempt, 0},
		{"failure 4 blocks for base", 0, fail, s},
		{"check sees the block", 0, check, s},
		{"check sees time pass", 400 * time.Millisecond, check, 600 * time.Millisecond},
		{"attempt while blocked is refused", 0, attempt, 600 * time.Millisecond},
		{"refused attempt counted nothing", 600 * time.Millisecond, check, 0},
		{"attempt 5 blocks for 2 base", 0, attempt, 0},
		{"check after attempt 5", 0, check, 2 * s},
		{"failure 6 while blocked: 4 base", 0, fail, 4 * s},
		{"failure 7: 8 base", 0, fail, 8 * s},
		{"failure 8: capped at max", 0, fail, 10 * s},
		{"failure 9: still max", 0, fail, 10 * s},
		{"block ends after max", 10 * s, check, 0},
		{"attempt 10 passes, blocks max", 0, attempt, 0},
		{"check after attempt 10", 0, check, 10 * s},
	}

	a, _ := pair(t)
	c := newClock()
	l := newBackoff(t, a, c, testPolicy)
	ctx := context.Background()
	for _, st := range steps {
		c.Advance(st.advance)
		var got time.Duration
		var err error
		switch st.op {
		case check:
			got, err = l.Check(ctx, "k")
		case attempt:
			got, err = l.Attempt(ctx, "k")
		case fail:
			got, err = l.Fail(ctx, "k")
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Fatalf("%s: got %v, want %v", st.name, got, st.want)
		}
	}
}

func testBackoffReset(t *testing.T, pair storePair) {
	a, _ := pair(t)
	c := newClock()
	l := newBackoff(t, a, c, testPolicy)
	ctx := context.Background()
	for range 6 {
		mustDuration(t)(l.Fail(ctx, "k"))
	}
	if got := mustDuration(t)(l.Check(ctx, "k")); got != 4*time.Second {
		t.Fatalf("before reset: got %v, want 4s", got)
	}
	if err := l.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got := mustDuration(t)(l.Check(ctx, "k")); got != 0 {
		t.Errorf("after reset: got %v, want 0", got)
	}
	// The count started over: Free failures are free again.
	for i := range testPolicy.Free {
		if got := mustDuration(t)(l.Fail(ctx, "k")); got != 0 {
			t.Errorf("failure %d after reset: got block %v, want 0", i+1, got)
		}
	}
	if got := mustDuration(t)(l.Fail(ctx, "k")); got != time.Second {
		t.Errorf("first failure past free after reset: got %v, want 1s", got)
	}
	if err := l.Reset(ctx, "never-seen"); err != nil {
		t.Errorf("reset of an unknown key: got %v, want nil", err)
	}
}

func testBackoffForget(t *testing.T, pair storePair) {
	a, _ := pair(t)
	c := newClock()
	l := newBackoff(t, a, c, testPolicy)
	ctx := context.Background()
	for range testPolicy.Free {
		mustDuration(t)(l.Fail(ctx, "k"))
	}
	c.Advance(testPolicy.Forget - time.Millisecond)
	if got := mustDuration(t)(l.Fail(ctx, "k")); got != time.Second {
		t.Fatalf("failure inside the quiet period: got %v, want 1s", got)
	}
	c.Advance(testPolicy.Forget)
	if got := mustDuration(t)(l.Fail(ctx, "k")); got != 0 {
		t.Errorf("failure after the quiet period: got %v, want 0 (forgotten)", got)
	}
}

func testBackoffForgive(t *testing.T, pair storePair) {
	a, _ := pair(t)
	c := newClock()
	l := newBackoff(t, a, c, testPolicy)
	ctx := context.Background()
	forgive := func() {
		t.Helper()
		if err := l.Forgive(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(what string, got, want time.Duration) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}

	forgive() // of an unknown key: nothing happens
	for i := range 100 {
		expect(fmt.Sprint("attempt ", i+1, " of successes"),
			mustDuration(t)(l.Attempt(ctx, "k")), 0)
		forgive()
	}
	expect("check after 100 successes", mustDuration(t)(l.Check(ctx, "k")), 0)

	for range testPolicy.Free {
		mustDuration(t)(l.Fail(ctx, "k"))
	}
	mustDuration(t)(l.Attempt(ctx, "k"))
	expect("attempt past free", mustDuration(t)(l.Check(ctx, "k")), time.Second)
	forgive()
	expect("forgiven back to free", mustDuration(t)(l.Check(ctx, "k")), 0)

	expect("failure 4", mustDuration(t)(l.Fail(ctx, "k")), time.Second)
	expect("failure 5", mustDuration(t)(l.Fail(ctx, "k")), 2*time.Second)
	c.Advance(2 * time.Second)
	mustDuration(t)(l.Attempt(ctx, "k"))
	forgive()
	expect("forgiven past free keeps the block", mustDuration(t)(l.Check(ctx, "k")),
		4*time.Second)
	c.Advance(4 * time.Second)
	expect("failure after forgiven attempt", mustDuration(t)(l.Fail(ctx, "k")),
		4*time.Second)
}

// testConcurrentForgive checks that attempts that all succeed leave no
// failure behind, however they interleave.
func testConcurrentForgive(t *testing.T, pair storePair) {
	a, b := pair(t)
	c := newClock()
	la := newBackoff(t, a, c, testPolicy)
	lb := newBackoff(t, b, c, testPolicy)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 64 {
		l := la
		if i%2 == 1 {
			l = lb
		}
		wg.Go(func() {
			d, err := l.Attempt(ctx, "k")
			if err == nil && d == 0 {
				err = l.Forgive(ctx, "k")
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range testPolicy.Free {
		if got := mustDuration(t)(la.Fail(ctx, "k")); got != 0 {
			t.Fatalf("failure %d after forgiven attempts: got block %v, want 0", i+1, got)
		}
	}
	if got := mustDuration(t)(la.Fail(ctx, "k")); got != time.Second {
		t.Errorf("first failure past free: got %v, want 1s", got)
	}
}

// testBackoffNoLockout checks that a key hammered for a long time can
// still try again once the current block has passed.
func testBackoffNoLockout(t *testing.T, pair storePair) {
	a, _ := pair(t)
	c := newClock()
	l := newBackoff(t, a, c, testPolicy)
	ctx := context.Background()
	for range 200 {
		mustDuration(t)(l.Fail(ctx, "k"))
	}
	got := mustDuration(t)(l.Check(ctx, "k"))
	if got != testPolicy.Max {
		t.Fatalf("after 200 failures: got block %v, want max %v", got, testPolicy.Max)
	}
	c.Advance(got)
	if got := mustDuration(t)(l.Attempt(ctx, "k")); got != 0 {
		t.Errorf("once the block passed: got %v, want 0", got)
	}
}

// testTenThousandGuesses mirrors the promise that 10,000 wrong guesses at
// one account cost only a few password hashes: a guesser retries every
// millisecond, as soon as it is let through, and each attempt that passes
// costs a hash. Over a span S the number let through is at most
// Free + 1 + log2(S/Base + 1) + 1.
func testTenThousandGuesses(t *testing.T, pair storePair) {
	a, _ := pair(t)
	c := newClock()
	p := Backoff{Free: 5, Base: time.Second, Max: 15 * time.Minute}
	l := newBackoff(t, a, c, p)
	ctx := context.Background()
	const guesses = 10_000
	const step = time.Millisecond
	hashes := 0
	for range guesses {
		c.Advance(step)
		if mustDuration(t)(l.Attempt(ctx, "acct")) == 0 {
			hashes++
		}
	}
	span := float64(guesses*step) / float64(p.Base)
	bound := p.Free + 2 + int(math.Ceil(math.Log2(span+1)))
	if hashes > bound || hashes > 50 {
		t.Errorf("%d guesses: got %d let through, want at most %d", guesses, hashes, bound)
	}
	if hashes < p.Free+1 {
		t.Errorf("%d guesses: got %d let through, want at least %d", guesses, hashes, p.Free+1)
	}
	t.Logf("%d guesses over %v let %d through", guesses, guesses*step, hashes)
}

// testConcurrentAttempts checks that a burst of simultaneous attempts
// cannot all pass before any is counted.
func testConcurrentAttempts(t *testing.T, pair storePair) {
	a, b := pair(t)
	c := newClock()
	la := newBackoff(t, a, c, testPolicy)
	lb := newBackoff(t, b, c, testPolicy)
	ctx := context.Background()
	var passed atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		l := la
		if i%2 == 1 {
			l = lb
		}
		wg.Go(func() {
			d, err := l.Attempt(ctx, "k")
			if err != nil {
				t.Error(err)
			}
			if d == 0 {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if got, want := passed.Load(), int64(testPolicy.Free+1); got != want {
		t.Errorf("64 concurrent attempts: got %d passed, want %d", got, want)
	}
}

func testTokenBucket(t *testing.T, pair storePair) {
	ms := time.Millisecond
	steps := []struct {
		name    string
		advance time.Duration
		want    time.Duration
	}{
		{"1 of burst", 0, 0},
		{"2 of burst", 0, 0},
		{"3 of burst", 0, 0},
		{"bucket empty", 0, 1000 * ms},
		{"still empty later", 400 * ms, 600 * ms},
		{"refused calls spend nothing", 0, 600 * ms},
		{"one token back", 600 * ms, 0},
		{"empty again", 0, 1000 * ms},
		{"full after a period", 3000 * ms, 0},
		{"2 after refill", 0, 0},
		{"3 after refill", 0, 0},
		{"empty after refill", 0, 1000 * ms},
	}
	a, _ := pair(t)
	c := newClock()
	l := newLimiter(t, a, c, Rate{Limit: 3, Period: 3 * time.Second})
	ctx := context.Background()
	for _, st := range steps {
		c.Advance(st.advance)
		got, err := l.Allow(ctx, "k")
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Fatalf("%s: got %v, want %v", st.name, got, st.want)
		}
	}
}

func testConcurrentAllow(t *testing.T, pair storePair) {
	a, b := pair(t)
	c := newClock()
	r := Rate{Limit: 10, Period: time.Minute}
	la := newLimiter(t, a, c, r)
	lb := newLimiter(t, b, c, r)
	ctx := context.Background()
	var passed atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		l := la
		if i%2 == 1 {
			l = lb
		}
		wg.Go(func() {
			d, err := l.Allow(ctx, "k")
			if err != nil {
				t.Error(err)
			}
			if d == 0 {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := passed.Load(); got != int64(r.Limit) {
		t.Errorf("64 concurrent calls: got %d allowed, want %d", got, r.Limit)
	}
}

func testKeysAndNamesApart(t *testing.T, pair storePair) {
	a, _ := pair(t)
	c := newClock()
	ctx := context.Background()
	one := newBackoff(t, a, c, Backoff{Base: time.Second, Max: time.Second})
	other, err := NewBackoffLimiter(a, "other", one.Policy(), WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	if got := mustDuration(t)(one.Fail(ctx, "k")); got != time.Second {
		t.Fatalf("fail with no free failures: got %v, want 1s", got)
	}
	if got := mustDuration(t)(one.Check(ctx, "k2")); got != 0 {
		t.Errorf("another key: got block %v, want 0", got)
	}
	if got := mustDuration(t)(other.Check(ctx, "k")); got != 0 {
		t.Errorf("same key, other limiter: got block %v, want 0", got)
	}
}

// testSharedState checks that two handles on one state, such as two
// server instances on one Redis, share their counts.
func testSharedState(t *testing.T, pair storePair) {
	a, b := pair(t)
	c := newClock()
	ctx := context.Background()
	la := newBackoff(t, a, c, testPolicy)
	lb := newBackoff(t, b, c, testPolicy)
	for i := range testPolicy.Free + 1 {
		l := la
		if i%2 == 1 {
			l = lb
		}
		mustDuration(t)(l.Fail(ctx, "k"))
	}
	if got := mustDuration(t)(lb.Check(ctx, "k")); got != time.Second {
		t.Errorf("backoff seen by the second handle: got %v, want 1s", got)
	}
	if err := lb.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got := mustDuration(t)(la.Check(ctx, "k")); got != 0 {
		t.Errorf("reset seen by the first handle: got %v, want 0", got)
	}

	r := Rate{Limit: 2, Period: time.Minute}
	va, vb := newLimiter(t, a, c, r), newLimiter(t, b, c, r)
	mustDuration(t)(va.Allow(ctx, "k"))
	mustDuration(t)(vb.Allow(ctx, "k"))
	if got := mustDuration(t)(va.Allow(ctx, "k")); got != 30*time.Second {
		t.Errorf("third event across handles: got wait %v, want 30s", got)
	}
}

// mustDuration fails the test on an error and returns the duration.
func mustDuration(t *testing.T) func(time.Duration, error) time.Duration {
	t.Helper()
	return func(d time.Duration, err error) time.Duration {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
}
