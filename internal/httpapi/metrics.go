package httpapi

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
)

// Metrics counts requests and auth events for /metrics, in Prometheus
// text format. It is safe for concurrent use.
type Metrics struct {
	statuses [600]atomic.Uint64
	mu       sync.Mutex // guards events
	events   map[string]uint64
	seconds  atomic.Int64 // total request time in microseconds
	// Hashes, when set, reports the password hashes computed so far.
	Hashes func() uint64
}

// NewMetrics returns empty counters.
func NewMetrics() *Metrics {
	return &Metrics{events: map[string]uint64{}}
}

func (m *Metrics) observe(status int, d time.Duration) {
	if status >= 0 && status < len(m.statuses) {
		m.statuses[status].Add(1)
	}
	m.seconds.Add(d.Microseconds())
}

// Event counts an auth event.
func (m *Metrics) Event(e auth.Event) {
	m.mu.Lock()
	m.events[e.Type]++
	m.mu.Unlock()
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	m := s.metrics
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintln(w, "# HELP sallyport_http_requests_total HTTP requests by status.")
	fmt.Fprintln(w, "# TYPE sallyport_http_requests_total counter")
	for st := range m.statuses {
		if n := m.statuses[st].Load(); n > 0 {
			fmt.Fprintf(w, "sallyport_http_requests_total{status=\"%d\"} %d\n", st, n)
		}
	}
	m.mu.Lock()
	events := sortedKeys(m.events)
	fmt.Fprintln(w, "# HELP sallyport_auth_events_total Auth events by type.")
	fmt.Fprintln(w, "# TYPE sallyport_auth_events_total counter")
	for _, ev := range events {
		fmt.Fprintf(w, "sallyport_auth_events_total{type=%q} %d\n", ev, m.events[ev])
	}
	m.mu.Unlock()
	fmt.Fprintln(w, "# HELP sallyport_http_request_seconds_total Time spent serving requests.")
	fmt.Fprintln(w, "# TYPE sallyport_http_request_seconds_total counter")
	fmt.Fprintf(w, "sallyport_http_request_seconds_total %g\n", float64(m.seconds.Load())/1e6)
	fmt.Fprintln(w, "# HELP sallyport_revoked_sessions Revoked sessions held in memory.")
	fmt.Fprintln(w, "# TYPE sallyport_revoked_sessions gauge")
	fmt.Fprintf(w, "sallyport_revoked_sessions %d\n", s.svc.RevokedCount())
	if m.Hashes != nil {
		fmt.Fprintln(w, "# HELP sallyport_password_hashes_total Password hashes computed.")
		fmt.Fprintln(w, "# TYPE sallyport_password_hashes_total counter")
		fmt.Fprintf(w, "sallyport_password_hashes_total %d\n", m.Hashes())
	}
	return nil
}

func sortedKeys[K string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
