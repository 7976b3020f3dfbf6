package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sallyport/sallyport/internal/store/migration"
)

// migrationFiles holds the schema changes, named NNNN_description.sql
// and numbered from 1 without gaps. A migration, once released, is never
// edited; a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the key of the advisory lock that serializes Migrate
// between processes: the first letters of "sallyport" in ASCII.
const migrationLock int64 = 0x73616c6c79706f72

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration.File, error) {
	return migration.Load(migrationFiles, "migrations")
}

// Migrate applies the migrations that the database has not seen yet, each
// in its own transaction, and returns how many it applied. Open calls it,
// so a later call normally finds nothing to do. Instances that start at
// the same time take turns on an advisory lock; the later ones find the
// work done. It fails without changing anything when the database was
// migrated by a newer Sallyport.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", s.classify(err))
	}
	defer conn.Release()

	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return 0, fmt.Errorf("migrate: take the lock: %w", s.classify(err))
	}
	defer func() {
		// A lock that cannot be released dies with its connection.
		_, unlockErr := conn.Exec(context.WithoutCancel(ctx),
			`SELECT pg_advisory_unlock($1)`, migrationLock)
		if unlockErr != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`
	if _, err := conn.Exec(ctx, create); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", s.classify(err))
	}
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", s.classify(err))
	}
	if current > len(ms) {
		return 0, fmt.Errorf("database schema version %d is newer than this build's %d",
			current, len(ms))
	}
	for _, m := range ms[current:] {
		if err := s.apply(ctx, conn, m); err != nil {
			return applied, fmt.Errorf("migration %q: %w", m.Name, err)
		}
		applied++
	}
	return applied, nil
}

// apply runs m and records it, in one transaction.
func (s *Store) apply(ctx context.Context, conn *pgxpool.Conn, m migration.File) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return s.classify(err)
	}
	defer tx.Rollback(ctx)
	// The simple protocol runs a script of several statements.
	if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
		return s.classify(err)
	}
	const record = `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`
	if _, err := tx.Exec(ctx, record, m.Version, ts(time.Now())); err != nil {
		return s.classify(err)
	}
	return s.classify(tx.Commit(ctx))
}

// SchemaVersion returns the number of the last migration applied to the
// database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", s.classify(err))
	}
	defer conn.Release()
	v, err := schemaVersion(ctx, conn)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", s.classify(err))
	}
	return v, nil
}

func schemaVersion(ctx context.Context, conn *pgxpool.Conn) (int, error) {
	var v int
	err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if isUndefinedTable(err) {
		return 0, nil
	}
	return v, err
}

// isUndefinedTable reports whether err says a table does not exist.
func isUndefinedTable(err error) bool {
	var pgErr interface{ SQLState() string }
	return errors.As(err, &pgErr) && pgErr.SQLState() == "42P01"
}
