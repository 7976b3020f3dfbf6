//go:build pprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers the profiling handlers on the default mux
	"os"
)

// Built with -tags pprof, the server also serves Go's profiler on the
// loopback address in SALLYPORT_PPROF_ADDR (default 127.0.0.1:6060), for
// performance work. Release builds leave it out.
func init() {
	addr := os.Getenv("SALLYPORT_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() { _ = http.ListenAndServe(addr, nil) }()
}
