// Command load measures a Sallyport build against the performance targets
// of DESIGN.md, as ratios to a bare net/http handler measured in the same
// run where a target is a ratio.
//
// Run it from the module root:
//
//	go run ./tools/load [-duration 5s] [-conns 32] [-only me,refresh,...]
//
// It builds ./cmd/sallyport into a temporary directory, starts it on a free
// 127.0.0.1 port with a temporary data directory and rate limits off, and
// starts the bare handler as a second copy of itself (-serve-bare). Then it
// runs each scenario in a closed loop for the set duration and prints one
// table. It talks to nothing but those two loopback servers, bounds every
// loop in time and count, and removes its files when it ends.
//
// It exits 0 whatever it measured, because it is a measurement and not a
// test; with -strict a missed target makes it exit 1. A broken run (the
// build failed, the server did not start) exits 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// scenarios are the names -only accepts, in the order they run. Start-up
// time and idle memory are measured in every run.
var scenarios = []string{"bare", "me", "verify", "refresh", "login", "flood"}

// Targets from DESIGN.md.
const (
	targetRatio     = 0.8
	targetRefresh   = 3000.0 // per second, on SQLite
	targetRefreshPG = 1500.0 // per second, on PostgreSQL
	targetLoginCPU  = 2 * time.Millisecond
	targetIdleKiB   = 25 << 10
	targetFloodKiB  = 64 << 10 // on top of the hash memory budget
	targetStartup   = 300 * time.Millisecond
	idleWait        = 2 * time.Second
	overallDeadline = 10 * time.Minute
)

// options are the command-line settings.
type options struct {
	duration      time.Duration
	conns         int
	floodConns    int
	hashMemoryMiB int
	db            string // --db of the server; empty is SQLite in the temp dir
	logLevel      string
	only          map[string]bool // empty: every scenario
	strict        bool
	ref           string // git revision to build; empty: the working tree
	serveBare     bool
}

func (o options) want(name string) bool { return len(o.only) == 0 || o.only[name] }

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var only string
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each scenario")
	fs.IntVar(&o.conns, "conns", 32,
		"concurrent connections, and sessions in the refresh scenario")
	fs.IntVar(&o.floodConns, "flood-conns", 1000, "connections in the login flood")
	fs.IntVar(&o.hashMemoryMiB, "hash-memory", 128, "--hash-memory of the server, in MiB")
	fs.StringVar(&o.db, "db", "", "--db of the server, e.g. a PostgreSQL URL of an empty "+
		"database on 127.0.0.1 (default: SQLite in the temporary directory)")
	fs.StringVar(&o.logLevel, "log-level", "info",
		"--log-level of the server (its log goes to a temporary file)")
	fs.StringVar(&only, "only", "",
		"comma-separated scenarios to run: "+strings.Join(scenarios, ", ")+
			" (default all; me and verify bring bare along)")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when a target is missed")
	fs.StringVar(&o.ref, "ref", "",
		"git revision to build (git archive, read-only) instead of the working tree")
	fs.BoolVar(&o.serveBare, "serve-bare", false,
		"run only the bare handler (the load run starts itself this way)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	switch {
	case fs.NArg() > 0:
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.duration < 100*time.Millisecond || o.duration > time.Minute:
		return options{}, fmt.Errorf("-duration %v: want 100ms to 1m", o.duration)
	case o.conns < 1 || o.conns > 1000:
		return options{}, fmt.Errorf("-conns %d: want 1 to 1000", o.conns)
	case o.floodConns < 1 || o.floodConns > 5000:
		return options{}, fmt.Errorf("-flood-conns %d: want 1 to 5000", o.floodConns)
	case o.hashMemoryMiB < 19:
		return options{}, fmt.Errorf("-hash-memory %d: want at least 19", o.hashMemoryMiB)
	}
	o.only = map[string]bool{}
	for name := range strings.SplitSeq(only, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(scenarios, name) {
			return options{}, fmt.Errorf("-only: unknown scenario %q; want some of %s",
				name, strings.Join(scenarios, ", "))
		}
		o.only[name] = true
	}
	if o.only["me"] || o.only["verify"] {
		o.only["bare"] = true
	}
	return o, nil
}

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	if opts.serveBare {
		if err := serveBare(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "load: bare server:", err)
			os.Exit(2)
		}
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, overallDeadline)
	defer cancel()
	rp, err := runAll(ctx, opts)
	if rp != nil {
		rp.print(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	if opts.strict && rp.failed() {
		os.Exit(1)
	}
}

// progress tells the person waiting what the run is doing.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
}

// runAll builds and starts the servers, runs the chosen scenarios and
// returns what it measured, also when a scenario fails part way.
func runAll(ctx context.Context, opts options) (*report, error) {
	dir, err := os.MkdirTemp("", "sallyport-load-")
	if err != nil {
		return nil, fmt.Errorf("make a temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)

	source := "the working tree"
	if opts.ref != "" {
		source = "git revision " + opts.ref
	}
	progress("building ./cmd/sallyport from %s", source)
	bin, err := buildServer(ctx, dir, opts.ref)
	if err != nil {
		return nil, err
	}
	cfg := serverConfig{
		bin:           bin,
		dataDir:       filepath.Join(dir, "data"),
		logPath:       filepath.Join(dir, "server.log"),
		hashMemoryMiB: opts.hashMemoryMiB,
		logLevel:      opts.logLevel,
		db:            opts.db,
	}
	rp := &report{}
	srv, err := startTwice(ctx, cfg, rp)
	if err != nil {
		return rp, err
	}
	defer srv.stop()

	r := &run{opts: opts, srv: srv, client: newClient(opts.conns, 30*time.Second), report: rp}
	defer r.client.CloseIdleConnections()
	if err := r.idleMemory(ctx); err != nil {
		return rp, err
	}
	if err := r.signUp(ctx); err != nil {
		return rp, err
	}
	return rp, r.scenarios(ctx)
}

// startTwice starts the server on an empty data directory, stops it, and
// starts it again on the data the first start made; it reports both
// start-up times and returns the second server.
func startTwice(ctx context.Context, cfg serverConfig, rp *report) (*server, error) {
	progress("starting the server on an empty data directory")
	srv, cold, err := startServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	srv.stop()
	rp.add(startupRow("start-up, empty data dir", cold))

	progress("starting it again on the data it made")
	srv, warm, err := startServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rp.add(startupRow("start-up, existing data", warm))
	return srv, nil
}

func startupRow(name string, s startup) row {
	logged := "no log line"
	if s.logged >= 0 {
		logged = "log " + fmtMs(s.logged)
	}
	return row{
		scenario: name,
		measured: fmt.Sprintf("ready %s (%s)", fmtMs(s.ready), logged),
		target:   "<= 300 ms",
		verdict:  verdict(s.ready <= targetStartup),
	}
}

// idleMemory waits a moment and reads the idle server's RSS.
func (r *run) idleMemory(ctx context.Context) error {
	select {
	case <-time.After(idleWait):
	case <-ctx.Done():
		return ctx.Err()
	}
	m, err := readMemory(r.srv.pid())
	if err != nil {
		return err
	}
	r.report.add(row{
		scenario: "idle RSS",
		measured: fmtMiB(m.rssKiB),
		target:   "<= 25 MiB",
		verdict:  verdict(m.rssKiB <= targetIdleKiB),
	})
	return nil
}

// scenarios runs the chosen load scenarios in order.
func (r *run) scenarios(ctx context.Context) error {
	o := r.opts
	if o.want("bare") {
		if err := r.ratios(ctx); err != nil {
			return err
		}
	}
	if o.want("refresh") {
		m, err := r.refresh(ctx)
		if err != nil {
			return err
		}
		r.report.add(row{
			scenario: fmt.Sprintf("refresh, %d sessions", o.conns),
			st:       m.stats,
			measured: fmt.Sprintf("%.0f/s", m.rate()),
			target:   fmt.Sprintf(">= %.0f/s", refreshTarget(o.db)),
			verdict:  verdict(m.rate() >= refreshTarget(o.db)),
		})
		r.report.note("refresh: %s; server CPU %s/refresh", summary(m.stats),
			fmtDur(m.cpuPerOK()))
	}
	if o.want("login") {
		if err := r.loginRow(ctx); err != nil {
			return err
		}
	}
	if o.want("flood") {
		if err := r.floodRow(ctx); err != nil {
			return err
		}
	}
	return nil
}

// ratios measures the bare handler and the protected endpoints in
// interleaved rounds, and rates each endpoint against the bare handler.
func (r *run) ratios(ctx context.Context) error {
	b, err := startBare()
	if err != nil {
		return err
	}
	defer b.stop()
	bareClient := newClient(r.opts.conns, 30*time.Second)
	defer bareClient.CloseIdleConnections()

	targets := []target{{"bare", b.pid(), r.getter(bareClient, b.base+"/api/auth/me")}}
	for _, name := range []string{"me", "verify"} {
		if r.opts.want(name) {
			do := r.getter(r.client, r.srv.base+"/api/auth/"+name)
			targets = append(targets, target{name, r.srv.pid(), do})
		}
	}
	rounds := max(1, int(r.opts.duration/ratioSlice))
	sums, lo, hi, err := r.interleave(ctx, targets, rounds)
	if err != nil {
		return err
	}

	bare := sums[0]
	r.report.add(row{scenario: "bare handler", st: bare.stats,
		measured: fmt.Sprintf("%.0f/s", bare.rate()), target: info, verdict: info})
	r.report.note("bare: %s; bare server CPU %s/req", summary(bare.stats),
		fmtDur(bare.cpuPerOK()))
	for i, t := range targets[1:] {
		m := sums[i+1]
		ratio := m.rate() / max(bare.rate(), 1)
		r.report.add(row{
			scenario: "GET /api/auth/" + t.name,
			st:       m.stats,
			ratio:    ratio,
			measured: fmt.Sprintf("%.0f%% of bare", 100*ratio),
			target:   ">= 80% of bare",
			verdict:  verdict(ratio >= targetRatio),
		})
		r.report.note("%s: %s; server CPU %s/req; per-round ratio %.2f to %.2f", t.name,
			summary(m.stats), fmtDur(m.cpuPerOK()), lo[i+1], hi[i+1])
	}
	return nil
}

// loginRow measures logins against the cost of a hash.
func (r *run) loginRow(ctx context.Context) error {
	progress("login: hashing here, one at a time, for %v", ratioSlice)
	alone := hashFor(ctx, 1, ratioSlice)
	m, side, err := r.loginRun(ctx)
	if err != nil {
		return err
	}
	perLogin, hash := m.cpuPerOK(), side.cpuPer()
	r.report.add(row{
		scenario: fmt.Sprintf("login, %d users", numUsers),
		st:       m.stats,
		measured: fmt.Sprintf("CPU %s/login", fmtMs(perLogin)),
		target:   fmt.Sprintf("<= hash %s + 2 ms", fmtMs(hash)),
		verdict:  verdict(m.ok > 0 && side.n > 0 && perLogin <= hash+targetLoginCPU),
	})
	r.report.note("login: %s; server CPU %s over %d logins, %s over the hash", summary(m.stats),
		fmtMs(m.cpu), m.ok, fmtMs(perLogin-hash))
	r.report.note("login: argon2id here: %s CPU per hash over %d hashes, %d at once, "+
		"between the logins; %s CPU one at a time", fmtMs(hash), side.n, loginWorkers(),
		fmtMs(alone.cpuPer()))
	return nil
}

// floodRow runs the login flood and checks the server's peak memory.
func (r *run) floodRow(ctx context.Context) error {
	f, err := r.flood(ctx)
	if err != nil {
		return err
	}
	budget := int64(r.opts.hashMemoryMiB)<<10 + targetFloodKiB
	r.report.add(row{
		scenario: fmt.Sprintf("login flood, %d conns", r.opts.floodConns),
		st:       f.stats,
		answers:  true,
		measured: fmt.Sprintf("peak RSS %s, %d busy", fmtMiB(f.peakKiB), f.busy),
		target:   fmt.Sprintf("<= %s", fmtMiB(budget)),
		verdict:  verdict(f.peakKiB <= budget),
	})
	r.report.note("flood: %s; %.0f answers/s, of which %.1f/s were hashed (401); "+
		"%d of the 503s said busy", summary(f.stats), f.answerRate(),
		float64(f.codes[401])/f.elapsed.Seconds(), f.busy)
	r.report.note("flood: RSS %s before, peak %s over %d samples, %s 1 s after; "+
		"VmHWM (peak over the process's life) %s", fmtMiB(f.beforeKiB), fmtMiB(f.peakKiB),
		f.samples, fmtMiB(f.afterKiB), fmtMiB(f.hwmKiB))
	return nil
}

// refreshTarget is the design's rotating-refresh target for the store.
func refreshTarget(db string) float64 {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return targetRefreshPG
	}
	return targetRefresh
}
