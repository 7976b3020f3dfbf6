package abuse

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// instance is one `sallyport serve` process on a loopback port with a
// data directory of its own.
type instance struct {
	URL  string
	Addr string
	Dir  string
	// Pid is the server's process id, for reading its memory.
	Pid int

	master  string
	cmd     *exec.Cmd
	exited  chan struct{}
	logs    *logBuffer
	client  *http.Client
	secrets *secretSet
	// allowed5xx lists server-error statuses a test provokes on purpose
	// (503 busy in the flood); every other 5xx fails the test.
	allowed5xx map[int]bool
}

// logBuffer collects the server's log output; it is safe for the
// concurrent writes of the process's pipes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secretSet remembers every password and token a test sent or received,
// to check that none reaches the server's log.
type secretSet struct {
	mu   sync.Mutex
	list map[string]string // secret -> what it is
}

// add remembers s; short strings are skipped, since they would match
// ordinary log text by chance.
func (s *secretSet) add(what, secret string) {
	if len(secret) < 12 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.list == nil {
		s.list = map[string]string{}
	}
	s.list[secret] = what
}

// addToken remembers a JWT and, separately, its signature, which would
// still identify it if a log line cut the token short.
func (s *secretSet) addToken(what, tok string) {
	s.add(what, tok)
	if i := strings.LastIndexByte(tok, '.'); i >= 0 {
		s.add(what+" signature", tok[i+1:])
	}
}

// leaked returns a description of each secret found in logs.
func (s *secretSet) leaked(logs string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for secret, what := range s.list {
		if strings.Contains(logs, secret) {
			out = append(out, fmt.Sprintf("%s (%.16s...)", what, secret))
		}
	}
	return out
}

// startServer runs `sallyport serve` on a fresh data directory with the
// given extra settings, waits until it is ready, and stops it when the
// test ends, checking its log and metrics first.
func startServer(t testing.TB, args ...string) *instance {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	in := &instance{
		Dir:        filepath.Join(t.TempDir(), "data"),
		master:     hex.EncodeToString(key),
		secrets:    &secretSet{},
		allowed5xx: map[int]bool{},
	}
	in.launch(t, args)
	t.Cleanup(func() { in.finish(t) })
	return in
}

// env is the environment of the server and the CLI: the caller's, less
// any SALLYPORT_ setting, plus the data directory and master key.
func (in *instance) env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SALLYPORT_") {
			out = append(out, kv)
		}
	}
	return append(out, "SALLYPORT_DATA_DIR="+in.Dir, "SALLYPORT_MASTER_KEY="+in.master)
}

var readyLine = regexp.MustCompile(`msg="sallyport ready".* addr=(\S+)`)

// launch starts the process, retrying when the port it picked was taken
// in the meantime.
func (in *instance) launch(t testing.TB, args []string) {
	t.Helper()
	var lastErr error
	for range 3 {
		addr, err := freeAddr()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		if lastErr = in.try(addr, args); lastErr == nil {
			return
		}
	}
	t.Fatalf("start sallyport serve %v: %v", args, lastErr)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (in *instance) try(addr string, args []string) error {
	full := append([]string{"serve", "--addr", addr}, args...)
	cmd := exec.Command(binary, full...)
	cmd.Env = in.env()
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	deadline := time.After(20 * time.Second)
	for {
		if m := readyLine.FindStringSubmatch(logs.String()); m != nil {
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("server exited before it was ready; log:\n%s", logs)
		case <-deadline:
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("server not ready after 20 s; log:\n%s", logs)
		case <-time.After(10 * time.Millisecond):
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	in.cmd, in.exited, in.logs, in.Pid = cmd, exited, logs, cmd.Process.Pid
	in.Addr, in.URL = addr, "http://"+addr
	in.client = &http.Client{
		Transport: tr,
		Timeout:   60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return nil
}

// stop ends the process with SIGTERM, as an operator would, and returns
// its log.
func (in *instance) stop(t testing.TB) string {
	t.Helper()
	if in.cmd == nil {
		return ""
	}
	in.client.CloseIdleConnections()
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(30 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.exited
		t.Errorf("server did not stop within 30 s of SIGTERM")
	}
	in.cmd = nil
	return in.logs.String()
}

// restart stops the server and starts it again on the same data with the
// given settings. Earlier logs are checked for secrets first.
func (in *instance) restart(t testing.TB, args ...string) {
	t.Helper()
	in.checkHealth(t)
	in.checkLog(t, in.stop(t))
	// The same address keeps the issuer, so tokens stay valid.
	if err := in.try(in.Addr, args); err != nil {
		t.Fatalf("restart sallyport serve %v on %s: %v", args, in.Addr, err)
	}
}

// finish stops the server at the end of a test and checks what it left.
func (in *instance) finish(t testing.TB) {
	if in.cmd == nil {
		return
	}
	in.checkHealth(t)
	in.checkLog(t, in.stop(t))
}

// checkHealth reads /metrics and fails the test for any 5xx the server
// answered that the test did not provoke on purpose.
func (in *instance) checkHealth(t testing.TB) {
	t.Helper()
	counts, err := in.statusCounts()
	if err != nil {
		t.Errorf("read /metrics: %v", err)
		return
	}
	for status, n := range counts {
		if status >= 500 && !in.allowed5xx[status] {
			t.Errorf("server answered %d requests with status %d, want no 5xx", n, status)
		}
	}
}

var statusLine = regexp.MustCompile(`(?m)^sallyport_http_requests_total\{status="(\d+)"\} (\d+)$`)

// statusCounts returns the number of responses by status from /metrics.
func (in *instance) statusCounts() (map[int]int, error) {
	text, err := in.metrics()
	if err != nil {
		return nil, err
	}
	out := map[int]int{}
	for _, m := range statusLine.FindAllStringSubmatch(text, -1) {
		status, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		out[status] = n
	}
	return out, nil
}

func (in *instance) metrics() (string, error) {
	r, err := in.send(call{method: "GET", path: "/metrics"})
	if err != nil {
		return "", err
	}
	if r.Status != http.StatusOK {
		return "", fmt.Errorf("GET /metrics: status %d", r.Status)
	}
	return string(r.Body), nil
}

// metric returns the value of one unlabelled metric.
func (in *instance) metric(t testing.TB, name string) float64 {
	t.Helper()
	text, err := in.metrics()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return v
		}
	}
	t.Fatalf("metric %s not in /metrics:\n%s", name, text)
	return 0
}

// checkLog fails the test when the log holds a password or token the
// test used, a panic, or a data race report.
func (in *instance) checkLog(t testing.TB, logs string) {
	t.Helper()
	for _, what := range in.secrets.leaked(logs) {
		t.Errorf("server log holds a secret: %s", what)
	}
	for _, bad := range []string{"panic", "DATA RACE", "goroutine "} {
		if strings.Contains(logs, bad) {
			t.Errorf("server log holds %q:\n%s", bad, tail(logs, 4000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// cli runs a sallyport command on the instance's data and returns its
// standard output; it fails the test when the command fails.
func (in *instance) cli(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, err := in.cliErr(stdin, args...)
	if err != nil {
		t.Fatalf("sallyport %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// cliErr is cli that returns the failure instead.
func (in *instance) cliErr(stdin string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = in.env()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%w; stderr: %s", err, errOut.String())
	}
	return out.String(), nil
}

// rss returns the resident memory of the server process in bytes.
func (in *instance) rss() (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", in.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("unexpected VmRSS line %q", line)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}
