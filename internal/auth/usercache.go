package auth

import (
	"sync"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// userCacheTTL bounds how stale a cached user may be. Changes made by
// this process invalidate at once; those made by another instance or the
// CLI show after at most this long.
const userCacheTTL = 2 * time.Second

// userCacheMax caps the entries; when full, the cache starts over.
const userCacheMax = 10000

// userCache keeps recently read users so that GET /me costs no database
// read in the common case.
type userCache struct {
	mu      sync.RWMutex
	entries map[string]cachedUser
}

type cachedUser struct {
	user    store.User
	fetched time.Time
}

func newUserCache() *userCache { return &userCache{entries: map[string]cachedUser{}} }

func (c *userCache) get(id string, now time.Time) (store.User, bool) {
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if !ok || now.Sub(e.fetched) > userCacheTTL || now.Before(e.fetched) {
		return store.User{}, false
	}
	return e.user, true
}

func (c *userCache) put(u store.User, now time.Time) {
	c.mu.Lock()
	if len(c.entries) >= userCacheMax {
		c.entries = map[string]cachedUser{}
	}
	c.entries[u.ID] = cachedUser{user: u, fetched: now}
	c.mu.Unlock()
}

func (c *userCache) forget(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}
