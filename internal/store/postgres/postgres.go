// Package postgres is the PostgreSQL backend of store.Store, built on pgx
// and its connection pool. It is the store for running several Sallyport
// instances behind a load balancer: every guarantee of the contract holds
// across processes, because each one rests on a single conditional
// statement or a transaction, never on state kept in one process.
//
// Open connects, applies the embedded migrations (serialized between
// processes by an advisory lock) and returns a Store. The pool recovers by
// itself from a restart or an outage of the server: while the server
// cannot be reached, calls fail with store.ErrUnavailable, and they
// succeed again once it is back.
//
// Times are stored as timestamptz, truncated to the millisecond, and
// returned in UTC; a zero time is stored as NULL where the schema allows
// it. Text keys use the "C" collation, so they sort byte for byte.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sallyport/sallyport/internal/store"
)

// connectTimeout bounds one connection attempt when the URL sets no
// connect_timeout, so that a request fails fast while the server is away.
const connectTimeout = 5 * time.Second

// Store is a store.Store kept in a PostgreSQL database. It is safe for
// concurrent use; its zero value is not usable, call Open.
type Store struct {
	pool   *pgxpool.Pool
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at rawURL (postgres:// or postgresql://,
// with the parameters pgx accepts, such as sslmode, connect_timeout,
// pool_max_conns or search_path) and applies any pending migrations. It
// fails if the database was migrated by a newer Sallyport.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	cfg, err := config(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	s := &Store{pool: pool}
	if _, err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return s, nil
}

// config parses rawURL and fills in the defaults that the URL leaves out.
// Parse errors leave the URL out of the message: it may hold a password.
func config(rawURL string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		var pce *pgconn.ParseConfigError
		if errors.As(err, &pce) && pce.Unwrap() != nil {
			return nil, fmt.Errorf("invalid URL: %w", pce.Unwrap())
		}
		return nil, errors.New("invalid URL")
	}
	params := url.Values{}
	if u, err := url.Parse(rawURL); err == nil {
		params = u.Query()
	}
	if !params.Has("connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if !params.Has("pool_max_conns") {
		// Refreshes spend most of their time waiting on the server, so
		// more connections than cores keep the CPU busy.
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	return cfg, nil
}

// Ping checks that a connection to the server works.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", s.classify(err))
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
// Later calls on s fail with store.ErrUnavailable; closing twice is
// harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

// Codes of server errors that mean the server cannot serve now rather
// than that the statement is wrong.
var unavailableCodes = map[string]bool{
	"53000": true, // insufficient_resources
	"53100": true, // disk_full
	"53200": true, // out_of_memory
	"53300": true, // too_many_connections
	"57P01": true, // admin_shutdown
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now
	"57P05": true, // idle_session_timeout
	"25006": true, // read_only_sql_transaction, as on a standby
}

// classify joins err with the store sentinel it stands for, if any:
// ErrConflict for a uniqueness violation, ErrUnavailable for a closed
// store, a server that cannot be reached or is shutting down, or a
// deadline that ran out waiting for it.
func (s *Store) classify(err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505": // unique_violation
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case strings.HasPrefix(pgErr.Code, "08"), unavailableCodes[pgErr.Code]:
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	if errors.Is(err, context.Canceled) {
		// The caller gave up; the server may be fine.
		return err
	}
	var netErr net.Error
	if errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// inTx runs fn in a transaction and commits it if fn succeeds. Errors from
// fn are returned as they are; errors of the transaction itself are
// classified.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", s.classify(err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", s.classify(err))
	}
	return nil
}

// ts is t as the database stores it: truncated to the millisecond, in
// UTC.
func ts(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }

// nullTS is ts(t), or nil (SQL NULL) when t is zero.
func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// utc is a time read from the database, in UTC.
func utc(t time.Time) time.Time { return t.UTC() }

// fromNull is the UTC time of a nullable column, or the zero time for
// NULL.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
