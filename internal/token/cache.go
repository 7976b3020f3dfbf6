package token

import (
	"strings"
	"sync"
	"sync/atomic"
)

// cache maps verified token strings to their claims. Lookups take no lock,
// so parallel requests with the same token do not contend. It holds about
// size entries: when an insert finds it full, one goroutine drops stale
// entries and then arbitrary ones until it is three quarters full.
//
// Only tokens with a valid signature enter the cache, so an attacker cannot
// fill it with large strings; keying by the whole token (rather than a hash)
// makes a lookup a single map probe and a hit an exact match.
type cache struct {
	size  int64
	m     sync.Map // string -> *cacheEntry
	count atomic.Int64
	evict sync.Mutex
}

// cacheEntry is a verified token's claims and the keyring generation that
// verified it.
type cacheEntry struct {
	claims Claims
	gen    uint64
}

func newCache(size int) *cache {
	return &cache{size: int64(size)}
}

// get returns the claims cached for raw if they were verified by keyring
// generation gen.
func (c *cache) get(raw string, gen uint64) (Claims, bool) {
	v, ok := c.m.Load(raw)
	if !ok {
		return Claims{}, false
	}
	e := v.(*cacheEntry)
	if e.gen != gen {
		return Claims{}, false
	}
	return e.claims, true
}

// put caches claims for raw. stale reports entries to drop first when the
// cache is full.
func (c *cache) put(raw string, claims Claims, gen uint64, stale func(*cacheEntry) bool) {
	e := &cacheEntry{claims: claims, gen: gen}
	if _, loaded := c.m.Swap(strings.Clone(raw), e); !loaded {
		if c.count.Add(1) > c.size {
			c.shrink(stale)
		}
	}
}

// shrink drops stale entries, then arbitrary ones, until the cache is at
// most three quarters full. Only one goroutine shrinks at a time; the others
// carry on, so the cache may briefly exceed its size by the number of
// concurrent inserts.
func (c *cache) shrink(stale func(*cacheEntry) bool) {
	if !c.evict.TryLock() {
		return
	}
	defer c.evict.Unlock()

	c.m.Range(func(k, v any) bool {
		if stale(v.(*cacheEntry)) {
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

// len returns the number of cached tokens.
func (c *cache) len() int {
	return int(c.count.Load())
}
