package verify

import (
	"strings"
	"sync"
	"sync/atomic"
)

// cache maps verified token strings to their claims. Lookups take no lock,
// so parallel requests with the same token do not contend. It holds about
// size entries: the insert that finds it full drops stale entries, then
// arbitrary ones, until it is three quarters full.
//
// Only tokens with a valid signature and claims enter, so an attacker cannot
// fill it with junk; keying by the whole token makes a hit an exact match.
type cache struct {
	size  int64
	m     sync.Map // string -> *entry
	count atomic.Int64
	evict sync.Mutex
}

// entry is a verified token's claims and the key set generation that
// verified them.
type entry struct {
	claims *Claims
	gen    uint64
}

func newCache(size int) *cache {
	return &cache{size: int64(size)}
}

func (c *cache) get(raw string) (*entry, bool) {
	v, ok := c.m.Load(raw)
	if !ok {
		return nil, false
	}
	return v.(*entry), true
}

// put caches e for raw. stale picks the entries to drop first when the cache
// is full.
func (c *cache) put(raw string, e *entry, stale func(*entry) bool) {
	if _, loaded := c.m.Swap(strings.Clone(raw), e); loaded {
		return
	}
	if c.count.Add(1) > c.size {
		c.shrink(stale)
	}
}

// shrink drops stale entries, then arbitrary ones, until the cache is at
// most three quarters full. One goroutine shrinks at a time; inserts that
// race with it may briefly push the cache past its size.
func (c *cache) shrink(stale func(*entry) bool) {
	if !c.evict.TryLock() {
		return
	}
	defer c.evict.Unlock()

	c.m.Range(func(k, v any) bool {
		if stale(v.(*entry)) {
			c.remove(k)
		}
		return true
	})
	target := c.size * 3 / 4
	c.m.Range(func(k, _ any) bool {
		if c.count.Load() <= target {
			return false
		}
		c.remove(k)
		return true
	})
}

func (c *cache) remove(k any) {
	if _, loaded := c.m.LoadAndDelete(k); loaded {
		c.count.Add(-1)
	}
}

func (c *cache) len() int { return int(c.count.Load()) }
