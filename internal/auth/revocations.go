package auth

import (
	"sync"
	"time"
)

// revocations is the in-memory set of revoked session ids, each kept only
// until every access token of that session has expired. It is what lets
// Authenticate refuse tokens of revoked sessions without a database read.
type revocations struct {
	mu    sync.RWMutex
	until map[string]time.Time
}

func newRevocations() *revocations {
	return &revocations{until: map[string]time.Time{}}
}

// add records that tokens of sid must be refused until until.
func (r *revocations) add(sid string, until time.Time) {
	r.mu.Lock()
	if until.After(r.until[sid]) {
		r.until[sid] = until
	}
	r.mu.Unlock()
}

// has reports whether sid is revoked at now.
func (r *revocations) has(sid string, now time.Time) bool {
	r.mu.RLock()
	until, ok := r.until[sid]
	r.mu.RUnlock()
	return ok && now.Before(until)
}

// prune forgets entries whose tokens have all expired.
func (r *revocations) prune(now time.Time) {
	r.mu.Lock()
	for sid, until := range r.until {
		if !now.Before(until) {
			delete(r.until, sid)
		}
	}
	r.mu.Unlock()
}

// len returns the number of entries, for metrics.
func (r *revocations) len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.until)
}
