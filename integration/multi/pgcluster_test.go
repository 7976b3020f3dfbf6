package multi

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"

	"github.com/sallyport/sallyport/internal/store/testdb"
)

// pgCluster is a PostgreSQL cluster that a test starts and stops itself:
// a data directory of its own, a spare loopback port, trust
// authentication for the postgres role.
type pgCluster struct {
	bin  string // directory of initdb and pg_ctl
	dir  string // the parent of data/ and the log
	port int
	cred *syscall.Credential // who runs the server; nil for this process's user
}

// newPGCluster initializes a cluster in a new temporary directory. As root
// it runs everything as the postgres OS user, since PostgreSQL refuses to
// run as root. It skips the test (fails it under CI=true) when initdb is
// not installed. The cluster is stopped and deleted when the test ends.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin := pgBinDir()
	if bin == "" {
		testdb.Missing(t, "initdb and pg_ctl not found (in /usr/lib/postgresql/*/bin or "+
			"on PATH): install the postgresql package")
	}
	c := &pgCluster{bin: bin, port: sparePort(t)}
	dir, err := os.MkdirTemp("", "sallyport-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() {
		c.pgCtl(t, "stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			testdb.Missing(t, "running as root, and there is no postgres OS user to run "+
				"PostgreSQL as: install the postgresql package")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.command("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	return c
}

// pgBinDir finds the directory of initdb and pg_ctl: the newest Debian
// versioned directory, else PATH.
func pgBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p)
		}
	}
	return ""
}

// pgVersion is the major version in /usr/lib/postgresql/N/bin.
func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// sparePort returns a loopback port that nothing listens on now.
func sparePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the cluster's postgres database, for --db.
func (c *pgCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// command prepares one of the cluster's programs, run as its user.
func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// pgCtl runs pg_ctl on the cluster and returns its output.
func (c *pgCluster) pgCtl(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	args = append([]string{"-D", c.data(), "-w", "-t", "60"}, args...)
	var out bytes.Buffer
	cmd := c.command("pg_ctl", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// start starts the server on its port, listening on loopback only with
// its socket in its own directory, and waits until it accepts
// connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off",
		c.port, c.dir)
	out, err := c.pgCtl(t, "start", "-l", filepath.Join(c.dir, "server.log"), "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// stop stops the server, ending its connections (fast shutdown).
func (c *pgCluster) stop(t *testing.T) {
	t.Helper()
	if out, err := c.pgCtl(t, "stop", "-m", "fast"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}
