package abuse

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// TestLoginTiming checks that a login for an unknown email takes as long
// as one for a known email with a wrong password, so that response time
// does not tell an attacker which accounts exist. It compares the medians
// of many interleaved samples, taken one at a time after a warm-up with
// the limits off, and tries the comparison up to three times before
// failing, since a shared machine can disturb one run.
func TestLoginTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("login timing takes about 20 s of sequential logins; skipped in -short mode")
	}
	const (
		samples   = 200
		warmup    = 10
		tolerance = 0.10
		tries     = 3
	)
	in := startServer(t, "--rate-limit=false")
	known := uniqueEmail("known")
	in.signup(t, known, in.password("known"))
	wrong := "not the password of anyone"
	in.secrets.add("wrong password", wrong)

	login := func(addr string) (time.Duration, error) {
		start := time.Now()
		r, err := in.send(call{method: "POST", path: "/api/auth/login",
			body: map[string]any{"email": addr, "password": wrong}})
		d := time.Since(start)
		if err == nil && (r.Status != http.StatusUnauthorized ||
			r.code() != "invalid_credentials") {
			err = fmt.Errorf("login %s: got %d %s, want 401 invalid_credentials",
				addr, r.Status, r.Body)
		}
		return d, err
	}
	for range warmup {
		for _, a := range []string{known, uniqueEmail("warm")} {
			if _, err := login(a); err != nil {
				t.Fatal(err)
			}
		}
	}

	var last string
	for try := 1; try <= tries; try++ {
		var knownD, unknownD []time.Duration
		for range samples {
			// Each pair in a random order, so that neither kind always
			// follows the other.
			first, second := &knownD, &unknownD
			addrs := [2]string{known, uniqueEmail("nobody")}
			if rand.IntN(2) == 0 {
				first, second = second, first
				addrs[0], addrs[1] = addrs[1], addrs[0]
			}
			for i, dst := range []*[]time.Duration{first, second} {
				d, err := login(addrs[i])
				if err != nil {
					t.Fatal(err)
				}
				*dst = append(*dst, d)
			}
		}
		mk, mu := median(knownD), median(unknownD)
		diff := float64(mk-mu) / float64(min(mk, mu))
		last = fmt.Sprintf("median %v for a known email with a wrong password, %v for an "+
			"unknown email (%+.1f%%), %d samples each", mk.Round(time.Microsecond),
			mu.Round(time.Microsecond), 100*diff, samples)
		t.Logf("try %d: %s", try, last)
		if diff <= tolerance && diff >= -tolerance {
			return
		}
	}
	t.Errorf("after %d tries: %s; want within %.0f%%", tries, last, 100*tolerance)
}
