package abuse

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestHashFlood sends 1,000 concurrent logins, each on a connection of its
// own, for 1,000 different unknown accounts (so per-account limits shed
// nothing, and the rate limits are off besides) to a server with a 64 MiB
// hash budget. The server must queue or shed them (401 or 503 busy with
// Retry-After, never another 5xx), keep its resident memory within the
// budget plus 64 MiB above idle, and keep answering a signed-in user's
// GET /api/auth/me quickly.
//
// The latency bound is a median during the flood of at most 20 times the
// median before it, or 50 ms, whichever is larger. Both cores are busy
// hashing, so /me waits for a scheduler slot (Go preempts every 10 ms);
// 50 ms is a few such slots and far below the seconds that a login waits
// in the hash queue, which is the failure this guards against.
func TestHashFlood(t *testing.T) {
	const (
		attempts  = 1000
		budgetMiB = 64
		slackMiB  = 64
		meFactor  = 20
		meFloor   = 50 * time.Millisecond
	)
	in := startServer(t, "--rate-limit=false", "--hash-memory", strconv.Itoa(budgetMiB))
	in.allowed5xx[http.StatusServiceUnavailable] = true
	idle, err := in.rss()
	if err != nil {
		t.Fatal(err)
	}
	user := in.signup(t, uniqueEmail("steady"), in.password("steady"))

	// /me before the flood, on a kept-alive connection as a browser would.
	meClient := &http.Client{Transport: &http.Transport{}}
	defer meClient.CloseIdleConnections()
	probe := func() (time.Duration, error) {
		start := time.Now()
		r, err := in.send(call{method: "GET", path: "/api/auth/me", token: user.Access,
			client: meClient})
		d := time.Since(start)
		if err == nil && r.Status != http.StatusOK {
			err = fmt.Errorf("GET /me: status %d %s", r.Status, r.Body)
		}
		return d, err
	}
	var before []time.Duration
	for range 200 {
		d, err := probe()
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, d)
	}

	floodClient := &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, MaxIdleConnsPerHost: -1}}
	pw := in.password("flood")
	go1 := make(chan struct{})
	done := make(chan struct{})
	var (
		mu      sync.Mutex
		counts  = map[string]int{}
		bad     []string
		peak    = idle
		during  []time.Duration
		probeOK = true
	)
	var watchers sync.WaitGroup
	watchers.Go(func() { // memory, every 20 ms
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, err := in.rss(); err == nil {
				mu.Lock()
				peak = max(peak, rss)
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	watchers.Go(func() { // the signed-in user
		<-go1
		for {
			select {
			case <-done:
				return
			default:
			}
			d, err := probe()
			mu.Lock()
			during = append(during, d)
			if err != nil && probeOK {
				probeOK = false
				bad = append(bad, "steady user: "+err.Error())
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	})

	var flood sync.WaitGroup
	start := time.Now()
	for i := range attempts {
		flood.Go(func() {
			<-go1
			r, err := in.send(call{method: "POST", path: "/api/auth/login", client: floodClient,
				body: map[string]any{"email": fmt.Sprintf("flood-%d-%s@example.com", i,
					randomHex(3)), "password": pw}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				counts["transport error"]++
				bad = append(bad, err.Error())
			case r.Status == http.StatusUnauthorized && r.code() == "invalid_credentials":
				counts["401"]++
			case r.Status == http.StatusServiceUnavailable && r.code() == "busy":
				counts["503 busy"]++
				if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 {
					bad = append(bad, "503 busy without Retry-After")
				}
			default:
				counts[strconv.Itoa(r.Status)]++
				bad = append(bad, fmt.Sprintf("%d %.200s", r.Status, r.Body))
			}
		})
	}
	hashesBefore := in.metric(t, "sallyport_password_hashes_total")
	close(go1)
	flood.Wait()
	elapsed := time.Since(start)
	close(done)
	watchers.Wait()
	hashes := in.metric(t, "sallyport_password_hashes_total") - hashesBefore

	const mib = 1 << 20
	limit := idle + (budgetMiB+slackMiB)*mib
	medBefore, medDuring := median(before), median(during)
	bound := max(meFactor*medBefore, meFloor)
	t.Logf("flood of %d logins in %v: %v; %.0f hashes computed", attempts,
		elapsed.Round(time.Millisecond), counts, hashes)
	t.Logf("RSS: idle %.1f MiB, peak %.1f MiB (%.1f MiB above idle), limit %.1f MiB",
		float64(idle)/mib, float64(peak)/mib, float64(peak-idle)/mib, float64(limit)/mib)
	t.Logf("GET /me median: %v before (%d samples), %v during (%d samples); bound %v",
		medBefore.Round(time.Microsecond), len(before), medDuring.Round(time.Microsecond),
		len(during), bound)

	if len(bad) > 0 {
		t.Errorf("%d bad answers, first: %s", len(bad), bad[0])
	}
	if counts["401"]+counts["503 busy"] != attempts {
		t.Errorf("got %v, want only 401 and 503 busy, %d in all", counts, attempts)
	}
	if counts["401"] == 0 {
		t.Errorf("no login was answered at all; the flood test measured nothing")
	}
	if peak > limit {
		t.Errorf("peak RSS %.1f MiB is above idle + budget + %d MiB = %.1f MiB",
			float64(peak)/mib, slackMiB, float64(limit)/mib)
	}
	if len(during) < 5 {
		t.Errorf("only %d /me samples during the flood, want at least 5", len(during))
	}
	if medDuring > bound {
		t.Errorf("GET /me median during the flood %v, want at most %v (before: %v)",
			medDuring, bound, medBefore)
	}
	// The server is fine afterwards.
	in.me(t, user.Access).wantStatus(t, http.StatusOK)
}
