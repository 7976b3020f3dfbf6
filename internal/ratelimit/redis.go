package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix starts every key a Redis store writes, unless
// WithPrefix says otherwise.
const DefaultRedisPrefix = "sallyport:rl:"

// Redis is a Store in a Redis server, shared by every store that uses the
// same server, database and prefix. Each operation is one Lua script, so
// it is atomic across processes; every key it writes expires once its
// state is worth nothing. Times come from the callers' clocks, which
// should agree to within a fraction of the shortest block. Errors match
// ErrUnavailable; the package documentation says how to treat them.
type Redis struct {
	client *redis.Client
	prefix string
}

var _ Store = (*Redis)(nil)

// RedisOption configures a Redis store.
type RedisOption func(*Redis)

// WithPrefix sets the prefix of every key the store writes.
func WithPrefix(prefix string) RedisOption {
	return func(r *Redis) { r.prefix = prefix }
}

// NewRedis returns a store for the Redis server that url names, in the
// form redis://[user:password@]host:port[/db] (or rediss:// for TLS). It
// does no I/O; call Ping to check the server. Since a login waits on the
// store, failures are reported quickly: unless the URL sets them, the
// timeouts are 1 s to dial and 500 ms to read or write, and a command is
// retried once.
func NewRedis(url string, opts ...RedisOption) (*Redis, error) {
	if !strings.HasPrefix(url, "redis://") && !strings.HasPrefix(url, "rediss://") {
		return nil, errors.New("new redis store: URL must start with redis:// or rediss://")
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: not repeated here.
		return nil, fmt.Errorf("new redis store: parse URL: %w", err)
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 500 * time.Millisecond
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 500 * time.Millisecond
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	o.DialerRetries = 1
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true

	r := &Redis{client: redis.NewClient(o), prefix: DefaultRedisPrefix}
	for _, opt := range opts {
		opt(r)
	}
	return r, nil
}

// Ping reports whether the server answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", unavailable(err))
	}
	return nil
}

// Close closes the store's connections.
func (r *Redis) Close() error { return r.client.Close() }

// takeScript is the token bucket (GCRA) of Memory.take. Times are integer
// microseconds, written with %.0f because Lua would print a number this
// large in exponent form and lose digits.
//
// KEYS[1] key; ARGV now, interval, period. Returns the wait, 0 if allowed.
var takeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
local wait = nxt - now - period
if wait > 0 then return wait end
redis.call('SET', KEYS[1], string.format('%.0f', nxt),
	'PX', string.format('%.0f', math.ceil((nxt - now) / 1000)))
return 0
`)

// backoffScript is Memory.backoff, with a hash of failures (n), last
// failure (last) and block end (untl) per key, in integer microseconds.
//
// KEYS[1] key; ARGV now, op, free, base, max, forget. Returns the block.
var backoffScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local op = ARGV[2]
local free = tonumber(ARGV[3])
local base = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
local forget = tonumber(ARGV[6])
local v = redis.call('HMGET', KEYS[1], 'n', 'last', 'untl')
local n = tonumber(v[1]) or 0
local last = tonumber(v[2]) or 0
local untl = tonumber(v[3]) or 0
if n > 0 and now >= math.max(last + forget, untl) then
	n = 0
	untl = 0
end
if op == 'forgive' then
	if n <= 1 then
		redis.call('DEL', KEYS[1])
	else
		if n - 1 <= free then untl = 0 end
		redis.call('HSET', KEYS[1], 'n', n - 1, 'untl', string.format('%.0f', untl))
	end
	return 0
end
if op ~= 'fail' and untl > now then return untl - now end
if op == 'check' then return 0 end
n = n + 1
if n > free and base > 0 then
	local d = base
	for i = 2, n - free do
		if d > max / 2 then
			d = max
			break
		end
		d = d * 2
	end
	untl = now + math.min(d, max)
end
local ttl = math.max(now + forget, untl) - now
redis.call('HSET', KEYS[1], 'n', n, 'last', string.format('%.0f', now),
	'untl', string.format('%.0f', untl))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil(ttl / 1000)))
if op == 'attempt' or untl <= now then return 0 end
return untl - now
`)

var opNames = [...]string{opCheck: "check", opAttempt: "attempt", opFail: "fail",
	opForgive: "forgive"}

func (r *Redis) take(ctx context.Context, key string, rt Rate, now time.Time) (time.Duration,
	error) {
	wait, err := takeScript.Run(ctx, r.client, []string{r.prefix + key},
		now.UnixMicro(), rt.interval().Microseconds(), rt.Period.Microseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis token bucket: %w", unavailable(err))
	}
	return time.Duration(wait) * time.Microsecond, nil
}

func (r *Redis) backoff(ctx context.Context, key string, b Backoff, o op, now time.Time) (
	time.Duration, error) {
	args := []any{now.UnixMicro(), opNames[o], b.Free, b.Base.Microseconds(),
		b.Max.Microseconds(), b.forget().Microseconds()}
	blocked, err := backoffScript.Run(ctx, r.client, []string{r.prefix + key}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis backoff: %w", unavailable(err))
	}
	return time.Duration(blocked) * time.Microsecond, nil
}

func (r *Redis) reset(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.prefix+key).Err(); err != nil {
		return fmt.Errorf("redis delete: %w", unavailable(err))
	}
	return nil
}

// unavailable wraps err so that it matches ErrUnavailable too.
func unavailable(err error) error { return fmt.Errorf("%w: %w", ErrUnavailable, err) }
