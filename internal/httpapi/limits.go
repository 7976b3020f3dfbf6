package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/ratelimit"
)

// LimitPolicy sets the abuse limits. The zero value turns them all off;
// DefaultLimits is what the server runs with.
type LimitPolicy struct {
	// Account slows guessing at one account (keyed on its email).
	Account ratelimit.Backoff
	// Address slows failed logins from one client address, which also
	// catches one password sprayed over many accounts.
	Address ratelimit.Backoff
	// Signup caps account creation per client address.
	Signup ratelimit.Rate
	// Refresh caps refreshes per client address.
	Refresh ratelimit.Rate
}

// DefaultLimits returns the limits that are on unless switched off.
func DefaultLimits() LimitPolicy {
	return LimitPolicy{
		Account: ratelimit.Backoff{Free: 5, Base: time.Second, Max: 15 * time.Minute},
		Address: ratelimit.Backoff{Free: 30, Base: time.Second, Max: 15 * time.Minute},
		Signup:  ratelimit.Rate{Limit: 30, Period: 10 * time.Minute},
		Refresh: ratelimit.Rate{Limit: 300, Period: time.Minute},
	}
}

// limits holds the limiters built from a policy; nil fields are off.
type limits struct {
	account, address *ratelimit.BackoffLimiter
	signup, refresh  *ratelimit.Limiter
}

func newLimits(st ratelimit.Store, p LimitPolicy) (*limits, error) {
	l := &limits{}
	if st == nil {
		return l, nil
	}
	var err error
	backoff := ratelimit.NewBackoffLimiter
	if p.Account.Free > 0 {
		if l.account, err = backoff(st, "login-account", p.Account); err != nil {
			return nil, fmt.Errorf("account limit: %w", err)
		}
	}
	if p.Address.Free > 0 {
		if l.address, err = backoff(st, "login-address", p.Address); err != nil {
			return nil, fmt.Errorf("address limit: %w", err)
		}
	}
	if p.Signup.Limit > 0 {
		if l.signup, err = ratelimit.NewLimiter(st, "signup", p.Signup); err != nil {
			return nil, fmt.Errorf("signup limit: %w", err)
		}
	}
	if p.Refresh.Limit > 0 {
		if l.refresh, err = ratelimit.NewLimiter(st, "refresh", p.Refresh); err != nil {
			return nil, fmt.Errorf("refresh limit: %w", err)
		}
	}
	return l, nil
}

// loginAttempt counts a login attempt against the address and the account
// before any password is hashed. A blocked caller gets 429; a limit store
// that is down fails closed with 503, since failing open would allow
// unlimited guessing.
func (l *limits) loginAttempt(ctx context.Context, ip, email string) error {
	checks := []struct {
		lim *ratelimit.BackoffLimiter
		key string
	}{
		{l.address, ratelimit.AddrKey(ip)},
		{l.account, ratelimit.AccountKey(email)},
	}
	for i, c := range checks {
		if c.lim == nil {
			continue
		}
		wait, err := c.lim.Attempt(ctx, c.key)
		if err == nil && wait <= 0 {
			continue
		}
		// Take back what this request already counted on the other key,
		// so a blocked request does not lengthen the other block.
		for _, prev := range checks[:i] {
			if prev.lim != nil {
				_ = prev.lim.Forgive(ctx, prev.key)
			}
		}
		if err != nil {
			return errCode("unavailable", err)
		}
		return tooMany(wait)
	}
	return nil
}

// loginDone settles the counters after the password check: a success
// clears the account and takes back the address's count; a failure that
// was no wrong guess (the server busy, the store down) is taken back.
func (l *limits) loginDone(ctx context.Context, ip, email string, err error) {
	if errors.Is(err, auth.ErrInvalidCredentials) {
		return
	}
	if l.account != nil {
		if err == nil {
			_ = l.account.Reset(ctx, ratelimit.AccountKey(email))
		} else {
			_ = l.account.Forgive(ctx, ratelimit.AccountKey(email))
		}
	}
	if l.address != nil {
		_ = l.address.Forgive(ctx, ratelimit.AddrKey(ip))
	}
}

// allow applies a volume limit. A limit store that is down fails open:
// these limits protect capacity, not secrets.
func allow(ctx context.Context, lim *ratelimit.Limiter, key string) error {
	if lim == nil {
		return nil
	}
	wait, err := lim.Allow(ctx, key)
	if err != nil || wait <= 0 {
		return nil
	}
	return tooMany(wait)
}

// retryError carries a Retry-After value to writeError.
type retryError struct {
	error
	after time.Duration
}

func (e *retryError) Unwrap() error { return e.error }

func tooMany(wait time.Duration) error {
	return &retryError{error: errCode("too_many_attempts", nil), after: wait}
}

// retryAfter is the Retry-After value for err in whole seconds, at least 1.
func retryAfter(err error) string {
	var re *retryError
	if errors.As(err, &re) {
		return strconv.Itoa(int(math.Max(1, math.Ceil(re.after.Seconds()))))
	}
	return "1"
}
