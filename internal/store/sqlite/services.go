package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sallyport/sallyport/internal/store"
)

// CreateService inserts a service account; a taken id, name or secret
// hash gives store.ErrConflict.
func (s *Store) CreateService(ctx context.Context, a store.ServiceAccount) error {
	const q = `INSERT INTO service_accounts (id, name, secret_hash, created_at)
		VALUES (?, ?, ?, ?)`
	_, err := s.write.ExecContext(ctx, q, a.ID, a.Name, a.SecretHash, millis(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("create service %q: %w", a.Name, s.classify(err))
	}
	return nil
}

// ServiceBySecretHash returns the account with that credential hash, or
// store.ErrNotFound.
func (s *Store) ServiceBySecretHash(ctx context.Context, hash string) (store.ServiceAccount,
	error) {
	const q = `SELECT id, name, secret_hash, created_at FROM service_accounts
		WHERE secret_hash = ?`
	var a store.ServiceAccount
	var created int64
	err := s.readRow(ctx, q, hash).Scan(&a.ID, &a.Name, &a.SecretHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("get service by secret: %w", store.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("get service by secret: %w", s.classify(err))
	}
	a.CreatedAt = fromMillis(created)
	return a, nil
}

// ListServices returns every service account, oldest first.
func (s *Store) ListServices(ctx context.Context) ([]store.ServiceAccount, error) {
	const q = `SELECT id, name, secret_hash, created_at FROM service_accounts
		ORDER BY created_at, id`
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", s.classify(err))
	}
	defer rows.Close()
	var out []store.ServiceAccount
	for rows.Next() {
		var a store.ServiceAccount
		var created int64
		if err := rows.Scan(&a.ID, &a.Name, &a.SecretHash, &created); err != nil {
			return nil, fmt.Errorf("list services: %w", s.classify(err))
		}
		a.CreatedAt = fromMillis(created)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list services: %w", s.classify(err))
	}
	return out, nil
}

// DeleteService removes the account with that name, or returns
// store.ErrNotFound.
func (s *Store) DeleteService(ctx context.Context, name string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM service_accounts WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete service %q: %w", name, s.classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete service %q: %w", name, store.ErrNotFound)
	}
	return nil
}
