package password

import (
	"context"
	"sync"
	"time"
)

// limiter is a counting semaphore of memory slots with a bounded queue.
// A caller may take several slots at once, for a stored hash that needs
// more memory than one slot holds. Waiters are served in arrival order, so
// a large request is not starved by a stream of small ones.
type limiter struct {
	mu         sync.Mutex
	free       int
	maxWaiters int
	waiters    []*waiter
}

type waiter struct {
	n     int
	ready chan struct{} // closed when the n slots are handed over
}

func newLimiter(slots, maxWaiters int) *limiter {
	return &limiter{free: slots, maxWaiters: maxWaiters}
}

// acquire takes n slots. If they are not free it waits in the queue until
// they are, ctx is done, or maxWait passes. It returns ErrBusy at once when
// the queue is full or maxWait is not positive.
func (l *limiter) acquire(ctx context.Context, n int, maxWait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}

	l.mu.Lock()
	if len(l.waiters) == 0 && l.free >= n {
		l.free -= n
		l.mu.Unlock()
		return nil
	}
	if maxWait <= 0 || len(l.waiters) >= l.maxWaiters {
		l.mu.Unlock()
		return ErrBusy
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()

	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	var err error
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = ErrBusy
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-w.ready:
		// The slots were handed over while we gave up; keep them.
		return nil
	default:
	}
	l.remove(w)
	// Leaving the head of the queue may let the next waiter in.
	l.grant()
	return err
}

// release gives back n slots taken with acquire.
func (l *limiter) release(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.free += n
	l.grant()
}

// waiting returns the number of callers in the queue.
func (l *limiter) waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waiters)
}

// grant hands free slots to waiters in order, stopping at the first waiter
// that needs more than are free. l.mu must be held.
func (l *limiter) grant() {
	for len(l.waiters) > 0 && l.free >= l.waiters[0].n {
		w := l.waiters[0]
		l.free -= w.n
		close(w.ready)
		l.waiters[0] = nil
		l.waiters = l.waiters[1:]
	}
}

// remove takes w out of the queue. l.mu must be held.
func (l *limiter) remove(w *waiter) {
	for i, x := range l.waiters {
		if x == w {
			copy(l.waiters[i:], l.waiters[i+1:])
			l.waiters[len(l.waiters)-1] = nil
			l.waiters = l.waiters[:len(l.waiters)-1]
			return
		}
	}
}
