package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/sallyport/sallyport/internal/store/migration"
)

// migrationFiles holds the schema changes, named NNNN_description.sql
// and numbered from 1 without gaps. A migration, once released, is never
// edited; a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration.File, error) {
	return migration.Load(migrationFiles, "migrations")
}

// Migrate applies the migrations that the database has not seen yet, each
// in its own transaction, and returns how many it applied. Open calls it,
// so a later call normally finds nothing to do. It fails without changing
// anything when the database was migrated by a newer Sallyport.
//
// TODO: migrations run with foreign keys enforced, because SQLite ignores
// that pragma inside a transaction. Dropping a table that others reference
// (users, sessions) to rebuild it would cascade into the children, so the
// first migration that rebuilds such a table must turn foreign keys off
// around its transaction and run PRAGMA foreign_key_check before commit.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}

	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`
	if _, err := s.write.ExecContext(ctx, create); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", s.classify(err))
	}
	current, err := schemaVersion(ctx, s.write)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", s.classify(err))
	}
	if current > len(ms) {
		return 0, fmt.Errorf("database schema version %d is newer than this build's %d",
			current, len(ms))
	}

	for _, m := range ms[current:] {
		ok, err := s.apply(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %q: %w", m.Name, err)
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// apply runs m in one transaction, unless another process applied it
// first, and reports whether it did.
func (s *Store) apply(ctx context.Context, m migration.File) (bool, error) {
	var done bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		const seen = `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`
		if err := tx.QueryRowContext(ctx, seen, m.Version).Scan(&n); err != nil {
			return s.classify(err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return s.classify(err)
		}
		const record = `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`
		_, err := tx.ExecContext(ctx, record, m.Version, millis(time.Now()))
		if err != nil {
			return s.classify(err)
		}
		done = true
		return nil
	})
	return done, err
}

// SchemaVersion returns the number of the last migration applied to the
// database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, s.read)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", s.classify(err))
	}
	return v, nil
}

// selectVersion reads the schema version.
const selectVersion = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, selectVersion).Scan(&v)
	return v, err
}
