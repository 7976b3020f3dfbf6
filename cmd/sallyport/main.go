// Command sallyport is a self-hosted authentication server for web
// applications. Run `sallyport serve` to start it on an embedded SQLite
// database; `sallyport help` lists the other commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `sallyport: a self-hosted authentication server

Usage:
  sallyport serve [settings]              start the server
  sallyport migrate [settings]            apply database migrations and exit
  sallyport user create --email E [--role R]   create a user; password from stdin
  sallyport user import [--role R]        create users from JSON lines on stdin:
                                          {"email", "password_hash" (bcrypt or argon2id), "role"}
  sallyport user list                     list users
  sallyport user set-role --email E --role R
  sallyport user disable --email E        disable a user and end their sessions
  sallyport user enable --email E
  sallyport keys list                     list signing keys
  sallyport keys rotate                   make a new signing key active
  sallyport service create NAME           make a credential for the revocation feed
  sallyport service list | delete NAME
  sallyport audit [--user U] [--since T] [--until T] [--limit N]   read the audit log
  sallyport version                       print the version

Every command takes the store settings of serve (--data-dir, --db); run
"sallyport serve --help" for the full list with defaults.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sallyport:", err)
		os.Exit(1)
	}
}

// env bundles what a command reads and writes, so tests can run commands
// in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer,
	getenv func(string) string) error {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, e, rest)
	case "migrate":
		return migrate(ctx, e, rest)
	case "user":
		return userCmd(ctx, e, rest)
	case "keys":
		return keysCmd(ctx, e, rest)
	case "service":
		return serviceCmd(ctx, e, rest)
	case "audit":
		return auditCmd(ctx, e, rest)
	case "version", "--version":
		fmt.Fprintln(stdout, "sallyport", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
