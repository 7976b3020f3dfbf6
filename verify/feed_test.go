package verify

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// feedFixture is a verifier with a revocation feed, on a settable clock.
type feedFixture struct {
	is  *fakeIssuer
	k   *testKey
	clk *clock
	v   *Verifier
}

func newFeedFixture(t *testing.T, opts ...Option) *feedFixture {
	t.Helper()
	f := &feedFixture{k: newTestKey(t, "k", "ES256"), clk: newClock()}
	f.is = newFakeIssuer(t, f.k)
	opts = append([]Option{withClock(f.clk.Now),
		WithRevocationFeed(f.is.credential, time.Second)}, opts...)
	f.v = mustNew(t, f.is, opts...)
	return f
}

func (f *feedFixture) token(t *testing.T, sid string) string {
	c := f.is.claimsFor(f.clk.Now())
	c["sid"] = sid
	return sign(t, f.k, c, nil)
}

func (f *feedFixture) poll(t *testing.T) error {
	t.Helper()
	return f.v.feed.poll(context.Background(), f.v.cfg.client, f.clk.Now())
}

func TestFeedRevokesCachedToken(t *testing.T) {
	f := newFeedFixture(t)
	ctx := context.Background()
	gone, kept := f.token(t, "s-gone"), f.token(t, "s-kept")
	for _, tok := range []string{gone, kept} {
		if _, err := f.v.Verify(ctx, tok); err != nil {
			t.Fatalf("Verify before logout: %v", err)
		}
	}

	f.is.revoke("s-gone", f.clk.Now().Add(15*time.Minute))
	if _, err := f.v.Verify(ctx, gone); err != nil {
		t.Errorf("before the next poll: got %v, want nil", err)
	}
	if err := f.poll(t); err != nil {
		t.Fatalf("poll: %v", err)
	}
	if _, err := f.v.Verify(ctx, gone); !errors.Is(err, ErrSessionRevoked) {
		t.Errorf("revoked session, cached token: got %v, want %v", err, ErrSessionRevoked)
	}
	if _, err := f.v.Verify(ctx, kept); err != nil {
		t.Errorf("other session: got %v, want nil", err)
	}
	if got := f.v.signatureChecks.Load(); got != 2 {
		t.Errorf("signature checks: got %d, want 2", got)
	}
}

func TestFeedAtStartAndCursor(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	is.revoke("s-old", time.Now().Add(10*time.Minute))
	v := mustNew(t, is, WithRevocationFeed(is.credential, time.Second))
	c := is.claimsFor(time.Now())
	c["sid"] = "s-old"
	if _, err := v.Verify(context.Background(), sign(t, k, c, nil)); !errors.Is(err,
		ErrSessionRevoked) {
		t.Errorf("session revoked before New: got %v, want %v", err, ErrSessionRevoked)
	}
	if err := v.feed.poll(context.Background(), v.cfg.client, time.Now()); err != nil {
		t.Fatalf("poll: %v", err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	if len(is.sinceSeen) != 2 || is.sinceSeen[0] != "" || is.sinceSeen[1] != "c1" {
		t.Errorf("since parameters: got %q, want [\"\" \"c1\"]", is.sinceSeen)
	}
}

func TestFeedEntriesExpire(t *testing.T) {
	f := newFeedFixture(t, WithLeeway(time.Second))
	f.is.revoke("s1", f.clk.Now().Add(time.Minute))
	if err := f.poll(t); err != nil {
		t.Fatal(err)
	}
	if n := len(*f.v.feed.revoked.Load()); n != 1 {
		t.Fatalf("revoked entries: got %d, want 1", n)
	}
	f.clk.Add(61 * time.Second) // until plus leeway has passed
	if err := f.poll(t); err != nil {
		t.Fatal(err)
	}
	if n := len(*f.v.feed.revoked.Load()); n != 0 {
		t.Errorf("revoked entries after until: got %d, want 0", n)
	}
}

func TestFeedFailsClosedAfterGrace(t *testing.T) {
	tests := []struct {
		name      string
		opts      []Option
		grace     time.Duration
		wantAfter error
	}{
		{"default grace", nil, DefaultFeedGrace, ErrUnavailable},
		{"set grace", []Option{WithFeedGrace(5 * time.Second)}, 5 * time.Second,
			ErrUnavailable},
		{"fail open", []Option{WithFailOpen()}, DefaultFeedGrace, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFeedFixture(t, tt.opts...)
			ctx := context.Background()
			tok := f.token(t, "s1")
			f.is.setFeedDown(true)
			f.clk.Add(tt.grace)
			if err := f.poll(t); err == nil {
				t.Fatal("poll of a feed that is down: got nil error")
			}
			if _, err := f.v.Verify(ctx, tok); err != nil {
				t.Errorf("at the end of the grace period: got %v, want nil", err)
			}
			f.clk.Add(time.Second)
			_, err := f.v.Verify(ctx, tok)
			if !errors.Is(err, tt.wantAfter) || (tt.wantAfter == nil && err != nil) {
				t.Errorf("after the grace period: got %v, want %v", err, tt.wantAfter)
			}
			if _, err := f.v.Verify(ctx, "junk"); !errors.Is(err, ErrTokenInvalid) {
				t.Errorf("invalid token while the feed is down: got %v, want %v",
					err, ErrTokenInvalid)
			}

			f.is.setFeedDown(false)
			if err := f.poll(t); err != nil {
				t.Fatalf("poll after recovery: %v", err)
			}
			if _, err := f.v.Verify(ctx, tok); err != nil {
				t.Errorf("after recovery: got %v, want nil", err)
			}
		})
	}
}

func TestFeedGraceFollowsInterval(t *testing.T) {
	tests := []struct {
		name      string
		interval  time.Duration
		suggested float64
		want      time.Duration
	}{
		{"short interval", time.Second, 0, DefaultFeedGrace},
		{"long interval", 20 * time.Second, 0, time.Minute},
		{"server's interval", 0, 15, 45 * time.Second},
		{"no interval at all", 0, 0, DefaultFeedGrace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newTestKey(t, "k", "ES256")
			is := newFakeIssuer(t, k)
			is.pollSecs = tt.suggested
			v := mustNew(t, is, WithRevocationFeed(is.credential, tt.interval))
			if got := v.feed.gracePeriod(); got != tt.want {
				t.Errorf("grace: got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRunPollsAndClose(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	var (
		mu   sync.Mutex
		errs []error
	)
	v := mustNew(t, is, WithRevocationFeed(is.credential, 5*time.Millisecond),
		WithErrorHandler(func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}))
	done := make(chan error, 1)
	go func() { done <- v.Run(context.Background()) }()

	// Wait, without a time bound of our own, until Run has polled a few
	// times; the test binary's timeout catches a Run that never does.
	for is.feedHits.Load() < 4 {
		time.Sleep(time.Millisecond)
	}
	is.setFeedDown(true)
	for {
		mu.Lock()
		n := len(errs)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := v.Run(context.Background()); err == nil {
		t.Error("second Run: got nil, want an error")
	}
	v.Close()
	if err := <-done; err != nil {
		t.Errorf("Run after Close: got %v, want nil", err)
	}
	if err := v.Run(context.Background()); err != nil {
		t.Errorf("Run after Close: got %v, want nil at once", err)
	}
	v.Close() // a second Close is harmless
}

func TestRunEndsWithContext(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	v := mustNew(t, is)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context: got %v, want %v", err, context.Canceled)
	}
}
