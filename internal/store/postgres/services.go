package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sallyport/sallyport/internal/store"
)

const serviceColumns = `id, name, secret_hash, created_at`

// CreateService inserts a service account; a taken id, name or secret
// hash gives store.ErrConflict.
func (s *Store) CreateService(ctx context.Context, a store.ServiceAccount) error {
	const q = `INSERT INTO service_accounts (` + serviceColumns + `) VALUES ($1, $2, $3, $4)`
	_, err := s.pool.Exec(ctx, q, a.ID, a.Name, a.SecretHash, ts(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("create service %q: %w", a.Name, s.classify(err))
	}
	return nil
}

// ServiceBySecretHash returns the account with that credential hash, or
// store.ErrNotFound.
func (s *Store) ServiceBySecretHash(ctx context.Context, hash string) (store.ServiceAccount,
	error) {
	const q = `SELECT ` + serviceColumns + ` FROM service_accounts WHERE secret_hash = $1`
	a, err := scanService(s.pool.QueryRow(ctx, q, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("get service by secret: %w", store.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("get service by secret: %w", s.classify(err))
	}
	return a, nil
}

// ListServices returns every service account, oldest first, ties broken
// by id.
func (s *Store) ListServices(ctx context.Context) ([]store.ServiceAccount, error) {
	const q = `SELECT ` + serviceColumns + ` FROM service_accounts ORDER BY created_at, id`
	list, err := queryAll(ctx, s, q, nil, scanService)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return list, nil
}

// DeleteService removes the account with that name, or returns
// store.ErrNotFound.
func (s *Store) DeleteService(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM service_accounts WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("delete service %q: %w", name, s.classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete service %q: %w", name, store.ErrNotFound)
	}
	return nil
}

func scanService(r pgx.Row) (store.ServiceAccount, error) {
	var a store.ServiceAccount
	if err := r.Scan(&a.ID, &a.Name, &a.SecretHash, &a.CreatedAt); err != nil {
		return store.ServiceAccount{}, err
	}
	a.CreatedAt = utc(a.CreatedAt)
	return a, nil
}
