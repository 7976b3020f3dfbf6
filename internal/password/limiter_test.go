package password

import (
	"context"
	"errors"
	"testing"
	"time"
)

// acquireAsync starts acquire(n) and returns a channel for its result.
func acquireAsync(ctx context.Context, l *limiter, n int) <-chan error {
	done := make(chan error, 1)
	go func() { done <- l.acquire(ctx, n, time.Hour) }()
	return done
}

// pending reports whether done, made by acquireAsync, holds no result yet.
func pending(done <-chan error) bool {
	return len(done) == 0
}

// TestLimiterOrder checks that waiters are served in arrival order: a small
// request behind a large one waits even when its slot is free, and gets in
// as soon as the large one gives up.
func TestLimiterOrder(t *testing.T) {
	l := newLimiter(2, 10)
	ctx := context.Background()
	if err := l.acquire(ctx, 1, 0); err != nil {
		t.Fatalf("acquire(1): got %v, want nil", err)
	}

	bigCtx, cancelBig := context.WithCancel(ctx)
	big := acquireAsync(bigCtx, l, 2)
	waitFor(func() bool { return l.waiting() == 1 })
	small := acquireAsync(ctx, l, 1)
	waitFor(func() bool { return l.waiting() == 2 || !pending(small) })
	if !pending(small) {
		t.Fatalf("acquire(1) behind acquire(2): got a result, want it to wait")
	}

	cancelBig()
	if err := <-big; !errors.Is(err, context.Canceled) {
		t.Errorf("acquire(2) cancelled: got %v, want context.Canceled", err)
	}
	if err := <-small; err != nil {
		t.Errorf("acquire(1) after the head left: got %v, want nil", err)
	}
	if l.free != 0 || l.waiting() != 0 {
		t.Errorf("state: got %d free and %d waiting, want 0 and 0", l.free, l.waiting())
	}
}

// TestLimiterRelease checks that a release hands slots to the head of the
// queue only once enough are free.
func TestLimiterRelease(t *testing.T) {
	l := newLimiter(2, 10)
	ctx := context.Background()
	if err := l.acquire(ctx, 2, 0); err != nil {
		t.Fatalf("acquire(2): got %v, want nil", err)
	}
	big := acquireAsync(ctx, l, 2)
	waitFor(func() bool { return l.waiting() == 1 })

	l.release(1)
	if !pending(big) || l.free != 1 {
		t.Fatalf("after release(1): got %d free, want 1 and acquire(2) waiting", l.free)
	}
	l.release(1)
	if err := <-big; err != nil {
		t.Errorf("acquire(2) after release(2): got %v, want nil", err)
	}
	if l.free != 0 {
		t.Errorf("free: got %d, want 0", l.free)
	}
}
