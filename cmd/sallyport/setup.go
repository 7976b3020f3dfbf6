package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/config"
	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/open"
	"github.com/sallyport/sallyport/internal/token"
)

// loadConfig parses the settings of a command. extra registers the
// command's own flags.
func loadConfig(e env, name string, args []string, extra func(*flag.FlagSet)) (config.Config,
	error) {
	cfg := config.Default()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: sallyport %s [flags]\n\n"+
			"Each setting can also be given as SALLYPORT_<NAME> (NAME in upper case,\n"+
			"dashes as underscores) or in the --config file. Flags:\n\n", name)
		fs.PrintDefaults()
	}
	err := cfg.Load(fs, args, e.getenv)
	return cfg, err
}

// openStore opens the backend named by the store URL (a file path,
// sqlite://, postgres:// or mongodb://) and applies pending migrations.
// The label names the store with its password redacted.
func openStore(ctx context.Context, dbURL string) (store.Store, string, error) {
	return open.Open(ctx, dbURL)
}

// masterKey reads SALLYPORT_MASTER_KEY or, when it is unset, the key file
// in the data dir, creating it on first use: only when the store holds no
// sealed keys yet, since a new master key could not open them.
func masterKey(ctx context.Context, e env, cfg config.Config, st store.Store,
	log *slog.Logger) ([]byte, error) {
	if v := e.getenv("SALLYPORT_MASTER_KEY"); v != "" {
		k, err := token.ParseMasterKey(v)
		if err != nil {
			return nil, fmt.Errorf("SALLYPORT_MASTER_KEY: %w", err)
		}
		return k, nil
	}
	path := filepath.Join(cfg.DataDir, "master.key")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		keys, err := st.ListKeys(ctx)
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		if len(keys) > 0 {
			return nil, fmt.Errorf("the store holds signing keys sealed with a master key, "+
				"but SALLYPORT_MASTER_KEY is unset and %s does not exist: set the variable "+
				"or restore the file", path)
		}
	}
	k, created, err := token.LoadOrCreateMasterKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if created {
		log.Warn("SALLYPORT_MASTER_KEY is not set; created a master key file. "+
			"Back it up: without it the signing keys cannot be opened.", "path", path)
	}
	return k, nil
}

// parts is what every command that touches the store needs.
type parts struct {
	cfg    config.Config
	store  store.Store
	label  string
	hasher *password.Hasher
	svc    *auth.Service
	// record, when set, writes an auth event to the audit log.
	record func(auth.Event)
}

// assemble opens the store and builds the service; the caller closes the
// store. With serving set it also makes the first signing key (or a new
// one when --signing-alg changed) and cleans up; other commands only read.
func assemble(ctx context.Context, e env, cfg config.Config, log *slog.Logger, serving bool,
	opts ...auth.Option) (*parts, error) {
	st, label, err := openStore(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	key, err := masterKey(ctx, e, cfg, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	budget := int64(cfg.HashMemoryMiB) << 20
	h := password.NewHasher(password.DefaultParams(), budget, 10*time.Second)
	svc, err := auth.New(auth.Config{
		Issuer:       cfg.PublicURL,
		Audience:     cfg.Audience,
		AccessTTL:    cfg.AccessTTL,
		RefreshGrace: cfg.RefreshGrace,
		Leeway:       cfg.Leeway,
		SessionIdle:  cfg.SessionIdle,
		SessionMax:   cfg.SessionMax,
		SigningAlg:   cfg.SigningAlg,
		MasterKey:    key,
	}, st, h, opts...)
	if err != nil {
		st.Close()
		return nil, err
	}
	start := svc.Load
	if serving {
		start = svc.Start
	}
	if err := start(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return &parts{cfg: cfg, store: st, label: label, hasher: h, svc: svc}, nil
}
