// Package multi tests several `sallyport serve` processes on one shared
// store, and one process whose store goes away and comes back. The tests
// build the real binary (or use $SALLYPORT_BIN) and talk to it over HTTP
// on loopback.
//
// They need PostgreSQL: the server of testdb (127.0.0.1:5432 by default,
// or $SALLYPORT_TEST_POSTGRES_URL) for the two-instance tests, and the
// initdb and pg_ctl programs for the outage test, which starts a cluster
// of its own. Without them the tests skip, or fail under CI=true.
package multi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the sallyport executable under test.
var binary string

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration/multi:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	if bin := os.Getenv("SALLYPORT_BIN"); bin != "" {
		binary = bin
		return m.Run(), nil
	}
	dir, err := os.MkdirTemp("", "sallyport-multi-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "sallyport")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return 0, err
	}
	build := exec.Command("go", "build", "-o", binary, "./cmd/sallyport")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build cmd/sallyport: %v\n%s", err, out)
	}
	return m.Run(), nil
}

// newMasterKey returns a random SALLYPORT_MASTER_KEY value.
func newMasterKey() string {
	key := make([]byte, 32)
	rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// publicURL is the issuer every instance shares, as behind one load
// balancer: tokens name it, and every instance checks it.
const publicURL = "http://127.0.0.1"

// instance is one running `sallyport serve`.
type instance struct {
	name string
	url  string // http://127.0.0.1:port
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{} // closed when the process has exited
}

// logBuffer keeps a process's output for the test log.
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

// childEnv is the environment of a sallyport process: the test's own,
// without SALLYPORT_* settings, plus the master key.
func childEnv(masterKey string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SALLYPORT_") {
			env = append(env, kv)
		}
	}
	return append(env, "SALLYPORT_MASTER_KEY="+masterKey)
}

// startServe starts `sallyport serve` on a free loopback port with the
// store at dbURL, waits until it is ready, and stops it when the test
// ends. Its log goes to the test log if the test fails.
func startServe(t *testing.T, name, dbURL, masterKey string) *instance {
	t.Helper()
	cmd := exec.Command(binary, "serve",
		"--addr", "127.0.0.1:0",
		"--data-dir", t.TempDir(),
		"--db", dbURL,
		"--public-url", publicURL,
		"--rate-limit=false",
		"--log-format", "json",
	)
	cmd.Env = childEnv(masterKey)
	// Through a pipe of our own, Wait waits until the output is copied.
	stderr, pw := io.Pipe()
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	in := &instance{name: name, cmd: cmd, logs: logs, done: make(chan struct{})}

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logs, line)
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "sallyport ready" {
				select {
				case ready <- rec.Addr:
				default:
				}
			}
		}
		io.Copy(logs, stderr)
	}()
	go func() {
		cmd.Wait()
		pw.Close()
		close(in.done)
	}()
	t.Cleanup(func() {
		in.stop()
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, logs)
		}
	})

	select {
	case addr := <-ready:
		in.url = "http://" + addr
	case <-in.done:
		t.Fatalf("%s exited before it was ready: %v\n%s", name, cmd.ProcessState, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s not ready after 30 s:\n%s", name, logs)
	}
	return in
}

// stop ends the process with SIGTERM, and SIGKILL if it lingers.
func (in *instance) stop() {
	select {
	case <-in.done:
		return
	default:
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(10 * time.Second):
		in.cmd.Process.Kill()
		<-in.done
	}
}

// alive reports whether the process is still running.
func (in *instance) alive() bool {
	select {
	case <-in.done:
		return false
	default:
		return true
	}
}

// runCLI runs a sallyport command and returns its standard output.
func runCLI(t *testing.T, masterKey string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = childEnv(masterKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sallyport %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

var client = &http.Client{Timeout: 10 * time.Second}

// response is an HTTP answer with its body decoded from JSON when it is
// JSON.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// str returns a string field of the body.
func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// call sends a request with an optional JSON body and bearer token.
func call(t *testing.T, method, url string, body any, bearer string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		json.Unmarshal(raw, &r.body)
	}
	return r
}

// credentials is a test account.
type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func newAccount() credentials {
	return credentials{
		Email:    "user-" + strings.ToLower(rand.Text()[:10]) + "@example.com",
		Password: "correct horse battery staple",
	}
}

// login logs in on in and returns the token response, with the refresh
// token in the body.
func login(t *testing.T, in *instance, c credentials) response {
	t.Helper()
	body := map[string]any{"email": c.Email, "password": c.Password,
		"return_refresh_token": true}
	r := call(t, "POST", in.url+"/api/auth/login", body, "")
	if r.status != http.StatusOK || r.str("access_token") == "" || r.str("refresh_token") == "" {
		t.Fatalf("login on %s: got %v, want 200 with both tokens", in.name, r)
	}
	return r
}

// kid returns the key id in the header of a JWT.
func kid(t *testing.T, jwt string) string {
	t.Helper()
	head, _, _ := strings.Cut(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("decode JWT header: %v", err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("decode JWT header: %v", err)
	}
	return h.Kid
}

// waitFor polls cond every 50 ms until it returns true or d has passed,
// and returns how long it took and whether cond came true.
func waitFor(d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
