package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestStatsRecord(t *testing.T) {
	var s stats
	s.record(200, nil, time.Millisecond, false)
	s.record(204, nil, time.Millisecond, false)
	s.record(503, nil, time.Millisecond, false)
	s.record(503, nil, time.Millisecond, false)
	s.record(0, errors.New("connection reset"), time.Millisecond, false)
	s.record(0, context.DeadlineExceeded, time.Millisecond, true)

	if s.ok != 2 {
		t.Errorf("ok: got %d, want 2", s.ok)
	}
	if s.codes[503] != 2 {
		t.Errorf("503s: got %d, want 2", s.codes[503])
	}
	if s.errs != 1 || s.errSample != "connection reset" {
		t.Errorf("errors: got %d (%q), want 1 (connection reset)", s.errs, s.errSample)
	}
	if s.cancelled != 1 {
		t.Errorf("cancelled: got %d, want 1", s.cancelled)
	}
	if s.hist.total != 4 {
		t.Errorf("latencies: got %d, want 4 (every answer, none for errors)", s.hist.total)
	}
	if s.failures() != 3 {
		t.Errorf("failures: got %d, want 3", s.failures())
	}
}

// TestRunLoadCancels checks that with no grace, requests still running at
// the end are cut off and counted apart from errors.
func TestRunLoadCancels(t *testing.T) {
	const workers = 3
	block := func(ctx context.Context, _ int) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	s := runLoad(context.Background(), workers, 10*time.Millisecond, 0, block)
	if s.cancelled != workers || s.errs != 0 || s.ok != 0 {
		t.Errorf("got %d cut off, %d errors, %d ok; want %d, 0, 0",
			s.cancelled, s.errs, s.ok, workers)
	}
}

// TestRunLoadAgainstServer runs the real client against an httptest server
// that answers by path, and checks that every answer was classified.
func TestRunLoadAgainstServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	client := newClient(2, 5*time.Second)
	defer client.CloseIdleConnections()

	s := runLoad(context.Background(), 2, 20*time.Millisecond, time.Second,
		func(ctx context.Context, w int) (int, error) {
			token := "t"
			if w == 1 {
				token = "wrong"
			}
			return get(ctx, client, srv.URL, token)
		})
	if s.ok == 0 || s.codes[401] == 0 {
		t.Fatalf("got %d ok and %d 401s, want some of each", s.ok, s.codes[401])
	}
	if s.errs != 0 || s.hist.total != s.ok+s.codes[401] {
		t.Errorf("got %d errors and %d latencies for %d answers, want 0 and all",
			s.errs, s.hist.total, s.ok+s.codes[401])
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:8080", true},
		{"[::1]:8080", true},
		{"10.0.0.1:80", false},
		{"169.254.169.254:80", false},
		{"example.com:80", false},
		{"no-port", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := loopbackOnly("tcp", tt.addr, nil)
			if (err == nil) != tt.ok {
				t.Errorf("got %v, want allowed %v", err, tt.ok)
			}
		})
	}
}
