package main

import (
	"math"
	"time"
)

// The histogram counts latencies exactly below linearMicros microseconds and
// in buckets that grow by a factor of bucketGrowth above, so a percentile is
// within 1% of the true value and a worker's memory stays fixed however many
// requests it makes.
const (
	linearMicros = 100
	bucketGrowth = 1.02
	logBuckets   = 800 // 100 us times 1.02^800 is several minutes
	numBuckets   = linearMicros + logBuckets
)

// histogram counts request latencies. The zero value is empty and ready to
// use; it is not safe for concurrent use.
type histogram struct {
	counts [numBuckets]uint64
	total  uint64
}

// add counts one latency.
func (h *histogram) add(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.total++
}

// merge adds the counts of o to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
}

// quantile returns the latency below which a fraction q of the counted
// latencies lie, as the middle of its bucket, or 0 when h is empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.total))), 1)
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return bucketMid(b)
		}
	}
	return bucketMid(numBuckets - 1)
}

func bucketOf(d time.Duration) int {
	us := d.Microseconds()
	if us < linearMicros {
		return int(max(us, 0))
	}
	b := linearMicros + int(math.Log(float64(us)/linearMicros)/math.Log(bucketGrowth))
	return min(b, numBuckets-1)
}

// bucketMid returns the middle of bucket b: half a microsecond above its
// floor in the linear part, the geometric mean of its bounds above.
func bucketMid(b int) time.Duration {
	if b < linearMicros {
		return time.Duration(b)*time.Microsecond + time.Microsecond/2
	}
	low := linearMicros * math.Pow(bucketGrowth, float64(b-linearMicros))
	return time.Duration(low * math.Sqrt(bucketGrowth) * float64(time.Microsecond))
}
