package main

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/sallyport/sallyport/internal/password"
)

const (
	numUsers   = 4                      // the "handful" of accounts logins use
	ratioSlice = 500 * time.Millisecond // one turn in the rounds of ratio and login runs
	warmup     = 500 * time.Millisecond
	grace      = 5 * time.Second // for requests running when a run ends
	maxHashes  = 1000            // per goroutine and turn of in-process hashing
)

// account is a user the run signed up.
type account struct {
	email, password string
}

// run holds what the scenarios share.
type run struct {
	opts   options
	srv    *server
	client *http.Client // to the server
	users  []account
	token  string // an access token of users[0]
	report *report
}

// measured is one scenario's load run plus the CPU its server used.
type measured struct {
	*stats
	cpu time.Duration
}

// cpuPerOK returns the server CPU time per 2xx answer.
func (m measured) cpuPerOK() time.Duration {
	if m.ok == 0 {
		return 0
	}
	return m.cpu / time.Duration(m.ok)
}

// add folds o, a later run of the same scenario, into m.
func (m *measured) add(o measured) {
	if m.stats == nil {
		m.stats = &stats{}
	}
	m.merge(o.stats)
	m.elapsed += o.elapsed
	m.cpu += o.cpu
}

// measure warms up, then runs do with workers for the set duration.
func (r *run) measure(ctx context.Context, name string, pid, workers int,
	do doer) (measured, error) {
	progress("%s: %d workers, %v", name, workers, r.opts.duration)
	runLoad(ctx, workers, warmup, grace, do)
	return r.timed(ctx, name, pid, workers, r.opts.duration, do)
}

// timed runs do with workers for d and reads the CPU time the process pid
// used meanwhile.
func (r *run) timed(ctx context.Context, name string, pid, workers int, d time.Duration,
	do doer) (measured, error) {
	before, err := readCPU(pid)
	if err != nil {
		return measured{}, err
	}
	st := runLoad(ctx, workers, d, grace, do)
	after, err := readCPU(pid)
	if err != nil {
		return measured{}, err
	}
	if err := ctx.Err(); err != nil {
		return measured{}, fmt.Errorf("%s: %w", name, err)
	}
	return measured{stats: st, cpu: after - before}, nil
}

// signUp creates the accounts and keeps an access token of the first.
func (r *run) signUp(ctx context.Context) error {
	for i := range numUsers {
		a := account{
			email:    fmt.Sprintf("load-%d@example.com", i),
			password: fmt.Sprintf("load-run-password-%d", i),
		}
		in := credentials{Email: a.email, Password: a.password, ReturnRefreshToken: true}
		var g grant
		status, code, err := postJSON(ctx, r.client, r.srv.base+"/api/auth/signup", in, &g)
		if err != nil {
			return fmt.Errorf("sign up %s: %w", a.email, err)
		}
		if status != http.StatusCreated || g.AccessToken == "" {
			return fmt.Errorf("sign up %s: got status %d %q, want 201 with a token",
				a.email, status, code)
		}
		if i == 0 {
			r.token = g.AccessToken
		}
		r.users = append(r.users, a)
	}
	return nil
}

// login logs a in and returns the tokens.
func (r *run) login(ctx context.Context, a account) (grant, error) {
	in := credentials{Email: a.email, Password: a.password, ReturnRefreshToken: true}
	var g grant
	status, code, err := postJSON(ctx, r.client, r.srv.base+"/api/auth/login", in, &g)
	if err != nil {
		return grant{}, fmt.Errorf("log in as %s: %w", a.email, err)
	}
	if status != http.StatusOK || g.RefreshToken == "" {
		return grant{}, fmt.Errorf("log in as %s: got status %d %q, want 200 with tokens",
			a.email, status, code)
	}
	return g, nil
}

// target is an endpoint the ratio scenarios load.
type target struct {
	name string
	pid  int
	do   doer
}

// getter returns a doer that GETs url with the one repeated access token.
func (r *run) getter(client *http.Client, url string) doer {
	return func(ctx context.Context, _ int) (int, error) {
		return get(ctx, client, url, r.token)
	}
}

// interleave warms up every target, then runs them one after the other in
// rounds, each for its share of the set duration, and returns the sum for
// each target and the lowest and highest per-round ratio of every target
// to the first. Interleaving puts the same mix of the machine's other work
// under each target, which matters on a shared machine.
func (r *run) interleave(ctx context.Context, targets []target, rounds int) (
	sums []measured, lo, hi []float64, err error) {
	for _, t := range targets {
		progress("%s: warming up", t.name)
		runLoad(ctx, r.opts.conns, warmup, grace, t.do)
	}
	slice := r.opts.duration / time.Duration(rounds)
	progress("%s: %d rounds of %v each, %d workers", targetNames(targets), rounds, slice,
		r.opts.conns)
	sums = make([]measured, len(targets))
	lo, hi = make([]float64, len(targets)), make([]float64, len(targets))
	for round := range rounds {
		var first float64
		for i, t := range targets {
			m, err := r.timed(ctx, t.name, t.pid, r.opts.conns, slice, t.do)
			if err != nil {
				return nil, nil, nil, err
			}
			sums[i].add(m)
			if i == 0 {
				first = m.rate()
				continue
			}
			ratio := m.rate() / max(first, 1)
			if round == 0 || ratio < lo[i] {
				lo[i] = ratio
			}
			hi[i] = max(hi[i], ratio)
		}
	}
	return sums, lo, hi, nil
}

func targetNames(targets []target) string {
	var names []string
	for _, t := range targets {
		names = append(names, t.name)
	}
	return strings.Join(names, ", ")
}

// refresh measures rotating refreshes: each worker owns one session and
// always sends the refresh token the last rotation gave it.
func (r *run) refresh(ctx context.Context) (measured, error) {
	tokens, err := r.sessions(ctx, r.opts.conns)
	if err != nil {
		return measured{}, err
	}
	url := r.srv.base + "/api/auth/refresh"
	return r.measure(ctx, "refresh", r.srv.pid(), r.opts.conns,
		func(ctx context.Context, w int) (int, error) {
			in := refreshRequest{RefreshToken: tokens[w], ReturnRefreshToken: true}
			var g grant
			status, _, err := postJSON(ctx, r.client, url, in, &g)
			switch {
			case err == nil && status == http.StatusOK && g.RefreshToken != "":
				tokens[w] = g.RefreshToken
			case err == nil && status == http.StatusUnauthorized:
				// The session is dead; start another so the worker goes on.
				if g, err := r.login(ctx, r.users[w%len(r.users)]); err == nil {
					tokens[w] = g.RefreshToken
				}
			}
			return status, err
		})
}

// sessions logs in n times, four at once, and returns the refresh tokens.
func (r *run) sessions(ctx context.Context, n int) ([]string, error) {
	progress("refresh: opening %d sessions", n)
	tokens := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			g, err := r.login(ctx, r.users[i%len(r.users)])
			tokens[i], errs[i] = g.RefreshToken, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return tokens, nil
}

// loginWorkers returns how many logins run at once: one per CPU the
// server may use, at least two.
func loginWorkers() int {
	return max(2, runtime.GOMAXPROCS(0))
}

// loginRun measures successful logins spread over the accounts, in
// rounds: each turn of logins is followed by an equal turn of argon2id
// hashing in this process with as many goroutines. Hashes running side by
// side share the memory bus and caches, and the machine's other work
// comes and goes, so the hash cost that a login is held against is
// measured under the same conditions as the logins.
func (r *run) loginRun(ctx context.Context) (measured, hashed, error) {
	workers := loginWorkers()
	url := r.srv.base + "/api/auth/login"
	do := func(ctx context.Context, w int) (int, error) {
		a := r.users[w%len(r.users)]
		status, _, err := postJSON(ctx, r.client, url,
			credentials{Email: a.email, Password: a.password}, nil)
		return status, err
	}
	progress("login: warming up")
	runLoad(ctx, workers, warmup, grace, do)
	rounds := max(1, int(r.opts.duration/ratioSlice))
	progress("login: %d rounds of %v of logins, then of hashing here, %d at once",
		rounds, ratioSlice, workers)

	var logins measured
	var hashes hashed
	for range rounds {
		m, err := r.timed(ctx, "login", r.srv.pid(), workers, ratioSlice, do)
		if err != nil {
			return measured{}, hashed{}, err
		}
		logins.add(m)
		hashes.add(hashFor(ctx, workers, ratioSlice))
	}
	return logins, hashes, ctx.Err()
}

// hashed counts argon2id hashes computed in this process.
type hashed struct {
	n    int64
	cpu  time.Duration
	wall time.Duration
}

func (h *hashed) add(o hashed) {
	h.n += o.n
	h.cpu += o.cpu
	h.wall += o.wall
}

// cpuPer returns the CPU time per hash.
func (h hashed) cpuPer() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.cpu / time.Duration(h.n)
}

// hashFor computes argon2id hashes with the server's parameters in
// workers goroutines for about d, and returns how many and the CPU time
// this process used meanwhile, which includes the garbage collection of
// the hashes' memory, as the server's does.
func hashFor(ctx context.Context, workers int, d time.Duration) hashed {
	p := password.DefaultParams()
	salt := make([]byte, p.SaltLen)
	pw := []byte("load-run-password")
	stop := time.Now().Add(d)
	var n atomic.Int64
	var wg sync.WaitGroup

	c0, t0 := selfCPU(), time.Now()
	for range workers {
		wg.Go(func() {
			for i := 0; i < maxHashes && ctx.Err() == nil && time.Now().Before(stop); i++ {
				argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return hashed{n: n.Load(), cpu: selfCPU() - c0, wall: time.Since(t0)}
}

// floodResult is the outcome of the login flood.
type floodResult struct {
	*stats
	busy      uint64 // 503 answers with the code "busy"
	peakKiB   int64  // highest VmRSS sampled during the flood
	beforeKiB int64
	afterKiB  int64 // VmRSS a second after the flood
	hwmKiB    int64 // VmHWM after the flood: the peak over the process's life
	samples   int
}

// flood runs floodConns workers, each on its own connection, logging in
// with wrong passwords; requests still waiting at the end are cancelled.
// It samples the server's RSS every 10 ms meanwhile.
func (r *run) flood(ctx context.Context) (floodResult, error) {
	n := r.opts.floodConns
	progress("flood: %d connections, %v", n, r.opts.duration)
	client := newClient(n, 0)
	defer client.CloseIdleConnections()
	pid := r.srv.pid()
	before, err := readMemory(pid)
	if err != nil {
		return floodResult{}, err
	}

	var busy atomic.Uint64
	url := r.srv.base + "/api/auth/login"
	do := func(ctx context.Context, w int) (int, error) {
		a := r.users[w%len(r.users)]
		in := credentials{Email: a.email, Password: fmt.Sprintf("wrong-password-%d", w)}
		status, code, err := postJSON(ctx, client, url, in, nil)
		if status == http.StatusServiceUnavailable && code == "busy" {
			busy.Add(1)
		}
		return status, err
	}

	stop := make(chan struct{})
	peak := make(chan memory)
	var samples int
	go func() {
		var top memory
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if m, err := readMemory(pid); err == nil {
				top.rssKiB = max(top.rssKiB, m.rssKiB)
				samples++
			}
			select {
			case <-stop:
				peak <- top
				return
			case <-tick.C:
			}
		}
	}()
	st := runLoad(ctx, n, r.opts.duration, 0, do)
	close(stop)
	top := <-peak
	if err := ctx.Err(); err != nil {
		return floodResult{}, fmt.Errorf("flood: %w", err)
	}

	client.CloseIdleConnections()
	time.Sleep(time.Second)
	after, err := readMemory(pid)
	if err != nil {
		return floodResult{}, err
	}
	return floodResult{
		stats:     st,
		busy:      busy.Load(),
		peakKiB:   top.rssKiB,
		beforeKiB: before.rssKiB,
		afterKiB:  after.rssKiB,
		hwmKiB:    after.hwmKiB,
		samples:   samples,
	}, nil
}
