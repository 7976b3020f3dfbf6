package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sallyport/sallyport/internal/config"
	"github.com/sallyport/sallyport/internal/httpapi"
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
	log := newLogger(e, cfg)
	metrics := httpapi.NewMetrics()
	p, err := assemble(ctx, e, cfg, log,
		withEvents(httpapi.EventSink(log, metrics)))
	if err != nil {
		return err
	}
	defer p.store.Close()
	metrics.Hashes = p.hasher.Computed

	api, err := httpapi.New(httpapi.Options{
		Service:      p.svc,
		Logger:       log,
		Issuer:       cfg.PublicURL,
		SecureCookie: cfg.SecureCookie(),
		UI:           uiHandler(),
		Metrics:      metrics,
		CORSOrigins:  config.List(cfg.CORSOrigins),
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
		"startup_ms", time.Since(start).Milliseconds(),
	)
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
