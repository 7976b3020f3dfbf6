package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sallyport/sallyport/internal/store"
)

// AddSigningKey inserts k as the active signer and retires every other
// active key at k.CreatedAt, in one transaction. The transaction locks
// the table against other writers first, so that two instances rotating
// at once end with one active key, the later one. A taken id gives
// store.ErrConflict and leaves the active key as it was.
func (s *Store) AddSigningKey(ctx context.Context, k store.SigningKey) error {
	const (
		lock   = `LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`
		retire = `UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL`
		insert = `INSERT INTO signing_keys (id, algorithm, sealed, created_at)
			VALUES ($1, $2, $3, $4)`
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lock); err != nil {
			return s.classify(err)
		}
		if _, err := tx.Exec(ctx, retire, ts(k.CreatedAt)); err != nil {
			return s.classify(err)
		}
		_, err := tx.Exec(ctx, insert, k.ID, k.Algorithm, k.Sealed, ts(k.CreatedAt))
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
	keys, err := queryAll(ctx, s, q, nil, func(r pgx.Row) (store.SigningKey, error) {
		var k store.SigningKey
		var retired *time.Time
		err := r.Scan(&k.ID, &k.Algorithm, &k.Sealed, &k.CreatedAt, &retired)
		k.CreatedAt, k.RetiredAt = utc(k.CreatedAt), fromNull(retired)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}
