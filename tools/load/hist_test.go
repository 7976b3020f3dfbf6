package main

import (
	"testing"
	"time"
)

func TestHistogramQuantile(t *testing.T) {
	tests := []struct {
		name string
		lats []time.Duration
		q    float64
		want time.Duration
		tol  float64 // allowed relative error
	}{
		{"empty", nil, 0.5, 0, 0},
		{"one exact", []time.Duration{42 * time.Microsecond}, 0.99, 42500 * time.Nanosecond, 0},
		{"median of linear part", spread(1, 99), 0.5, 50500 * time.Nanosecond, 0},
		{"p99 of log part", spread(1000, 100_000), 0.99, 99 * time.Millisecond, 0.02},
		{"p50 of log part", spread(1000, 100_000), 0.5, 50500 * time.Microsecond, 0.02},
		{"past the last bucket", []time.Duration{time.Hour}, 0.5, bucketMid(numBuckets - 1), 0},
		{"negative counts as zero", []time.Duration{-time.Second}, 0.5, time.Microsecond / 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			for _, d := range tt.lats {
				h.add(d)
			}
			got := h.quantile(tt.q)
			diff := float64(got-tt.want) / float64(max(tt.want, 1))
			if diff < -tt.tol || diff > tt.tol {
				t.Errorf("quantile(%v): got %v, want %v (within %.0f%%)",
					tt.q, got, tt.want, 100*tt.tol)
			}
		})
	}
}

// spread returns one latency for every microsecond from lo to hi.
func spread(lo, hi int) []time.Duration {
	var out []time.Duration
	for us := lo; us <= hi; us++ {
		out = append(out, time.Duration(us)*time.Microsecond)
	}
	return out
}

func TestHistogramMerge(t *testing.T) {
	var a, b histogram
	a.add(10 * time.Microsecond)
	b.add(5 * time.Millisecond)
	b.add(5 * time.Millisecond)
	a.merge(&b)
	if a.total != 3 {
		t.Fatalf("total: got %d, want 3", a.total)
	}
	if got := a.quantile(0.34); got < 4*time.Millisecond {
		t.Errorf("quantile(0.34): got %v, want about 5ms", got)
	}
	if got := a.quantile(0.33); got > time.Millisecond {
		t.Errorf("quantile(0.33): got %v, want about 10us", got)
	}
}

func TestBucketsIncrease(t *testing.T) {
	for b := 1; b < numBuckets; b++ {
		if bucketMid(b) <= bucketMid(b-1) {
			t.Fatalf("bucket %d: middle %v not above bucket %d's %v",
				b, bucketMid(b), b-1, bucketMid(b-1))
		}
		if got := bucketOf(bucketMid(b)); got != b {
			t.Fatalf("bucketOf(bucketMid(%d)): got %d, want %d", b, got, b)
		}
	}
}
