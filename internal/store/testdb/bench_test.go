package testdb_test

import (
	"testing"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/storetest"
	"github.com/sallyport/sallyport/internal/store/testdb"
)

// BenchmarkBackends runs the store benchmarks on every backend in one
// run, so that their numbers compare as ratios on the same machine load:
//
//	go test -run '^$' -bench Backends ./internal/store/testdb
func BenchmarkBackends(b *testing.B) {
	benches := []struct {
		name string
		fn   func(*testing.B, store.Store)
	}{
		{"Rotate", storetest.BenchRotate},
		{"Refresh", storetest.BenchRefresh},
		{"UserByEmail", storetest.BenchUserByEmail},
		{"Login", storetest.BenchLogin},
	}
	for _, backend := range testdb.Backends() {
		for _, bb := range benches {
			b.Run(backend+"/"+bb.name, func(b *testing.B) {
				bb.fn(b, testdb.Open(b, backend))
			})
		}
	}
}
