package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/config"
)

// cli runs commands in-process on one data directory.
type cli struct {
	dir string
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	dir := filepath.Join(t.TempDir(), "data")
	return &cli{dir: dir, env: map[string]string{"SALLYPORT_DATA_DIR": dir}}
}

func (c *cli) getenv(name string) string { return c.env[name] }

// run runs one command with stdin and returns its output.
func (c *cli) run(t *testing.T, stdin string, args ...string) (stdout, stderr string,
	err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, c.getenv)
	return out.String(), errOut.String(), err
}

// step is one line of a CLI transcript.
type step struct {
	args  []string
	stdin string
	// out must match stdout; errText must be in the error, "" for none.
	out     string
	errText string
}

// play runs the steps in order on c.
func (c *cli) play(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		stdout, stderr, err := c.run(t, s.stdin, s.args...)
		name := strings.Join(s.args, " ")
		switch {
		case s.errText == "" && err != nil:
			t.Errorf("%s: got error %v, want none; stderr %s", name, err, stderr)
		case s.errText != "" && err == nil:
			t.Errorf("%s: got no error, want one containing %q", name, s.errText)
		case s.errText != "" && !strings.Contains(err.Error(), s.errText):
			t.Errorf("%s: got error %q, want it to contain %q", name, err, s.errText)
		}
		if s.out != "" && !regexp.MustCompile(s.out).MatchString(stdout) {
			t.Errorf("%s: got stdout\n%s\nwant it to match %s", name, stdout, s.out)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	c := newCLI(t)
	c.play(t, []step{
		{args: []string{"version"}, out: `^sallyport dev\n$`},
		{args: []string{"--version"}, out: `^sallyport dev\n$`},
		{args: []string{"help"}, out: `(?s)Usage:.*sallyport serve.*sallyport keys rotate`},
		{args: []string{"bogus"}, errText: `unknown command "bogus"`},
		{args: nil, errText: "no command"},
	})
	_, stderr, _ := c.run(t, "", "bogus")
	if !strings.Contains(stderr, "Usage:") {
		t.Errorf("unknown command: got stderr %q, want the usage", stderr)
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("version and help touched the data dir: %v", err)
	}
}

// TestServeHelp checks that serve --help lists every setting with its
// default.
func TestServeHelp(t *testing.T) {
	c := newCLI(t)
	_, stderr, err := c.run(t, "", "serve", "--help")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("got error %v, want flag.ErrHelp", err)
	}
	cfg := config.Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.Bind(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		names = append(names, f.Name)
		listed := strings.Contains(stderr, "  -"+f.Name+" ") ||
			strings.Contains(stderr, "  -"+f.Name+"\n")
		if !listed {
			t.Errorf("setting --%s is not in the help", f.Name)
		}
		if f.DefValue == "" || f.DefValue == "false" {
			return
		}
		def := "(default " + f.DefValue + ")"
		if _, isString := f.Value.(flag.Getter).Get().(string); isString {
			def = `(default "` + f.DefValue + `")`
		}
		if !strings.Contains(stderr, def) {
			t.Errorf("setting --%s: the help lacks %s", f.Name, def)
		}
	})
	// The settings the issue names, with the defaults it names.
	want := map[string]string{
		"addr": `"127.0.0.1:8080"`, "data-dir": `"./sallyport-data"`,
		"db": "sallyport.db in the data dir", "public-url": "http://<addr>",
		"audience": `"sallyport"`, "access-ttl": "15m0s", "refresh-grace": "10s",
		"leeway": "30s", "session-idle": "168h0m0s", "session-max": "720h0m0s",
		"signing-alg": `"ES256"`,
	}
	for name, def := range want {
		i := strings.Index(stderr, "  -"+name+" ")
		if i < 0 {
			t.Errorf("setting --%s is not in the help", name)
			continue
		}
		entry := stderr[i:]
		if j := strings.Index(entry[3:], "\n  -"); j >= 0 {
			entry = entry[:j+3]
		}
		if !strings.Contains(entry, "(default") || !strings.Contains(entry, def) {
			t.Errorf("setting --%s: got %q, want its default %s", name, entry, def)
		}
	}
	if len(names) < len(want) {
		t.Errorf("got %d settings, want at least %d", len(names), len(want))
	}
}

func TestUserCommands(t *testing.T) {
	c := newCLI(t)
	const pw = "correct horse battery\n"
	c.play(t, []step{
		{args: []string{"user", "create", "--email", " Ada@Example.com "}, stdin: pw,
			out: `^created user [A-Z2-7]{26} ada@example.com role=user\n$`},
		{args: []string{"user", "create", "--email", "bob@example.com", "--role", "admin"},
			stdin: "another fine password\r\n", out: `bob@example.com role=admin`},
		{args: []string{"user", "create", "--email", "ADA@example.com"}, stdin: pw,
			errText: "email taken"},
		{args: []string{"user", "create", "--email", "carol@example.com"}, stdin: "short\n",
			errText: "weak password"},
		{args: []string{"user", "create", "--email", "carol@example.com"}, stdin: "",
			errText: "no password"},
		{args: []string{"user", "create", "--email", "not-an-email"}, stdin: pw,
			errText: "invalid email"},
		{args: []string{"user", "create"}, stdin: pw, errText: "--email is required"},
		{args: []string{"user", "create", "--email", "d@example.com", "--role", "Bad Role"},
			stdin: pw, errText: "role"},
		{args: []string{"user", "list"},
			out: `(?m)^ID +EMAIL +ROLE +DISABLED +CREATED\n` +
				`[A-Z2-7]+ +ada@example.com +user +false +\S+\n` +
				`[A-Z2-7]+ +bob@example.com +admin +false`},
		{args: []string{"user", "set-role", "--email", "ada@example.com", "--role", "editor"},
			out: `^ada@example.com now has role editor\n$`},
		{args: []string{"user", "set-role", "--email", "ada@example.com"},
			errText: "--email and --role are required"},
		{args: []string{"user", "set-role", "--email", "ada@example.com", "--role", "a b"},
			errText: "role"},
		{args: []string{"user", "disable", "--email", "ADA@example.com"},
			out: `^ada@example.com disabled\n$`},
		{args: []string{"user", "list"}, out: `ada@example.com +editor +true`},
		{args: []string{"user", "enable", "--email", "ada@example.com"},
			out: `^ada@example.com enabled\n$`},
		{args: []string{"user", "list"}, out: `ada@example.com +editor +false`},
		{args: []string{"user", "disable", "--email", "nobody@example.com"}, errText: "not found"},
		{args: []string{"user", "enable"}, errText: "--email is required"},
		{args: []string{"user", "rename"}, errText: `unknown subcommand "rename"`},
		{args: []string{"user"}, errText: "want create"},
	})
	// The password came from stdin, whole: the user can log in with it.
	login(t, c, "ada@example.com", "correct horse battery")
}

func TestKeysCommands(t *testing.T) {
	c := newCLI(t)
	// Looking writes nothing: on a data dir that does not exist it is an
	// error, and only serve and keys rotate make keys, so a read-only
	// command can never change the server's signer.
	_, _, err := c.run(t, "", "keys", "list", "--signing-alg", "EdDSA")
	if err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Fatalf("keys list on a missing data dir: got %v, want no database", err)
	}
	if _, err := os.Stat(c.dir); err == nil {
		t.Fatalf("keys list created the data dir %s", c.dir)
	}
	stdout, _, err := c.run(t, "", "keys", "rotate")
	if err != nil {
		t.Fatal(err)
	}
	first := regexp.MustCompile(`^new signing key (\S+) \(ES256\)`).FindStringSubmatch(stdout)[1]
	if _, _, err := c.run(t, "", "user", "list", "--signing-alg", "EdDSA"); err != nil {
		t.Fatal(err)
	}
	stdout, _, err = c.run(t, "", "keys", "list")
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(rows) != 2 || !regexp.MustCompile(`^\S+ +ES256 +active +\S+ +-$`).MatchString(rows[1]) {
		t.Fatalf("keys list after user list with another alg: got\n%s\nwant %s active", stdout,
			first)
	}

	stdout, _, err = c.run(t, "", "keys", "rotate")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^new signing key (\S+) \(ES256\)`).FindStringSubmatch(stdout)
	if m == nil || m[1] == first {
		t.Fatalf("keys rotate: got %q, want a new key other than %s", stdout, first)
	}
	c.play(t, []step{
		{args: []string{"keys", "list"}, out: `(?m)^` + first + ` +ES256 +verifying +\S+ +\S+Z\n` +
			m[1] + ` +ES256 +active +\S+ +-\n$`},
		{args: []string{"keys", "burn"}, errText: `unknown subcommand "burn"`},
		{args: []string{"keys"}, errText: "want list or rotate"},
	})
}

func TestServiceCommands(t *testing.T) {
	c := newCLI(t)
	stdout, stderr, err := c.run(t, "", "service", "create", "gateway")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^sps_[A-Za-z0-9_-]{43}\n$`).MatchString(stdout) {
		t.Errorf("service create: got stdout %q, want the credential alone", stdout)
	}
	if !strings.Contains(stderr, "shown only once") {
		t.Errorf("service create: got stderr %q, want the once-only warning", stderr)
	}
	c.play(t, []step{
		{args: []string{"service", "create", "gateway"}, errText: "exists"},
		{args: []string{"service", "create", "bad name"}, errText: "service name"},
		{args: []string{"service", "create"}, errText: "NAME comes first"},
		{args: []string{"service", "list"}, out: `(?m)^NAME +ID +CREATED\ngateway +\S+ +\S+\n$`},
		{args: []string{"service", "delete", "gateway"}, out: `^deleted service gateway\n$`},
		{args: []string{"service", "delete", "gateway"}, errText: "not found"},
		{args: []string{"service", "list"}, out: `^NAME +ID +CREATED\n$`},
		{args: []string{"service", "rename", "x"}, errText: "unknown subcommand"},
		{args: []string{"service"}, errText: "want create"},
	})
}

func TestMigrate(t *testing.T) {
	c := newCLI(t)
	c.play(t, []step{
		{args: []string{"migrate"},
			out: `^sqlite:\S+sallyport.db: schema version [1-9]\d*, up to date\n$`},
		{args: []string{"migrate"}, out: `, up to date\n$`},
		{args: []string{"migrate", "--db", "postgres://u:secret@127.0.0.1:1/db"},
			errText: "unavailable"},
		{args: []string{"migrate", "--db", "ftp://x"}, errText: "unknown scheme"},
		{args: []string{"migrate", "--access-ttl", "soon"}, errText: "invalid value"},
	})
	_, _, err := c.run(t, "", "migrate", "--db", "postgres://u:secret@127.0.0.1:1/db")
	switch {
	case err == nil:
		t.Error("migrate on an unreachable PostgreSQL: got no error")
	case strings.Contains(err.Error(), "secret"):
		t.Errorf("the error shows the store password: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "sallyport.db")); err != nil {
		t.Errorf("no database in the data dir: %v", err)
	}
}

func TestMasterKey(t *testing.T) {
	t.Run("key file", func(t *testing.T) {
		c := newCLI(t)
		_, stderr, err := c.run(t, "", "keys", "rotate")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr, "SALLYPORT_MASTER_KEY is not set") {
			t.Errorf("got stderr %q, want a warning about the key file", stderr)
		}
		info, err := os.Stat(filepath.Join(c.dir, "master.key"))
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("got master.key mode %04o, want 0600", perm)
		}
		// The second run reuses the file quietly.
		_, stderr, err = c.run(t, "", "keys", "list")
		if err != nil || strings.Contains(stderr, "not set") {
			t.Errorf("second run: err %v, stderr %q", err, stderr)
		}
	})
	t.Run("from the environment", func(t *testing.T) {
		c := newCLI(t)
		c.env["SALLYPORT_MASTER_KEY"] = strings.Repeat("ab", 32)
		if _, _, err := c.run(t, "", "keys", "rotate"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(c.dir, "master.key")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a key file was made although the key was given: %v", err)
		}
		c.env["SALLYPORT_MASTER_KEY"] = strings.Repeat("cd", 32)
		_, _, err := c.run(t, "", "keys", "list")
		if err == nil || !strings.Contains(err.Error(), "master key") {
			t.Errorf("wrong master key: got %v, want an error naming the master key", err)
		}
		c.env["SALLYPORT_MASTER_KEY"] = "too short"
		if _, _, err := c.run(t, "", "keys", "list"); err == nil {
			t.Error("malformed master key: got no error")
		}
	})
}

// syncBuffer collects the server's log while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe runs serve in-process on a free port and returns its base
// URL and a function that stops it and returns serve's error.
func startServe(t *testing.T, c *cli, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	go func() {
		done <- run(ctx, args, strings.NewReader(""), io.Discard, logs, c.getenv)
	}()
	addrRE := regexp.MustCompile(`"msg":"sallyport ready".*?"addr":"([^"]+)"`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			stop := sync.OnceValue(func() error {
				cancel()
				select {
				case err := <-done:
					return err
				case <-time.After(30 * time.Second):
					return errors.New("serve did not stop")
				}
			})
			t.Cleanup(func() { stop() })
			return "http://" + m[1], stop
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve stopped early: %v\n%s", err, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not get ready:\n%s", logs.String())
		}
	}
}

// login logs in through a server started on c's data dir.
func login(t *testing.T, c *cli, email, pw string) {
	t.Helper()
	url, stop := startServe(t, c)
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	res, err := http.Post(url+"/api/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("login as %s: got %d %s, want 200", email, res.StatusCode, data)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestServe starts the server, uses it, and shuts it down gracefully.
func TestServe(t *testing.T) {
	c := newCLI(t)
	url, stop := startServe(t, c)
	res, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("healthz: got %d, want 200", res.StatusCode)
	}
	body := `{"email":"serve@example.com","password":"correct horse battery"}`
	res, err = http.Post(url+"/api/auth/signup", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&tr)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || tr.AccessToken == "" {
		t.Fatalf("signup: got %d, want 201 with a token", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve after SIGINT-like cancel: got %v, want nil", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}

	// Started again on the same data, it knows the user and the key.
	stdout, _, err := c.run(t, "", "user", "list")
	if err != nil || !strings.Contains(stdout, "serve@example.com") {
		t.Errorf("user list after serve: %v\n%s", err, stdout)
	}
	login(t, c, "serve@example.com", "correct horse battery")

	// The server recorded the sign-up and the login in the audit log.
	c.play(t, []step{
		{args: []string{"audit"},
			out: `(?s)^TIME +EVENT +USER +SESSION +REASON +IP +USER AGENT\n.*` +
				`\S+Z +login +[A-Z2-7]+ +[A-Z2-7]+ +- +127\.0\.0\.1 +Go-http-client\S*\n.*` +
				`\S+Z +signup +[A-Z2-7]+ +[A-Z2-7]+ +- +127\.0\.0\.1 +Go-http-client\S*\n`},
		{args: []string{"audit", "--user", "serve@example.com", "--limit", "1"},
			out: `^TIME.*\n\S+Z +login .*\n$`},
		{args: []string{"audit", "--since", "1h", "--until", "2000-01-01T00:00:00Z"},
			out: `^TIME +EVENT +USER +SESSION +REASON +IP +USER AGENT\n$`},
		{args: []string{"audit", "--user", "nobody@example.com"}, errText: "not found"},
		{args: []string{"audit", "--limit", "0"}, errText: "--limit"},
		{args: []string{"audit", "--since", "last week"}, errText: "--since"},
	})
}

func TestServeBadSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad duration flag", []string{"--access-ttl", "soon"}, nil, "invalid value"},
		{"bad duration env", nil, map[string]string{"SALLYPORT_SESSION_IDLE": "week"},
			"SALLYPORT_SESSION_IDLE"},
		{"negative ttl", []string{"--access-ttl", "-1m"}, nil, "access-ttl"},
		{"bad algorithm", []string{"--signing-alg", "HS256"}, nil, "signing-alg"},
		{"bad public url", []string{"--public-url", "ftp://x"}, nil, "public-url"},
		{"bad addr", []string{"--addr", "nowhere"}, nil, "addr"},
		{"unknown flag", []string{"--frobnicate"}, nil, "frobnicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			for k, v := range tt.env {
				c.env[k] = v
			}
			_, _, err := c.run(t, "", append([]string{"serve"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
