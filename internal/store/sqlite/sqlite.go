// Package sqlite is the embedded SQLite backend of store.Store, built on
// the pure-Go driver modernc.org/sqlite (no cgo).
//
// Open creates the database file and its directory if needed, switches it
// to WAL mode and applies the embedded migrations. A Store keeps two
// connection pools on the one file: a single connection for writes, so
// that writers queue in the process instead of fighting over the file lock,
// and several read-only connections, which WAL lets run alongside the
// writer. Write transactions begin IMMEDIATE and every connection waits on
// a busy timeout, so another process holding the lock (such as the migrate
// command) delays a write instead of failing it.
//
// Times are stored as integer Unix milliseconds and returned in UTC; a
// zero time is stored as NULL where the schema allows it.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sallyport/sallyport/internal/store"
)

// busyTimeout is how long a connection waits for a lock held by another
// process before it gives up with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Store is a store.Store kept in one SQLite file. It is safe for
// concurrent use; its zero value is not usable, call Open.
type Store struct {
	write  *sql.DB
	read   *sql.DB
	stmts  sync.Map // stmtKey to *sql.Stmt
	closed atomic.Bool
}

// stmtKey names a query prepared on one of the pools.
type stmtKey struct {
	db    *sql.DB
	query string
}

var _ store.Store = (*Store)(nil)

// Open opens the SQLite database at path, creating the file and its parent
// directory (mode 0700) when missing, and applies any pending migrations.
// It fails if the database was migrated by a newer Sallyport.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	if strings.Contains(abs, "?") {
		// The driver reads everything after '?' as connection options.
		return nil, fmt.Errorf("open sqlite %q: path must not contain '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}

	s := &Store{}
	s.write, err = openPool(ctx, abs, false)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, s.classify(err))
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	// The read pool opens after the migrations so that its connections
	// never see the file before it is in WAL mode.
	s.read, err = openPool(ctx, abs, true)
	if err != nil {
		s.write.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, s.classify(err))
	}
	if err := s.prepareWrites(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	return s, nil
}

// openPool opens the write pool (one connection, immediate transactions)
// or the read pool (read-only connections, one per core and at least 4).
func openPool(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// NORMAL is durable in WAL mode except for the last commits before a
	// power loss, and it spares an fsync per commit.
	q.Add("_pragma", "synchronous(NORMAL)")
	conns := 1
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		conns = max(4, runtime.GOMAXPROCS(0))
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	}

	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Ping reads from the database and checks that the write connection
// answers; it waits for a write transaction in progress.
func (s *Store) Ping(ctx context.Context) error {
	var v int
	if err := s.readRow(ctx, selectVersion).Scan(&v); err != nil {
		return fmt.Errorf("ping sqlite: %w", s.classify(err))
	}
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", s.classify(err))
	}
	return nil
}

// Close closes both connection pools. Later calls on s fail with
// store.ErrUnavailable; closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	s.stmts.Range(func(_, st any) bool {
		errs = append(errs, st.(*sql.Stmt).Close())
		return true
	})
	errs = append(errs, s.read.Close(), s.write.Close())
	return errors.Join(errs...)
}

// stmt returns q prepared on db. Parsing a statement costs about as much
// as running it, so queries are prepared once and kept; database/sql
// prepares them again on each connection that runs them. It must not be
// called for the write pool inside a transaction, which holds the pool's
// only connection.
func (s *Store) stmt(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	key := stmtKey{db, q}
	if st, ok := s.stmts.Load(key); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// errRow is a row whose query failed before it ran.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// readRow runs the one-row query q on the read pool.
func (s *Store) readRow(ctx context.Context, q string, args ...any) scanner {
	st, err := s.stmt(ctx, s.read, q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// prepareWrites prepares the hot write statements, which a transaction
// cannot prepare for itself without waiting for its own connection.
func (s *Store) prepareWrites(ctx context.Context) error {
	for _, q := range hotWrites {
		if _, err := s.stmt(ctx, s.write, q); err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
	}
	return nil
}

// txRow runs the one-row query q in tx, prepared if it is a hot write.
func (s *Store) txRow(ctx context.Context, tx *sql.Tx, q string, args ...any) scanner {
	if st, ok := s.stmts.Load(stmtKey{s.write, q}); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// txExec runs q in tx, prepared if it is a hot write.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q string,
	args ...any) (sql.Result, error) {
	if st, ok := s.stmts.Load(stmtKey{s.write, q}); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// classify joins err with the store sentinel it stands for, if any:
// ErrConflict for a uniqueness violation, ErrUnavailable for a closed
// store or a database that cannot be opened, read or locked in time.
func (s *Store) classify(err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	switch se.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// inTx runs fn in a write transaction and commits it if fn succeeds.
// Errors from fn are returned as they are; errors from the transaction
// itself are classified.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", s.classify(err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", s.classify(err))
	}
	return nil
}

// millis is t as Unix milliseconds.
func millis(t time.Time) int64 { return t.UnixMilli() }

// nullMillis is t as Unix milliseconds, or NULL when t is zero.
func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMillis is the UTC time of ms Unix milliseconds.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// fromNullMillis is the UTC time of ms, or the zero time for NULL.
func fromNullMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return fromMillis(ms.Int64)
}
