package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// feed follows the issuer's revocation feed: the revoked session IDs, each
// with the time until which its tokens could still be accepted.
type feed struct {
	url        string
	credential string
	interval   time.Duration // configured; zero follows the server
	grace      time.Duration
	graceFixed bool
	failOpen   bool
	leeway     time.Duration

	suggested atomic.Int64 // the server's poll_interval, nanoseconds
	lastOK    atomic.Int64 // Unix nanoseconds of the last successful poll
	revoked   atomic.Pointer[map[string]time.Time]

	mu     sync.Mutex // serializes polls; guards cursor
	cursor string
}

// feedPage is one answer of the revocation feed.
type feedPage struct {
	Revocations []struct {
		SessionID string  `json:"session_id"`
		RevokedAt float64 `json:"revoked_at"`
		Until     float64 `json:"until"`
	} `json:"revocations"`
	Cursor       string  `json:"cursor"`
	PollInterval float64 `json:"poll_interval"`
}

func newFeed(u string, cfg config) *feed {
	f := &feed{
		url:        u,
		credential: cfg.credential,
		interval:   cfg.feedInterval,
		grace:      cfg.feedGrace,
		graceFixed: cfg.graceExplicit,
		failOpen:   cfg.failOpen,
		leeway:     cfg.leeway,
	}
	f.revoked.Store(&map[string]time.Time{})
	return f
}

// pollInterval is the configured interval, else the server's suggestion,
// else DefaultFeedInterval.
func (f *feed) pollInterval() time.Duration {
	if f.interval > 0 {
		return f.interval
	}
	if s := time.Duration(f.suggested.Load()); s > 0 {
		return s
	}
	return DefaultFeedInterval
}

// gracePeriod is how long after the last successful poll tokens are still
// accepted.
func (f *feed) gracePeriod() time.Duration {
	if f.graceFixed {
		return f.grace
	}
	return max(f.grace, 3*f.pollInterval())
}

// check refuses sid when it is revoked at now, and every session when the
// feed has been unreadable for longer than the grace period.
func (f *feed) check(sid string, now time.Time) error {
	if !f.failOpen {
		last := time.Unix(0, f.lastOK.Load())
		if age := now.Sub(last); age > f.gracePeriod() {
			return fmt.Errorf("%w: revocation feed last read %s ago",
				ErrUnavailable, age.Round(time.Second))
		}
	}
	if until, ok := (*f.revoked.Load())[sid]; ok && now.Before(until) {
		return ErrSessionRevoked
	}
	return nil
}

// poll reads the feed from the cursor on and merges what it lists. A
// session's entry is kept until the server's until plus this Verifier's
// leeway, the last moment one of its tokens could pass checkTimes.
func (f *feed) poll(ctx context.Context, c *http.Client, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()

	u := f.url
	if f.cursor != "" {
		u += "?since=" + url.QueryEscape(f.cursor)
	}
	var page feedPage
	if err := getJSON(ctx, c, u, f.credential, maxFeedSize, &page); err != nil {
		var st *errStatus
		if errors.As(err, &st) && st.status == http.StatusUnauthorized {
			return fmt.Errorf("revocation feed refused the service credential: %w", err)
		}
		return fmt.Errorf("poll revocation feed: %w", err)
	}

	f.merge(&page, now)
	if page.Cursor != "" {
		f.cursor = page.Cursor
	}
	if page.PollInterval > 0 && page.PollInterval < 3600 {
		f.suggested.Store(int64(page.PollInterval * float64(time.Second)))
	}
	f.lastOK.Store(now.UnixNano())
	return nil
}

// merge replaces the revoked set with one that adds page's entries and
// drops entries past their time. The set is copied, not changed, so that
// check reads it without a lock; it is left alone when nothing changes.
func (f *feed) merge(page *feedPage, now time.Time) {
	old := *f.revoked.Load()
	changed := false
	for _, until := range old {
		if !now.Before(until) {
			changed = true
			break
		}
	}
	if !changed && len(page.Revocations) == 0 {
		return
	}

	next := make(map[string]time.Time, len(old)+len(page.Revocations))
	for sid, until := range old {
		if now.Before(until) {
			next[sid] = until
		}
	}
	for _, r := range page.Revocations {
		until := unixTime(r.Until).Add(f.leeway)
		if r.SessionID == "" || !now.Before(until) {
			continue
		}
		if until.After(next[r.SessionID]) {
			next[r.SessionID] = until
		}
	}
	f.revoked.Store(&next)
}

func unixTime(sec float64) time.Time {
	return time.Unix(0, int64(sec*float64(time.Second)))
}

// Run does the Verifier's background work until ctx ends or Close is called:
// it polls the revocation feed, when there is one, every poll interval, and
// refreshes the key set every DefaultKeyRefresh. Errors of that work go to
// the WithErrorHandler function and do not stop Run. Run returns nil after
// Close and ctx.Err() when ctx ends; it returns an error at once if another
// Run of the same Verifier is running.
func (v *Verifier) Run(ctx context.Context) error {
	if !v.running.CompareAndSwap(false, true) {
		return errors.New("verify: Run is already running")
	}
	defer v.running.Store(false)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-v.closed:
			cancel()
		case <-ctx.Done():
		}
	}()

	timer := time.NewTimer(v.tick())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			select {
			case <-v.closed:
				return nil
			default:
				return ctx.Err()
			}
		case <-timer.C:
		}
		v.background(ctx)
		timer.Reset(v.tick())
	}
}

// tick is the time between two rounds of background work.
func (v *Verifier) tick() time.Duration {
	if v.feed != nil {
		return v.feed.pollInterval()
	}
	return v.cfg.keyRefresh
}

// background polls the feed and refreshes a key set that is old enough.
func (v *Verifier) background(ctx context.Context) {
	if v.feed != nil {
		if err := v.feed.poll(ctx, v.cfg.client, v.cfg.now()); err != nil &&
			ctx.Err() == nil {
			v.cfg.onError(fmt.Errorf("verify: %w", err))
		}
	}
	if v.cfg.now().Sub(v.keys.Load().fetched) >= v.cfg.keyRefresh {
		if _, err := v.fetchKeys(ctx); err != nil && ctx.Err() == nil {
			v.cfg.onError(fmt.Errorf("verify: %w", err))
		}
	}
}

// Close stops Run and makes it return nil; a later Run returns at once. The
// Verifier still verifies tokens after Close, from the keys and revocations
// it knows; with a revocation feed it fails closed once the grace period has
// passed (unless WithFailOpen). Close is safe to call more than once and
// always returns nil.
func (v *Verifier) Close() error {
	v.closeOnce.Do(func() { close(v.closed) })
	return nil
}
