// Package testdb gives tests a fresh, empty store on any backend, so that
// one test can run against SQLite, PostgreSQL and MongoDB alike:
//
//	for _, backend := range testdb.Backends() {
//		t.Run(backend, func(t *testing.T) {
//			st := testdb.Open(t, backend)
//			...
//		})
//	}
//
// SQLite needs nothing. The servers are found through the environment:
//
//	SALLYPORT_TEST_POSTGRES_URL  a PostgreSQL server and a database to
//	                             connect to first, by default
//	                             postgres://postgres@127.0.0.1:5432/test?sslmode=disable;
//	                             each test creates a database of its own
//	                             and drops it at the end
//	SALLYPORT_TEST_MONGO_URL     a MongoDB or FerretDB server, by default
//	                             mongodb://127.0.0.1:27017/ (where
//	                             tools/ferretdb/start.sh starts FerretDB);
//	                             each test uses a database of its own and
//	                             drops it at the end
//
// When a server does not answer, the test is skipped with a message that
// says what to start, unless CI=true, where it fails: CI must not pass by
// skipping. Tests that race updates of one record against each other call
// SkipRaces, which skips them on FerretDB only.
package testdb

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/open"
)

// Environment variables that point the tests at servers.
const (
	PostgresEnv = "SALLYPORT_TEST_POSTGRES_URL"
	MongoEnv    = "SALLYPORT_TEST_MONGO_URL"
)

// Defaults when the variables are unset: the machines' PostgreSQL and the
// FerretDB that tools/ferretdb/start.sh starts.
const (
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultMongoURL    = "mongodb://127.0.0.1:27017/"
)

// Backends returns the names of every backend, for Open and URL.
func Backends() []string { return []string{"sqlite", "postgres", "mongo"} }

// Open returns a new, empty store of the backend, migrated, that is
// closed and deleted when the test ends. It skips the test (fails it
// under CI=true) when the backend's server does not answer.
func Open(tb testing.TB, backend string) store.Store {
	tb.Helper()
	u := URL(tb, backend)
	st, _, err := open.Open(context.Background(), u)
	if err != nil {
		tb.Fatalf("open a %s test store: %v", backend, err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// URL creates a new, empty database of the backend and returns the URL
// that a store or a sallyport process opens it with. The database is
// deleted when the test ends. It skips the test (fails it under CI=true)
// when the backend's server does not answer.
func URL(tb testing.TB, backend string) string {
	tb.Helper()
	switch backend {
	case "sqlite":
		return "sqlite://" + filepath.Join(tb.TempDir(), "sallyport.db")
	case "postgres":
		return postgresURL(tb)
	case "mongo":
		return mongoURL(tb)
	}
	tb.Fatalf("testdb: unknown backend %q; want one of %q", backend, Backends())
	return ""
}

// ServerURL returns the URL of the backend's server as configured by the
// environment, or its default; "" for SQLite.
func ServerURL(backend string) string {
	switch backend {
	case "postgres":
		return envOr(PostgresEnv, DefaultPostgresURL)
	case "mongo":
		return envOr(MongoEnv, DefaultMongoURL)
	}
	return ""
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Missing skips the test with msg, or fails it when CI=true.
func Missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: a missing service fails the run)", msg)
	}
	tb.Skip(msg)
}

// uniqueName is a new database name: prefix and random letters.
func uniqueName() string {
	return "sallyport_test_" + strings.ToLower(rand.Text()[:16])
}

// probes remembers, per server URL, whether the server answered, so that
// a missing server costs one connection attempt per test binary.
var probes sync.Map // string to *probe

type probe struct {
	once sync.Once
	err  error
}

func reachable(key string, try func() error) error {
	p, _ := probes.LoadOrStore(key, &probe{})
	pr := p.(*probe)
	pr.once.Do(func() { pr.err = try() })
	return pr.err
}

const setupTimeout = 30 * time.Second

func postgresURL(tb testing.TB) string {
	tb.Helper()
	admin := ServerURL("postgres")
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	err := reachable(admin, func() error {
		conn, err := connectPostgres(ctx, admin)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
	if err != nil {
		Missing(tb, fmt.Sprintf("PostgreSQL is not reachable at %s (%v): start it "+
			"(pg_ctlcluster 15 main start) or point %s at a server",
			open.Redact(admin), err, PostgresEnv))
	}

	name := uniqueName()
	conn, err := connectPostgres(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() { dropPostgres(tb, admin, name) })

	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

func connectPostgres(ctx context.Context, rawURL string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PostgresEnv, err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// dropPostgres drops the test database, closing what still uses it.
func dropPostgres(tb testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := connectPostgres(ctx, admin)
	if err != nil {
		tb.Errorf("drop database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		tb.Errorf("drop database %s: %v", name, err)
	}
}

func mongoURL(tb testing.TB) string {
	tb.Helper()
	server := ServerURL("mongo")
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	err := reachable(server, func() error {
		client, err := ConnectMongo(server)
		if err != nil {
			return err
		}
		defer client.Disconnect(ctx)
		return client.Ping(ctx, nil)
	})
	if err != nil {
		Missing(tb, fmt.Sprintf("MongoDB is not reachable at %s (%v): start FerretDB "+
			"with tools/ferretdb/start.sh or point %s at a server",
			open.Redact(server), err, MongoEnv))
	}

	name := uniqueName()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		client, err := ConnectMongo(server)
		if err != nil {
			tb.Errorf("drop database %s: %v", name, err)
			return
		}
		defer client.Disconnect(ctx)
		if err := client.Database(name).Drop(ctx); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})

	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("%s: %v", MongoEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// ConnectMongo connects a client to rawURL that gives up on the server
// within a few seconds, for test set-up.
func ConnectMongo(rawURL string) (*mongo.Client, error) {
	opts := options.Client().ApplyURI(rawURL).SetServerSelectionTimeout(3 * time.Second)
	return mongo.Connect(opts)
}

// RaceSkipReason returns why tests that race conditional updates of one
// record against each other (concurrent refreshes of one token, say)
// cannot run on the backend's server, or "" when they can. Only FerretDB
// gives a reason: its updates are not atomic under concurrency, so it
// would fail such tests for its own sake. A real MongoDB at
// SALLYPORT_TEST_MONGO_URL runs them.
func RaceSkipReason(tb testing.TB, backend string) string {
	tb.Helper()
	if backend != "mongo" {
		return ""
	}
	server := ServerURL("mongo")
	p, _ := ferretProbes.LoadOrStore(server, &ferretProbe{})
	pr := p.(*ferretProbe)
	pr.once.Do(func() { pr.ferret, pr.err = isFerretDB(server) })
	if pr.err != nil {
		Missing(tb, fmt.Sprintf("MongoDB is not reachable at %s (%v): start FerretDB "+
			"with tools/ferretdb/start.sh or point %s at a server",
			open.Redact(server), pr.err, MongoEnv))
	}
	if !pr.ferret {
		return ""
	}
	return fmt.Sprintf("needs a real MongoDB: the server at %s is FerretDB, whose updates "+
		"are not atomic under concurrency; point %s at a MongoDB server to run it",
		open.Redact(server), MongoEnv)
}

// SkipRaces skips the test when RaceSkipReason gives a reason.
func SkipRaces(tb testing.TB, backend string) {
	tb.Helper()
	if reason := RaceSkipReason(tb, backend); reason != "" {
		tb.Skip(reason)
	}
}

// ferretProbes remembers, per server URL, whether it is FerretDB.
var ferretProbes sync.Map // string to *ferretProbe

type ferretProbe struct {
	once   sync.Once
	ferret bool
	err    error
}

// isFerretDB asks the server at rawURL for its build information, which
// FerretDB marks with a field of its own.
func isFerretDB(rawURL string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	client, err := ConnectMongo(rawURL)
	if err != nil {
		return false, err
	}
	defer client.Disconnect(ctx)
	var info bson.M
	cmd := bson.D{{Key: "buildInfo", Value: 1}}
	if err := client.Database("admin").RunCommand(ctx, cmd).Decode(&info); err != nil {
		return false, err
	}
	_, ferret := info["ferretdbVersion"]
	return ferret, nil
}
