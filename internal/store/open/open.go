// Package open opens the store.Store that a URL names, so that the
// commands and the tests choose a backend the same way:
//
//	./sallyport-data/sallyport.db                   SQLite, a file path
//	sqlite:///var/lib/sallyport/sallyport.db        SQLite, as a URL
//	postgres://user:pass@db.internal:5432/sallyport PostgreSQL (or postgresql://)
//	mongodb://user:pass@mongo.internal:27017/sallyport MongoDB (or mongodb+srv://)
//
// Opening a store applies its pending migrations.
package open

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/mongo"
	"github.com/sallyport/sallyport/internal/store/postgres"
	"github.com/sallyport/sallyport/internal/store/sqlite"
)

// Open opens the backend that rawURL names and returns it with a label
// for logs and messages: the URL with any password replaced by "xxxxx".
// Errors carry the label, never the password.
func Open(ctx context.Context, rawURL string) (store.Store, string, error) {
	scheme, rest, hasScheme := strings.Cut(rawURL, "://")
	if !hasScheme {
		return openSQLite(ctx, rawURL)
	}
	label := Redact(rawURL)
	var (
		st  store.Store
		err error
	)
	switch strings.ToLower(scheme) {
	case "sqlite":
		return openSQLite(ctx, rest)
	case "postgres", "postgresql":
		st, err = postgres.Open(ctx, rawURL)
	case "mongodb", "mongodb+srv":
		st, err = mongo.Open(ctx, rawURL)
	default:
		return nil, "", fmt.Errorf("store %s: unknown scheme %q; want a file path, "+
			"sqlite://, postgres:// or mongodb://", label, scheme)
	}
	if err != nil {
		return nil, "", fmt.Errorf("store %s: %w", label, err)
	}
	return st, label, nil
}

func openSQLite(ctx context.Context, path string) (store.Store, string, error) {
	if path == "" {
		return nil, "", fmt.Errorf("store: empty SQLite path")
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, "", fmt.Errorf("store sqlite:%s: %w", path, err)
	}
	return st, "sqlite:" + path, nil
}

// secretParams are query parameters that hold a secret in the URLs of
// the backends.
var secretParams = []string{"password", "sslpassword", "sslkey", "tlsCertificateKeyFilePassword"}

// Redact returns rawURL with the password of its user info and of any
// password parameter replaced by "xxxxx", for logs. A URL that does not
// parse is replaced whole, since where its secret sits is unknown.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		// mongodb:// URLs with several hosts (h1:1,h2:2) do not parse as
		// URLs; cut the user info out by hand.
		return redactByHand(rawURL)
	}
	q := u.Query()
	changed := false
	for _, p := range secretParams {
		for key := range q {
			if strings.EqualFold(key, p) {
				q.Set(key, "xxxxx")
				changed = true
			}
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// redactByHand redacts the password of scheme://user:pass@hosts/..., and
// drops the query, which may hold one too.
func redactByHand(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "(unparsable URL)"
	}
	rest, _, _ = strings.Cut(rest, "?")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, _, _ := strings.Cut(rest[:at], ":")
		rest = user + ":xxxxx" + rest[at:]
	}
	return scheme + "://" + rest
}
