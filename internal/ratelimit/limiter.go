package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limiter caps the volume of an action per key with a token bucket: each
// key holds up to Limit tokens, an allowed event spends one, and one comes
// back every Period/Limit. It is safe for concurrent use; two limiters
// with the same name on one store share their buckets.
type Limiter struct {
	store Store
	name  string
	rate  Rate
	now   func() time.Time
}

// NewLimiter returns a limiter that keeps its state in s under the name
// name. It fails when the rate is invalid or name is empty.
func NewLimiter(s Store, name string, r Rate, opts ...Option) (*Limiter, error) {
	if name == "" {
		return nil, errors.New("new limiter: empty name")
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("new limiter %q: %w", name, err)
	}
	o := buildOptions(opts)
	return &Limiter{store: s, name: name, rate: r, now: o.now}, nil
}

// Rate returns the limiter's rate.
func (l *Limiter) Rate() Rate { return l.rate }

// Allow spends a token of key and returns zero, or returns how long until
// a token is free, spending nothing. A refused event does not push the
// next allowed one further away.
func (l *Limiter) Allow(ctx context.Context, key string) (time.Duration, error) {
	d, err := l.store.take(ctx, l.name+":"+key, l.rate, l.now())
	if err != nil {
		return 0, fmt.Errorf("limit %q: %w", l.name, err)
	}
	return d, nil
}
