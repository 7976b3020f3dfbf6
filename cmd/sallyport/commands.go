package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/sallyport/sallyport/internal/audit"
	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/httpapi"
	"github.com/sallyport/sallyport/internal/store"
)

func withEvents(fn func(auth.Event)) auth.Option { return auth.WithEvents(fn) }

type migrator interface {
	Migrate(ctx context.Context) (int, error)
	SchemaVersion(ctx context.Context) (int, error)
}

func migrate(ctx context.Context, e env, args []string) error {
	cfg, err := loadConfig(e, "migrate", args, nil)
	if err != nil {
		return err
	}
	// Opening a store applies pending migrations; Migrate confirms it.
	st, label, err := openStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	m, ok := st.(migrator)
	if !ok {
		return fmt.Errorf("store %s has no migrations", label)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return err
	}
	v, err := m.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	// Opening the store already applied what was pending; the version is
	// what an operator wants to see.
	fmt.Fprintf(e.stdout, "%s: schema version %d, up to date\n", label, v)
	return nil
}

// cliParts assembles the service for a CLI command. Info lines are muted so
// output stays clean; warnings (the master key file notice) still show.
func cliParts(ctx context.Context, e env, name string, args []string,
	extra func(*flag.FlagSet)) (*parts, error) {
	cfg, err := loadConfig(e, name, args, extra)
	if err != nil {
		return nil, err
	}
	cfg.LogLevel = "warn"
	if readOnly[name] {
		if err := storeExists(cfg.DB); err != nil {
			return nil, err
		}
	}
	log := newLogger(e, cfg)
	// Changes made from the command line go to the audit log at once.
	var st store.Store
	sink := func(ev auth.Event) {
		if st == nil {
			return
		}
		a := httpapi.AuditEvent(ev)
		a.Time = time.Now()
		a.ID = audit.NewID(a.Time)
		a.Reason = strings.TrimSpace(a.Reason + " (cli)")
		if err := st.AppendAudit(ctx, a); err != nil {
			log.Warn("audit event not stored", "event", a.Type, "err", err)
		}
	}
	p, err := assemble(ctx, e, cfg, log, false, withEvents(sink))
	if err != nil {
		return nil, err
	}
	st = p.store
	p.record = sink
	return p, nil
}

// sinkEvent records an event that no service call emits for the command.
func sinkEvent(_ context.Context, p *parts, ev auth.Event) {
	if p.record != nil {
		p.record(ev)
	}
}

func userCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return errors.New("user: want create, import, list, set-role, disable or enable")
	}
	var addr, role string
	flags := func(fs *flag.FlagSet) {
		fs.StringVar(&addr, "email", "", "the user's email")
		fs.StringVar(&role, "role", "", "role name (create: default user)")
	}
	sub := args[0]
	p, err := cliParts(ctx, e, "user "+sub, args[1:], flags)
	if err != nil {
		return err
	}
	defer p.store.Close()
	svc := p.svc
	switch sub {
	case "create":
		if role == "" {
			role = auth.DefaultRole
		}
		if addr == "" {
			return errors.New("user create: --email is required")
		}
		pw, err := readPassword(e)
		if err != nil {
			return err
		}
		u, err := svc.CreateUser(ctx, addr, pw, role)
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		sinkEvent(ctx, p, auth.Event{Type: "user_created", UserID: u.ID, Reason: "role " + role})
		fmt.Fprintf(e.stdout, "created user %s %s role=%s\n", u.ID, u.Email, u.Role)
	case "import":
		return importUsers(ctx, e, svc, role)
	case "list":
		users, err := svc.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tDISABLED\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\n", u.ID, u.Email, u.Role, u.Disabled,
				u.CreatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	case "set-role":
		if addr == "" || role == "" {
			return errors.New("user set-role: --email and --role are required")
		}
		u, err := svc.SetRole(ctx, addr, role)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s now has role %s\n", u.Email, u.Role)
	case "disable", "enable":
		if addr == "" {
			return fmt.Errorf("user %s: --email is required", sub)
		}
		u, err := svc.SetDisabled(ctx, addr, sub == "disable")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %sd\n", u.Email, sub)
	default:
		return fmt.Errorf("user: unknown subcommand %q", sub)
	}
	return nil
}

// readPassword reads the new user's password: with a prompt and no echo
// from a terminal, else the first line of standard input. Never a flag,
// which would leave it in shell history and the process list.
func readPassword(e env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Repeat password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords do not match")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

func keysCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return errors.New("keys: want list or rotate")
	}
	sub := args[0]
	p, err := cliParts(ctx, e, "keys "+sub, args[1:], nil)
	if err != nil {
		return err
	}
	defer p.store.Close()
	switch sub {
	case "list":
		keys, err := p.svc.Keys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED\tRETIRED")
		for _, k := range keys {
			state := "retired"
			switch {
			case k.Active:
				state = "active"
			case k.Verifying:
				state = "verifying"
			}
			retired := "-"
			if !k.RetiredAt.IsZero() {
				retired = k.RetiredAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, state,
				k.CreatedAt.UTC().Format(time.RFC3339), retired)
		}
		return tw.Flush()
	case "rotate":
		k, err := p.svc.RotateKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "new signing key %s (%s); running servers pick it up "+
			"within seconds\n", k.ID, k.Algorithm)
	default:
		return fmt.Errorf("keys: unknown subcommand %q", sub)
	}
	return nil
}

func serviceCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return errors.New("service: want create NAME, list or delete NAME")
	}
	sub, rest := args[0], args[1:]
	var name string
	if sub == "create" || sub == "delete" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return fmt.Errorf("service %s: the service NAME comes first", sub)
		}
		name, rest = rest[0], rest[1:]
	}
	p, err := cliParts(ctx, e, "service "+sub, rest, nil)
	if err != nil {
		return err
	}
	defer p.store.Close()
	switch sub {
	case "create":
		cred, err := p.svc.CreateService(ctx, name)
		if err != nil {
			return err
		}
		// The credential alone on stdout, so scripts can capture it.
		fmt.Fprintln(e.stdout, cred)
		fmt.Fprintf(e.stderr, "created service %s; the credential above is shown only once\n",
			name)
	case "list":
		list, err := p.svc.ListServices(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tID\tCREATED")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Name, a.ID, a.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	case "delete":
		if err := p.svc.DeleteService(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted service %s\n", name)
	default:
		return fmt.Errorf("service: unknown subcommand %q", sub)
	}
	return nil
}

// importLine is one user in the input of `user import`.
type importLine struct {
	Email        string `json:"email"`
	PasswordHash string `json:"password_hash"`
	Role         string `json:"role"`
}

// importUsers reads JSON lines {"email", "password_hash", "role"} from
// stdin and creates each user. A bad line is reported and skipped; the
// command fails at the end if any line failed.
func importUsers(ctx context.Context, e env, svc *auth.Service, defaultRole string) error {
	if defaultRole == "" {
		defaultRole = auth.DefaultRole
	}
	sc := bufio.NewScanner(e.stdin)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	var done, failed int
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var in importLine
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			fmt.Fprintf(e.stderr, "line %d: not a JSON object: %v\n", n, err)
			failed++
			continue
		}
		if in.Role == "" {
			in.Role = defaultRole
		}
		if _, err := svc.ImportUser(ctx, in.Email, in.PasswordHash, in.Role); err != nil {
			fmt.Fprintf(e.stderr, "line %d: %v\n", n, err)
			failed++
			continue
		}
		done++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	fmt.Fprintf(e.stdout, "imported %d users, %d failed\n", done, failed)
	if failed > 0 {
		return fmt.Errorf("%d lines failed", failed)
	}
	return nil
}

// readOnly names the commands that only look: run against a data dir that
// does not exist (a typo, say), they fail instead of creating one.
var readOnly = map[string]bool{
	"user list": true, "keys list": true, "service list": true, "audit": true,
}

// storeExists fails when a SQLite store URL names a file that is missing.
func storeExists(dbURL string) error {
	path, ok := strings.CutPrefix(dbURL, "sqlite://")
	if !ok {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s: check --data-dir or --db", path)
	}
	return nil
}
