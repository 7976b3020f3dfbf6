package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// server is a real Sallyport binary running for one test.
type server struct {
	bin     string
	dataDir string
	url     string
}

// startSallyport builds cmd/sallyport, starts it on a free loopback port
// with a fresh data directory and access tokens that live accessTTL, and
// stops it when the test ends.
func startSallyport(t *testing.T, accessTTL time.Duration) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{bin: filepath.Join(dir, "sallyport"), dataDir: filepath.Join(dir, "data")}
	const pkg = "github.com/sallyport/sallyport/cmd/sallyport"
	build := exec.Command("go", "build", "-o", s.bin, pkg)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build sallyport: %v\n%s", err, out)
	}

	addr := freeAddr(t)
	s.url = "http://" + addr
	var logs bytes.Buffer
	cmd := exec.Command(s.bin, "serve", "--addr", addr, "--public-url", s.url,
		"--data-dir", s.dataDir, "--access-ttl", accessTTL.String())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = cleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sallyport: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("sallyport log:\n%s", logs.String())
		}
	})

	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("sallyport not healthy after 15s: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cleanEnv is the environment without SALLYPORT_* settings that could
// change the server under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SALLYPORT_") {
			env = append(env, kv)
		}
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// cli runs a sallyport command against the test server's store.
func (s *server) cli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, append(args, "--data-dir", s.dataDir)...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sallyport %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// tokenResponse is the part of the server's token response used here.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresAt   int64  `json:"expires_at"`
}

// post sends a JSON body and decodes a JSON answer of the wanted status.
func (s *server) post(t *testing.T, path, token string, in any, want int) tokenResponse {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest("POST", s.url+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out tokenResponse
	if resp.StatusCode != want {
		t.Fatalf("POST %s: got status %d, want %d", path, resp.StatusCode, want)
	}
	if resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("POST %s: decode: %v", path, err)
		}
	}
	return out
}

// signup makes a user and returns its first access token.
func (s *server) signup(t *testing.T, email string) tokenResponse {
	t.Helper()
	return s.post(t, "/api/auth/signup", "",
		map[string]string{"email": email, "password": "correct horse battery"}, 201)
}

func (s *server) login(t *testing.T, email string) tokenResponse {
	t.Helper()
	return s.post(t, "/api/auth/login", "",
		map[string]string{"email": email, "password": "correct horse battery"}, 200)
}

// answer is a response of the example API.
type answer struct {
	status int
	code   string // the error field of a JSON error body
	auth   string // WWW-Authenticate
}

func (a answer) String() string {
	return fmt.Sprintf("%d %q (WWW-Authenticate %q)", a.status, a.code, a.auth)
}

// get calls the example API at base with an optional token.
func get(ctx context.Context, t *testing.T, base, path, token string) answer {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return answer{resp.StatusCode, body.Error, resp.Header.Get("WWW-Authenticate")}
}
