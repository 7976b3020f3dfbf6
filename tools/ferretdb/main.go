// Command ferretdb runs FerretDB v1, a MongoDB-wire-compatible server, with
// its SQLite handler, for Sallyport's MongoDB tests on machines where a real
// mongod cannot be installed.
//
// It embeds FerretDB instead of installing its command: a plain go install
// of FerretDB gives a binary that panics at start for a missing version
// file. Embedded, FerretDB keeps no state file and sends no telemetry.
//
//	go run . -listen 127.0.0.1:27017 -dir /tmp/ferretdb
//
// It listens only on a loopback address and stops on SIGINT or SIGTERM.
// The start.sh script beside it builds it and runs it in the background.
//
// This is its own module, so that FerretDB's many dependencies stay out of
// Sallyport's go.mod.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:27017", "loopback `address` to listen on")
	dir := flag.String("dir", "", "`directory` for the SQLite databases (required)")
	level := flag.String("log-level", "warn", "log `level`: debug, info, warn or error")
	flag.Parse()

	if err := checkLoopback(*listen); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return fmt.Errorf("data directory %q: %w", *dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return fmt.Errorf("data directory %q: %w", abs, err)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}

	// The SQLite handler wants a file: URI of a directory, with the
	// trailing slash.
	sqliteURL := (&url.URL{Scheme: "file", Path: abs + "/"}).String()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    log,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return fmt.Errorf("start ferretdb: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Warn("ferretdb listening", "addr", *listen, "dir", abs)
	return f.Run(ctx)
}

// checkLoopback refuses an address that is not on a loopback interface:
// this server has no authentication.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: want a loopback address such as 127.0.0.1", addr)
	}
	return nil
}
