package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sallyport/sallyport/internal/store"
)

// AddSigningKey inserts k as the active signer and retires every other
// active key at k.CreatedAt, in one transaction. A taken id gives
// store.ErrConflict and leaves the active key as it was.
func (s *Store) AddSigningKey(ctx context.Context, k store.SigningKey) error {
	const (
		retire = `UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL`
		insert = `INSERT INTO signing_keys (id, algorithm, sealed, created_at)
			VALUES (?, ?, ?, ?)`
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, retire, millis(k.CreatedAt)); err != nil {
			return s.classify(err)
		}
		_, err := tx.ExecContext(ctx, insert, k.ID, k.Algorithm, k.Sealed,
			millis(k.CreatedAt))
		return s.classify(err)
	})
	if err != nil {
		return fmt.Errorf("add signing key %q: %w", k.ID, err)
	}
	return nil
}

// ListKeys returns every stored key, oldest first, ties broken by id.
func (s *Store) ListKeys(ctx context.Context) ([]store.SigningKey, error) {
	const q = `SELECT id, algorithm, sealed, created_at, retired_at
		FROM signing_keys ORDER BY created_at, id`
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", s.classify(err))
	}
	defer rows.Close()

	var keys []store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		var created int64
		var retired sql.NullInt64
		err := rows.Scan(&k.ID, &k.Algorithm, &k.Sealed, &created, &retired)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", s.classify(err))
		}
		k.CreatedAt = fromMillis(created)
		k.RetiredAt = fromNullMillis(retired)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list keys: %w", s.classify(err))
	}
	return keys, nil
}
