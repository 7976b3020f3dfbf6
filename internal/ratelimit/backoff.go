package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// BackoffLimiter applies a [Backoff] policy to keys. It is safe for
// concurrent use; two limiters with the same name on one store (or on two
// Redis stores that share a server and prefix) share their counts.
//
// For login, call [BackoffLimiter.Attempt] before computing the password
// hash and [BackoffLimiter.Reset] after a success: the attempt is counted
// as a failure before it is made, so a burst of concurrent guesses cannot
// all pass a check that none of them has yet counted against. For a key
// that a success must not reset, such as a client address shared by many
// users, call [BackoffLimiter.Forgive] after a success instead: it takes
// back the failure that Attempt counted in advance. The pair
// [BackoffLimiter.Check] and [BackoffLimiter.Fail] counts only real
// failures without taking anything back, at the price of that race.
type BackoffLimiter struct {
	store  Store
	name   string
	policy Backoff
	now    func() time.Time
}

// NewBackoffLimiter returns a limiter that keeps its state in s under the
// name name. It fails when the policy is invalid or name is empty.
func NewBackoffLimiter(s Store, name string, b Backoff, opts ...Option) (*BackoffLimiter,
	error) {
	if name == "" {
		return nil, errors.New("new backoff limiter: empty name")
	}
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("new backoff limiter %q: %w", name, err)
	}
	o := buildOptions(opts)
	return &BackoffLimiter{store: s, name: name, policy: b, now: o.now}, nil
}

// Policy returns the limiter's policy.
func (l *BackoffLimiter) Policy() Backoff { return l.policy }

// Check returns how long key is still blocked, or zero when it may try
// now. It changes nothing. Callers answer a positive result with 429 and
// a Retry-After of that duration rounded up to whole seconds.
func (l *BackoffLimiter) Check(ctx context.Context, key string) (time.Duration, error) {
	return l.call(ctx, key, opCheck)
}

// Attempt is Check followed, when key is not blocked, by Fail, in one
// atomic step. It returns how long key is still blocked, and then counts
// nothing, or zero after counting the attempt as a failure. A caller whose
// attempt succeeds calls Reset.
func (l *BackoffLimiter) Attempt(ctx context.Context, key string) (time.Duration, error) {
	return l.call(ctx, key, opAttempt)
}

// Fail counts a failure for key, blocked or not, and returns how long the
// key is now blocked (zero while the failure was free).
func (l *BackoffLimiter) Fail(ctx context.Context, key string) (time.Duration, error) {
	return l.call(ctx, key, opFail)
}

// Forgive takes back one failure of key, the one that Attempt counted in
// advance for an attempt that then succeeded. When that leaves no more
// than Free failures it also lifts the block; otherwise the block stays
// as it is, possibly one step longer than the other failures alone would
// have made it.
func (l *BackoffLimiter) Forgive(ctx context.Context, key string) error {
	_, err := l.call(ctx, key, opForgive)
	return err
}

// Reset forgets the failures of key.
func (l *BackoffLimiter) Reset(ctx context.Context, key string) error {
	if err := l.store.reset(ctx, l.name+":"+key); err != nil {
		return fmt.Errorf("reset %q: %w", l.name, err)
	}
	return nil
}

func (l *BackoffLimiter) call(ctx context.Context, key string, o op) (time.Duration, error) {
	d, err := l.store.backoff(ctx, l.name+":"+key, l.policy, o, l.now())
	if err != nil {
		// The key may be an email hash or an address: not repeated here.
		return 0, fmt.Errorf("backoff %q: %w", l.name, err)
	}
	return d, nil
}
