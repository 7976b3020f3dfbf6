package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat. It is 100 on every Linux build Go supports; reading it
// properly needs sysconf, which needs cgo.
const clockTicks = 100

// buildServer compiles ./cmd/sallyport into dir and returns the binary's
// path. It builds the working tree of the module that holds the working
// directory, or, when ref is not empty, that git revision of it, exported
// into dir first so that edits in progress do not end up in the binary.
func buildServer(ctx context.Context, dir, ref string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("find the module: run the load tool inside the sallyport module")
	}
	src := filepath.Dir(gomod)
	if ref != "" {
		exported := filepath.Join(dir, "src")
		if err := exportRef(ctx, src, ref, exported); err != nil {
			return "", err
		}
		src = exported
	}
	bin := filepath.Join(dir, "sallyport")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sallyport")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sallyport in %s: %w\n%s", src, err, out)
	}
	return bin, nil
}

// exportRef writes the files of revision ref of the repository at root
// into dst, with git archive piped into tar; the repository is only read.
func exportRef(ctx context.Context, root, ref, dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("export %s: %w", ref, err)
	}
	archive := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", ref)
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", dst)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return fmt.Errorf("export %s: %w", ref, err)
	}
	untar.Stdin = pipe
	var archiveErr, untarErr bytes.Buffer
	archive.Stderr, untar.Stderr = &archiveErr, &untarErr
	if err := untar.Start(); err != nil {
		return fmt.Errorf("export %s: start tar: %w", ref, err)
	}
	if err := archive.Run(); err != nil {
		untar.Wait()
		return fmt.Errorf("export %s: git archive: %w: %s", ref, err,
			bytes.TrimSpace(archiveErr.Bytes()))
	}
	if err := untar.Wait(); err != nil {
		return fmt.Errorf("export %s: tar: %w: %s", ref, err, bytes.TrimSpace(untarErr.Bytes()))
	}
	return nil
}

// server is a running sallyport process.
type server struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:<port>
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// startup is how long a server took to become ready.
type startup struct {
	ready  time.Duration // process start to the first 200 from /readyz
	logged time.Duration // startup_ms of the "sallyport ready" log line; < 0: none
}

// serverConfig holds the settings the load run gives the server.
type serverConfig struct {
	bin, dataDir, logPath string
	hashMemoryMiB         int
	logLevel              string
	db                    string
}

// startServer starts the binary on a free loopback port and waits until
// /readyz answers 200.
func startServer(ctx context.Context, c serverConfig) (*server, startup, error) {
	port, err := freePort()
	if err != nil {
		return nil, startup{}, err
	}
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, startup{}, fmt.Errorf("open server log: %w", err)
	}
	defer logf.Close()
	offset, _ := logf.Seek(0, 2)

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(c.bin, "serve",
		"--addr", addr,
		"--data-dir", c.dataDir,
		"--rate-limit=false",
		"--hash-memory", strconv.Itoa(c.hashMemoryMiB),
		"--log-format", "json",
		"--log-level", c.logLevel,
	)
	if c.db != "" {
		cmd.Args = append(cmd.Args, "--db", c.db)
	}
	cmd.Env = cleanEnv()
	// If this process dies without stopping the server, the kernel does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Stdout = logf
	cmd.Stderr = logf
	s := &server{cmd: cmd, base: "http://" + addr, logPath: c.logPath, done: make(chan struct{})}

	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, startup{}, fmt.Errorf("start %s: %w", c.bin, err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	ready, err := s.waitReady(ctx, began)
	if err != nil {
		s.stop()
		return nil, startup{}, err
	}
	logged, err := readyLogged(c.logPath, offset)
	if err != nil {
		// At -log-level warn and above there is no such line.
		progress("%v", err)
		logged = -1
	}
	return s, startup{ready: ready, logged: logged}, nil
}

// cleanEnv returns the environment without SALLYPORT_ settings, so that
// the run does not depend on the caller's shell.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SALLYPORT_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady polls /readyz every 2 ms for up to 30 s.
func (s *server) waitReady(ctx context.Context, began time.Time) (time.Duration, error) {
	client := newClient(1, time.Second)
	defer client.CloseIdleConnections()
	deadline := began.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return 0, fmt.Errorf("server exited before it was ready (%v); log: %s",
				s.waitErr, s.logPath)
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		if status, err := get(ctx, client, s.base+"/readyz", ""); err == nil &&
			status == http.StatusOK {
			return time.Since(began), nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("server not ready after 30 s; log: %s", s.logPath)
}

// readyLogged finds the "sallyport ready" line written after offset in the
// JSON log and returns its startup_ms.
func readyLogged(path string, offset int64) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read server log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		return 0, fmt.Errorf("read server log: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg       string   `json:"msg"`
			StartupMS *float64 `json:"startup_ms"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "sallyport ready" &&
			line.StartupMS != nil {
			return time.Duration(*line.StartupMS * float64(time.Millisecond)), nil
		}
	}
	return 0, fmt.Errorf("no \"sallyport ready\" line with startup_ms in %s", path)
}

// pid returns the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM, waits up to 10 s for the drain, then kills.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; the server then fails to start and
// the run says so.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// memory is a process's resident set size now and at its peak, in KiB.
type memory struct {
	rssKiB, hwmKiB int64
}

// readMemory reads VmRSS and VmHWM from /proc/<pid>/status.
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	return parseStatus(b)
}

func parseStatus(b []byte) (memory, error) {
	var m memory
	var found int
	for line := range bytes.Lines(b) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(name) {
		case "VmRSS":
			dst = &m.rssKiB
		case "VmHWM":
			dst = &m.hwmKiB
		default:
			continue
		}
		fields := bytes.Fields(value)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return memory{}, fmt.Errorf("parse %s line %q", name, bytes.TrimSpace(line))
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("parse %s: %w", name, err)
		}
		*dst = n
		found++
	}
	if found != 2 {
		return memory{}, errors.New("parse status: VmRSS or VmHWM missing")
	}
	return m, nil
}

// readCPU returns the user plus system CPU time a process has used, from
// /proc/<pid>/stat.
func readCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of %d: %w", pid, err)
	}
	ticks, err := parseStat(b)
	if err != nil {
		return 0, fmt.Errorf("read CPU time of %d: %w", pid, err)
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// parseStat returns utime+stime, fields 14 and 15 of a stat line. The
// command name (field 2) is in parentheses and may hold spaces and
// parentheses, so the fields are counted from the last ')'.
func parseStat(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("parse stat: no command name")
	}
	fields := bytes.Fields(b[i+1:])
	const utime, stime = 14 - 3, 15 - 3 // fields[0] is field 3, the state
	if len(fields) <= stime {
		return 0, fmt.Errorf("parse stat: %d fields after the name, want > %d",
			len(fields), stime)
	}
	u, err := strconv.ParseUint(string(fields[utime]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse stat utime: %w", err)
	}
	s, err := strconv.ParseUint(string(fields[stime]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse stat stime: %w", err)
	}
	return u + s, nil
}

// selfCPU returns the user plus system CPU time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
