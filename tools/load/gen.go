package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// maxPerWorker bounds the requests one worker makes in one run, whatever
// the duration; at 1 us a request it would take 10 s to reach.
const maxPerWorker = 10_000_000

// doer makes one request for worker w and returns the HTTP status, or an
// error when no response arrived.
type doer func(ctx context.Context, w int) (status int, err error)

// stats is the outcome of one closed-loop run.
type stats struct {
	ok        uint64         // 2xx answers
	codes     map[int]uint64 // other answers, by status
	errs      uint64         // requests without an answer
	errSample string         // the first such error
	cancelled uint64         // requests cut off by the end of the run
	elapsed   time.Duration
	hist      histogram // latency of every answer, 2xx or not
}

// rate returns the 2xx answers per second.
func (s *stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok) / s.elapsed.Seconds()
}

// answerRate returns all answers, 2xx or not, per second.
func (s *stats) answerRate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.hist.total) / s.elapsed.Seconds()
}

// failures returns the non-2xx answers plus the requests without one.
func (s *stats) failures() uint64 {
	n := s.errs
	for _, c := range s.codes {
		n += c
	}
	return n
}

func (s *stats) record(status int, err error, lat time.Duration, cut bool) {
	switch {
	case err != nil && cut:
		s.cancelled++
		return
	case err != nil:
		s.errs++
		if s.errSample == "" {
			s.errSample = err.Error()
		}
		return
	case status >= 200 && status < 300:
		s.ok++
	default:
		if s.codes == nil {
			s.codes = map[int]uint64{}
		}
		s.codes[status]++
	}
	s.hist.add(lat)
}

func (s *stats) merge(o *stats) {
	s.ok += o.ok
	s.errs += o.errs
	s.cancelled += o.cancelled
	if s.errSample == "" {
		s.errSample = o.errSample
	}
	for code, c := range o.codes {
		if s.codes == nil {
			s.codes = map[int]uint64{}
		}
		s.codes[code] += c
	}
	s.hist.merge(&o.hist)
}

// runLoad runs workers goroutines, each calling do in a closed loop, and
// stops starting requests after d. Requests still running then may finish
// for up to grace more; after that they are cancelled and counted apart.
// A grace of 0 cancels them at once.
func runLoad(ctx context.Context, workers int, d, grace time.Duration, do doer) *stats {
	start := time.Now()
	stop := start.Add(d)
	ctx, cancel := context.WithDeadline(ctx, stop.Add(grace))
	defer cancel()

	per := make([]stats, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			st := &per[w]
			for n := 0; n < maxPerWorker && ctx.Err() == nil && time.Now().Before(stop); n++ {
				t := time.Now()
				status, err := do(ctx, w)
				st.record(status, err, time.Since(t), ctx.Err() != nil)
			}
		})
	}
	wg.Wait()

	total := &stats{elapsed: min(time.Since(start), d+grace)}
	for i := range per {
		total.merge(&per[i])
	}
	return total
}

// newClient returns an HTTP client that keeps up to conns connections
// alive, never uses a proxy, and dials nothing but loopback addresses.
func newClient(conns int, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: loopbackOnly}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     60 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// errNotLoopback is returned when something tries to dial off this machine.
var errNotLoopback = errors.New("refusing to dial a non-loopback address")

func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %q: %w", address, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("dial %q: %w", address, errNotLoopback)
	}
	return nil
}
