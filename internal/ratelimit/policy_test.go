package ratelimit

import (
	"math"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	s := time.Second
	p := Backoff{Free: 5, Base: s, Max: 15 * time.Minute}
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0},
		{1, 0},
		{5, 0},
		{6, s},
		{7, 2 * s},
		{8, 4 * s},
		{15, 512 * s},
		{16, 15 * time.Minute}, // 1024 s is past the cap
		{1_000, 15 * time.Minute},
		{math.MaxInt, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := p.Delay(tt.failures); got != tt.want {
			t.Errorf("Delay(%d): got %v, want %v", tt.failures, got, tt.want)
		}
	}

	huge := Backoff{Base: time.Nanosecond << 40, Max: math.MaxInt64}
	if got := huge.Delay(100); got != math.MaxInt64 {
		t.Errorf("Delay near overflow: got %v, want %v", got, time.Duration(math.MaxInt64))
	}
	if got := (Backoff{}).Delay(10); got != 0 {
		t.Errorf("zero Backoff: got %v, want 0", got)
	}
}

func TestBackoffForgetDefault(t *testing.T) {
	tests := []struct {
		b    Backoff
		want time.Duration
	}{
		{Backoff{Base: time.Second, Max: time.Minute}, DefaultForget},
		{Backoff{Base: time.Second, Max: 20 * time.Hour}, 40 * time.Hour},
		{Backoff{Base: time.Second, Max: time.Minute, Forget: time.Hour}, time.Hour},
	}
	for _, tt := range tests {
		if got := tt.b.forget(); got != tt.want {
			t.Errorf("%+v: got forget %v, want %v", tt.b, got, tt.want)
		}
	}
}

func TestNewLimitersRefuseBadPolicies(t *testing.T) {
	m := NewMemory(0)
	backoffs := []struct {
		name string
		b    Backoff
		ok   bool
	}{
		{"typical", Backoff{Free: 5, Base: time.Second, Max: time.Minute}, true},
		{"zero blocks nothing", Backoff{}, true},
		{"negative free", Backoff{Free: -1, Base: time.Second, Max: time.Minute}, false},
		{"max below base", Backoff{Base: time.Minute, Max: time.Second}, false},
		{"negative forget", Backoff{Base: time.Second, Max: time.Second, Forget: -1}, false},
		{"base below a microsecond", Backoff{Base: time.Nanosecond, Max: time.Second}, false},
	}
	for _, tt := range backoffs {
		t.Run("backoff "+tt.name, func(t *testing.T) {
			_, err := NewBackoffLimiter(m, "n", tt.b)
			if (err == nil) != tt.ok {
				t.Errorf("got error %v, want ok %v", err, tt.ok)
			}
		})
	}
	rates := []struct {
		name string
		r    Rate
		ok   bool
	}{
		{"typical", Rate{Limit: 10, Period: time.Hour}, true},
		{"zero limit", Rate{Period: time.Hour}, false},
		{"zero period", Rate{Limit: 10}, false},
		{"too fast", Rate{Limit: 1_000_000, Period: time.Millisecond}, false},
	}
	for _, tt := range rates {
		t.Run("rate "+tt.name, func(t *testing.T) {
			_, err := NewLimiter(m, "n", tt.r)
			if (err == nil) != tt.ok {
				t.Errorf("got error %v, want ok %v", err, tt.ok)
			}
		})
	}
	if _, err := NewLimiter(m, "", Rate{Limit: 1, Period: time.Second}); err == nil {
		t.Error("NewLimiter with an empty name: got nil error")
	}
	if _, err := NewBackoffLimiter(m, "", Backoff{}); err == nil {
		t.Error("NewBackoffLimiter with an empty name: got nil error")
	}
}
