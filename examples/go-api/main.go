// Command go-api is an example API protected by Sallyport. It has one
// public route, one for any signed-in user and one for admins:
//
//	GET /api/public   no token needed
//	GET /api/private  a valid access token
//	GET /api/admin    a valid access token with the admin role
//
// Run it next to a Sallyport server:
//
//	sallyport service create go-api   # prints a service credential
//	SALLYPORT_SERVICE_CREDENTIAL=... go run ./examples/go-api \
//	    -issuer http://127.0.0.1:8080 -addr 127.0.0.1:3000
//
// With a service credential it follows the revocation feed, so a logout
// reaches it within a couple of seconds; without one, tokens of a
// logged-out session stay valid here until they expire.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sallyport/sallyport/verify"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "go-api:", err)
		os.Exit(1)
	}
}

func run() error {
	issuer := flag.String("issuer", "http://127.0.0.1:8080", "Sallyport's public URL")
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := []verify.Option{verify.WithErrorHandler(func(err error) {
		log.Warn("sallyport verifier", "err", err)
	})}
	if cred := os.Getenv("SALLYPORT_SERVICE_CREDENTIAL"); cred != "" {
		opts = append(opts, verify.WithRevocationFeed(cred, time.Second))
	}
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	v, err := verify.New(startCtx, *issuer, opts...)
	cancel()
	if err != nil {
		return err
	}
	go v.Run(ctx)
	defer v.Close()

	srv := &http.Server{Addr: *addr, Handler: newHandler(v), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("go-api listening", "addr", *addr, "issuer", *issuer)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler returns the example's routes, protected by v.
func newHandler(v *verify.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/public", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"message": "hello, anyone"})
	})
	mux.Handle("GET /api/private", v.Middleware(http.HandlerFunc(private)))
	mux.Handle("GET /api/admin", v.Middleware(verify.RequireRole("admin")(
		http.HandlerFunc(admin))))
	return mux
}

func private(w http.ResponseWriter, r *http.Request) {
	c, _ := verify.ClaimsFrom(r.Context())
	writeJSON(w, map[string]string{
		"message": "hello, " + c.Email,
		"user":    c.Subject,
		"role":    c.Role,
		"session": c.SessionID,
	})
}

func admin(w http.ResponseWriter, r *http.Request) {
	c, _ := verify.ClaimsFrom(r.Context())
	writeJSON(w, map[string]string{"message": "welcome, admin " + c.Email})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
