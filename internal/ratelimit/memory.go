package ratelimit

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxKeys is the number of keys a memory store tracks when
// NewMemory is given zero.
const DefaultMaxKeys = 100_000

// Memory is a Store in the memory of one process. It tracks at most a
// fixed number of keys, about 200 bytes each. A key's state expires when
// it is worth nothing (its failures forgotten, its bucket full again).
// When the store is full and a new key arrives, the key that expires
// first is dropped: an expired one if there is one, else a live one,
// which forgets its failures or refills its bucket early (counted by
// Evicted). Checks of unknown keys and refused calls add no key.
//
// BUG: an attacker who makes a full store's worth of new failing keys can
// evict a blocked key and so lift its block early. The per-address limits
// make that slow from one address; the Redis store has no such cap.
type Memory struct {
	mu      sync.Mutex
	max     int
	keys    map[string]*entry
	queue   expiryQueue
	evicted atomic.Uint64
}

type entry struct {
	key string
	// expires is when the state below is worth nothing any more.
	expires time.Time
	index   int // in the expiry queue

	// Backoff state: the failures counted and the block's end.
	failures int
	until    time.Time

	// Token bucket state, as the theoretical arrival time of the next
	// event (GCRA): the bucket is full when tat <= now.
	tat time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty memory store that tracks at most maxKeys keys
// (DefaultMaxKeys when maxKeys <= 0).
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Memory{max: maxKeys, keys: make(map[string]*entry)}
}

// Ping returns nil.
func (m *Memory) Ping(context.Context) error { return nil }

// Close returns nil; the store stays usable.
func (m *Memory) Close() error { return nil }

// Len returns the number of keys tracked, expired ones included until they
// are dropped.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

// Evicted returns how many keys were dropped before they expired, to make
// room for new ones.
func (m *Memory) Evicted() uint64 { return m.evicted.Load() }

func (m *Memory) take(_ context.Context, key string, r Rate, now time.Time) (time.Duration,
	error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	e := m.find(key, now)
	tat := now
	if e != nil && e.tat.After(now) {
		tat = e.tat
	}
	next := tat.Add(r.interval())
	if wait := next.Sub(now) - r.Period; wait > 0 {
		return wait, nil
	}
	if e == nil {
		e = m.insert(key, now)
	}
	e.tat = next
	m.setExpiry(e, next)
	return 0, nil
}

func (m *Memory) backoff(_ context.Context, key string, b Backoff, o op, now time.Time) (
	time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	e := m.find(key, now)
	if o == opForgive {
		m.forgive(e, b)
		return 0, nil
	}
	if e != nil && o != opFail && e.until.After(now) {
		return e.until.Sub(now), nil
	}
	if o == opCheck {
		return 0, nil
	}

	if e == nil {
		e = m.insert(key, now)
	}
	e.failures++
	if d := b.Delay(e.failures); d > 0 {
		e.until = now.Add(d)
	}
	// Failures are forgotten after a quiet period, but never mid-block.
	expires := now.Add(b.forget())
	if e.until.After(expires) {
		expires = e.until
	}
	m.setExpiry(e, expires)
	if o == opAttempt || !e.until.After(now) {
		return 0, nil
	}
	return e.until.Sub(now), nil
}

// forgive takes back one failure of e, which may be nil.
func (m *Memory) forgive(e *entry, b Backoff) {
	if e == nil || e.failures == 0 {
		return
	}
	e.failures--
	if e.failures == 0 && e.tat.IsZero() {
		m.remove(e)
		return
	}
	if e.failures <= b.Free {
		e.until = time.Time{}
	}
}

func (m *Memory) reset(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.keys[key]; ok {
		m.remove(e)
	}
	return nil
}

// find returns the entry of key, or nil when there is none or it has
// expired. The caller holds m.mu.
func (m *Memory) find(key string, now time.Time) *entry {
	e, ok := m.keys[key]
	if !ok {
		return nil
	}
	if !now.Before(e.expires) {
		m.remove(e)
		return nil
	}
	return e
}

// insert adds an empty entry for key, which must be missing, after
// dropping expired entries and, if the store is still full, the entry that
// expires first. The caller holds m.mu and sets the entry's expiry.
func (m *Memory) insert(key string, now time.Time) *entry {
	for len(m.queue) > 0 && !now.Before(m.queue[0].expires) {
		m.remove(m.queue[0])
	}
	if len(m.keys) >= m.max {
		m.remove(m.queue[0])
		m.evicted.Add(1)
	}
	e := &entry{key: key, expires: now}
	m.keys[key] = e
	heap.Push(&m.queue, e)
	return e
}

func (m *Memory) setExpiry(e *entry, t time.Time) {
	e.expires = t
	heap.Fix(&m.queue, e.index)
}

func (m *Memory) remove(e *entry) {
	heap.Remove(&m.queue, e.index)
	delete(m.keys, e.key)
}

// expiryQueue is a min-heap of entries by expiry.
type expiryQueue []*entry

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].expires.Before(q[j].expires) }

func (q expiryQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *expiryQueue) Push(x any) {
	e := x.(*entry)
	e.index = len(*q)
	*q = append(*q, e)
}

func (q *expiryQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}
