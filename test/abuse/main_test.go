package abuse

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the sallyport executable that TestMain builds for the tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sallyport-abuse-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "abuse: make temp dir:", err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "sallyport")
	// Built without -race even under go test -race: the suites measure
	// the server's memory and latency as it ships.
	build := exec.Command("go", "build", "-o", binary,
		"github.com/sallyport/sallyport/cmd/sallyport")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "abuse: go build ./cmd/sallyport:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
