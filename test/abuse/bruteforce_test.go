package abuse

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBruteForce makes 10,000 wrong guesses at one account from one
// address, 16 at a time, as fast as the server answers. The default
// limits must keep the password hashes computed to at most 50, answer
// the rest 429 with Retry-After, and let the owner in once the last
// Retry-After has passed.
func TestBruteForce(t *testing.T) {
	const (
		guesses     = 10_000
		concurrency = 16
		maxHashes   = 50
		// maxWait bounds the block the owner may have to sit out. The
		// default policy doubles the block from 1 s after 5 free failures,
		// so a guessing run of T seconds leaves a block of about T.
		maxWait = 60 * time.Second
	)
	in := startServer(t)
	addr := uniqueEmail("owner")
	pw := in.password("owner")
	in.signup(t, addr, pw)
	for i := range 50 {
		in.secrets.add("guess", guessFor(i))
	}

	before := in.metric(t, "sallyport_password_hashes_total")
	var (
		next       atomic.Int64
		mu         sync.Mutex
		counts     = map[int]int{}
		badReplies []string
		free       time.Time // when the last Retry-After runs out
		maxRetry   int
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	defer client.CloseIdleConnections()
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= guesses {
					return
				}
				r, err := in.send(call{method: "POST", path: "/api/auth/login", client: client,
					body: map[string]any{"email": addr, "password": guessFor(i)}})
				now := time.Now()
				mu.Lock()
				switch {
				case err != nil:
					badReplies = append(badReplies, err.Error())
				case r.Status == http.StatusTooManyRequests:
					counts[r.Status]++
					secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
					if err != nil || secs < 1 || r.code() != "too_many_attempts" {
						badReplies = append(badReplies, fmt.Sprintf("429 Retry-After %q %s",
							r.Header.Get("Retry-After"), r.Body))
					}
					maxRetry = max(maxRetry, secs)
					if end := now.Add(time.Duration(secs) * time.Second); end.After(free) {
						free = end
					}
				case r.Status == http.StatusUnauthorized && r.code() == "invalid_credentials":
					counts[r.Status]++
				default:
					counts[r.Status]++
					badReplies = append(badReplies, fmt.Sprintf("%d %.200s", r.Status, r.Body))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	hashes := in.metric(t, "sallyport_password_hashes_total") - before

	t.Logf("%d guesses in %v (%.0f/s): %d answered 401, %d answered 429; "+
		"%.0f password hashes computed; longest Retry-After %d s",
		guesses, elapsed.Round(time.Millisecond), guesses/elapsed.Seconds(),
		counts[http.StatusUnauthorized], counts[http.StatusTooManyRequests], hashes, maxRetry)
	if len(badReplies) > 0 {
		t.Errorf("%d replies were neither 401 nor a proper 429, first: %s",
			len(badReplies), badReplies[0])
	}
	if hashes > maxHashes {
		t.Errorf("got %.0f password hashes for %d guesses, want at most %d",
			hashes, guesses, maxHashes)
	}
	if got := counts[http.StatusTooManyRequests]; got < guesses-maxHashes {
		t.Errorf("got %d answers 429, want at least %d", got, guesses-maxHashes)
	}

	// The owner waits out the last Retry-After, then gets in at the first
	// try with the right password.
	wait := time.Until(free)
	t.Logf("owner waits %v for the block to pass", wait.Round(time.Millisecond))
	if wait > maxWait {
		t.Fatalf("the owner would have to wait %v, more than %v", wait, maxWait)
	}
	time.Sleep(wait)
	r := in.do(t, call{method: "POST", path: "/api/auth/login",
		body: map[string]any{"email": addr, "password": pw}})
	if r.Status != http.StatusOK {
		t.Fatalf("owner after the backoff: got %d %s (Retry-After %q), want 200",
			r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	in.grantOf(t, r)
}

// guessFor returns the attacker's i-th guess; there are 50 distinct ones,
// so that the log check stays cheap.
func guessFor(i int) string { return fmt.Sprintf("guess-number-%03d", i%50) }
