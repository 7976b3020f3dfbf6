package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// bareBody is about the size and shape of what /api/auth/me answers.
var bareBody = []byte(`{"user":{"id":"0194f0c2-7a4e-7c1d-9b1e-3f6a2d8c5e01",` +
	`"email":"load-0@example.com","role":"user","created_at":"2026-01-01T00:00:00Z"}}` + "\n")

// bareHandler writes bareBody and nothing else: the ceiling that the
// server's protected endpoints are compared with.
func bareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(bareBody)
	})
}

// serveBare runs the bare handler on a free loopback port, prints the
// address on out, and serves until in reaches its end: the parent closes
// it, or dies.
func serveBare(in io.Reader, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           bareHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	if _, err := fmt.Fprintln(out, ln.Addr()); err != nil {
		return fmt.Errorf("print address: %w", err)
	}
	go func() {
		io.Copy(io.Discard, in)
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// bareServer is the bare handler running in a child process: this same
// program started with -serve-bare.
type bareServer struct {
	cmd   *exec.Cmd
	stdin io.Closer
	base  string
}

// startBare starts the bare handler process and reads its address.
func startBare() (*bareServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program: %w", err)
	}
	cmd := exec.Command(self, "-serve-bare")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("bare server stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bare server stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bare server: %w", err)
	}
	b := &bareServer{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("read bare server address: %w", err)
	}
	addr := strings.TrimSpace(line)
	if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
		b.stop()
		return nil, fmt.Errorf("bare server address %q: want 127.0.0.1:<port>", addr)
	}
	b.base = "http://" + addr
	return b, nil
}

func (b *bareServer) pid() int { return b.cmd.Process.Pid }

// stop closes the child's stdin, which ends it, and waits up to 5 s.
func (b *bareServer) stop() {
	b.stdin.Close()
	done := make(chan struct{})
	go func() {
		b.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}
