// Package ratelimit slows down guessing and caps request volume.
//
// Two limiters share one state [Store]:
//
//   - [BackoffLimiter] counts failures per key (an account, a client
//     address) and, after a number of free failures, blocks the key for a
//     time that doubles with every further failure, up to a maximum. A
//     success resets an account's key and takes back its own attempt on a
//     shared key such as an address. There is no permanent lockout: once
//     the block has passed the key may try again, so an attacker cannot
//     keep an owner out for longer than the maximum block at a time.
//   - [Limiter] caps the volume of an action per key (signups per address,
//     refreshes per session) with a token bucket.
//
// The state lives in memory ([NewMemory], the default) or in Redis
// ([NewRedis]), where several server instances share it. Both backends do
// each check and update in one atomic step, so concurrent requests cannot
// slip through between a check and the update that should have stopped
// them.
//
// # When the store fails
//
// Only the Redis store can fail; its errors match [ErrUnavailable] and the
// limiters return them without deciding anything. The server should then
// fail closed for login (answer 503 unavailable with a short Retry-After,
// not 429, since the client did nothing wrong): failing open would let
// anyone who can disturb Redis guess passwords at full speed, and the
// login limits are what stands between a password and a guessing attack.
// It should fail open for volume limits (signup, refresh): they protect
// capacity rather than secrets, the password hash semaphore still bounds
// the cost of a signup flood, and refusing refreshes during a Redis blip
// would sign every user out.
//
// # Keys
//
// [AccountKey] turns an email into a key that merges case and Unicode
// variants of one address and holds no raw email; [AddrKey] turns a client
// address into a key, merging an IPv6 /64 network into one.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrUnavailable is matched by every error a store returns when its
// backend (Redis) could not be reached or failed.
var ErrUnavailable = errors.New("rate limit store unavailable")

// Store keeps the state of limiters. [NewMemory] and [NewRedis] return the
// two implementations; other packages cannot implement it. One store may
// back any number of limiters, told apart by their names. A Store is safe
// for concurrent use.
type Store interface {
	// Ping reports whether the backend is reachable; always nil in memory.
	Ping(ctx context.Context) error
	// Close releases the backend's connections.
	Close() error

	// take spends one token of rate r for key at now and returns zero, or
	// returns how long until a token is free without spending one.
	take(ctx context.Context, key string, r Rate, now time.Time) (time.Duration, error)
	// backoff applies op under policy b to key at now and returns how long
	// the key is blocked (see op).
	backoff(ctx context.Context, key string, b Backoff, op op, now time.Time) (
		time.Duration, error)
	// reset forgets key.
	reset(ctx context.Context, key string) error
}

// op is what a backoff call does.
type op int

const (
	// opCheck returns the remaining block and changes nothing.
	opCheck op = iota
	// opAttempt returns the remaining block if there is one; otherwise it
	// counts a failure and returns zero.
	opAttempt
	// opFail counts a failure and returns the block it causes.
	opFail
	// opForgive takes back one failure and returns zero.
	opForgive
)

// Rate is a volume limit: Limit events per Period, with bursts of up to
// Limit events.
type Rate struct {
	Limit  int
	Period time.Duration
}

// interval is the time one token takes to come back.
func (r Rate) interval() time.Duration { return r.Period / time.Duration(r.Limit) }

// validate reports whether r can be enforced.
func (r Rate) validate() error {
	if r.Limit < 1 || r.Period <= 0 {
		return fmt.Errorf("rate %d per %v: want a positive limit and period", r.Limit, r.Period)
	}
	if r.interval() < time.Microsecond {
		return fmt.Errorf("rate %d per %v: more than one event per microsecond", r.Limit, r.Period)
	}
	return nil
}

// DefaultForget is the quiet period after which a key's failures are
// forgotten when [Backoff.Forget] is zero and 2*Max is shorter.
const DefaultForget = 24 * time.Hour

// Backoff is a policy for failures: the first Free failures of a key cost
// nothing; failure number Free+k (k >= 1) blocks the key for
// Base*2^(k-1), at most Max. A key with no failure for the quiet period
// Forget starts over. The zero value blocks nothing.
type Backoff struct {
	Free      int
	Base, Max time.Duration
	// Forget is the quiet period; zero means the longer of 2*Max and
	// DefaultForget.
	Forget time.Duration
}

// Delay returns how long the key is blocked right after its failures-th
// failure.
func (b Backoff) Delay(failures int) time.Duration {
	k := failures - b.Free
	if k <= 0 || b.Base <= 0 {
		return 0
	}
	d := b.Base
	for i := 1; i < k; i++ {
		if d > b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}

// forget returns the effective quiet period.
func (b Backoff) forget() time.Duration {
	if b.Forget > 0 {
		return b.Forget
	}
	return max(2*b.Max, DefaultForget)
}

// validate reports whether b can be enforced.
func (b Backoff) validate() error {
	if b.Free < 0 || b.Base < 0 || b.Max < b.Base || b.Forget < 0 {
		return fmt.Errorf("backoff free %d base %v max %v forget %v: want "+
			"0 <= free, 0 <= base <= max, 0 <= forget", b.Free, b.Base, b.Max, b.Forget)
	}
	if b.Base > 0 && b.Base < time.Microsecond {
		return fmt.Errorf("backoff base %v: want at least a microsecond", b.Base)
	}
	return nil
}

// Option configures a limiter.
type Option func(*options)

type options struct {
	now func() time.Time
}

// WithClock makes a limiter read the time from now instead of time.Now,
// for tests.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
