package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sallyport/sallyport/internal/audit"
	"github.com/sallyport/sallyport/internal/clientip"
	"github.com/sallyport/sallyport/internal/config"
	"github.com/sallyport/sallyport/internal/httpapi"
	"github.com/sallyport/sallyport/internal/ratelimit"
	"github.com/sallyport/sallyport/internal/store"
)

// newLogger builds the process logger from the settings.
func newLogger(e env, cfg config.Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

func serve(ctx context.Context, e env, args []string) error {
	start := time.Now()
	cfg, err := loadConfig(e, "serve", args, nil)
	if err != nil {
		return err
	}
	limitMemory(e, cfg)
	lw := newLogWriter(e.stderr)
	defer lw.Close()
	log := newLogger(env{stderr: lw}, cfg)
	metrics := httpapi.NewMetrics()
	var auditLog *audit.Writer
	var early []store.AuditEvent
	record := func(ev store.AuditEvent) {
		// Events of start-up (a first or changed key) come before the
		// writer exists; they wait for it, on this one goroutine.
		if auditLog == nil {
			ev.Time = time.Now()
			early = append(early, ev)
			return
		}
		auditLog.Record(ev)
	}
	p, err := assemble(ctx, e, cfg, log, true,
		withEvents(httpapi.EventSink(log, metrics, record)))
	if err != nil {
		return err
	}
	defer p.store.Close()
	metrics.Hashes = p.hasher.Computed
	auditLog = audit.New(p.store, audit.Options{OnError: func(ev store.AuditEvent, err error) {
		log.Warn("audit event not stored", "event", ev.Type, "err", err)
	}})
	for _, ev := range early {
		auditLog.Record(ev)
	}
	defer func() {
		flush, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = auditLog.Close(flush)
	}()

	limitStore, policy, err := limitSetup(cfg)
	if err != nil {
		return err
	}
	if limitStore != nil {
		defer limitStore.Close()
	}
	ips, err := clientip.ParseTrusted(cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("trusted-proxies: %w", err)
	}

	api, err := httpapi.New(httpapi.Options{
		Service:      p.svc,
		Logger:       log,
		Issuer:       cfg.PublicURL,
		SecureCookie: cfg.SecureCookie(),
		UI:           uiHandler(),
		Metrics:      metrics,
		CORSOrigins:  config.List(cfg.CORSOrigins),
		Limits:       policy,
		LimitStore:   limitStore,
		ClientIP:     ips,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	bg, cancel := context.WithCancel(ctx)
	defer cancel()
	go p.svc.Run(bg, time.Second, func(err error) {
		log.Warn("background sync failed", "err", err)
	})
	go pruneAudit(bg, p, cfg.AuditRetention, log)

	signer := ""
	if k := p.svc.Keyring().Signer(); k != nil {
		signer = k.ID
	}
	log.Info("sallyport ready",
		"version", version,
		"addr", ln.Addr().String(),
		"url", cfg.PublicURL,
		"store", p.label,
		"key_id", signer,
		"rate_limits", limitLabel(cfg),
		"startup_ms", time.Since(start).Milliseconds(),
	)
	lw.flush() // the ready line goes out at once; scripts wait for it
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down; draining requests")
	shutCtx, done := context.WithTimeout(context.Background(), 20*time.Second)
	defer done()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// limitSetup picks the store of the abuse limits: Redis when --redis is
// given, memory otherwise, none when --rate-limit=false.
func limitSetup(cfg config.Config) (ratelimit.Store, httpapi.LimitPolicy, error) {
	if !cfg.RateLimit {
		return nil, httpapi.LimitPolicy{}, nil
	}
	if cfg.Redis == "" {
		return ratelimit.NewMemory(0), httpapi.DefaultLimits(), nil
	}
	st, err := ratelimit.NewRedis(cfg.Redis)
	if err != nil {
		return nil, httpapi.LimitPolicy{}, fmt.Errorf("redis: %w", err)
	}
	return st, httpapi.DefaultLimits(), nil
}

func limitLabel(cfg config.Config) string {
	switch {
	case !cfg.RateLimit:
		return "off"
	case cfg.Redis != "":
		return "redis"
	}
	return "memory"
}

// pruneAudit enforces the audit retention at start and then every hour,
// or every retention period when that is shorter.
func pruneAudit(ctx context.Context, p *parts, retention time.Duration, log *slog.Logger) {
	every := min(time.Hour, max(retention, time.Second))
	for {
		if n, err := p.svc.PruneAudit(ctx, retention); err != nil {
			log.Warn("audit pruning failed", "err", err)
		} else if n > 0 {
			log.Info("audit events pruned", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// limitMemory sets the Go runtime's soft memory limit to the hash budget
// plus 32 MiB, unless GOMEMLIMIT says otherwise. Argon2id allocates its
// memory afresh for every hash; without a limit the collector lets the
// heap run to about twice the live size, so a login flood would take the
// process well past the budget the operator set. The design allows the
// budget plus 64 MiB; the other 32 MiB are for what the runtime holds
// outside the limit's reach before it collects (measured with the load
// run's flood: peak RSS 188 MiB at the default budget).
func limitMemory(e env, cfg config.Config) {
	if e.getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(int64(cfg.HashMemoryMiB+32) << 20)
}
