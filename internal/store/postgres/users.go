package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sallyport/sallyport/internal/store"
)

const userColumns = `id, email, password_hash, role, disabled, created_at, updated_at`

// CreateUser inserts u, or returns store.ErrConflict when its id or email
// is taken.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	const q = `INSERT INTO users (` + userColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	_, err := s.pool.Exec(ctx, q, u.ID, u.Email, u.PasswordHash, u.Role, u.Disabled,
		ts(u.CreatedAt), ts(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, s.classify(err))
	}
	return nil
}

// UserByID returns the user with that id, or store.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	u, err := scanUser(s.pool.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, fmt.Errorf("get user %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get user %q: %w", id, s.classify(err))
	}
	return u, nil
}

// UserByEmail returns the user with exactly that email, or
// store.ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users WHERE email = $1`
	u, err := scanUser(s.pool.QueryRow(ctx, q, email))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, fmt.Errorf("get user by email %q: %w", email, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get user by email %q: %w", email, s.classify(err))
	}
	return u, nil
}

// ListUsers returns every user, oldest first, ties broken by id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users ORDER BY created_at, id`
	users, err := queryAll(ctx, s, q, nil, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// UpdateUser sets the fields of upd that are not nil, and UpdatedAt unless
// it is zero, or returns store.ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, id string, upd store.UserUpdate) error {
	// COALESCE keeps the stored value where the argument is NULL, that is
	// where upd has a nil field.
	const q = `UPDATE users SET
		password_hash = COALESCE($1, password_hash),
		role = COALESCE($2, role),
		disabled = COALESCE($3, disabled),
		updated_at = COALESCE($4, updated_at)
		WHERE id = $5`
	tag, err := s.pool.Exec(ctx, q, upd.PasswordHash, upd.Role, upd.Disabled,
		nullTS(upd.UpdatedAt), id)
	if err != nil {
		return fmt.Errorf("update user %q: %w", id, s.classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update user %q: %w", id, store.ErrNotFound)
	}
	return nil
}

func scanUser(r pgx.Row) (store.User, error) {
	var u store.User
	err := r.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &u.Disabled,
		&u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return store.User{}, err
	}
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	return u, nil
}

// queryAll runs q and scans every row with scan. Its errors are
// classified.
func queryAll[T any](ctx context.Context, s *Store, q string, args []any,
	scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.classify(err)
	}
	defer rows.Close()

	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.classify(err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err)
	}
	return list, nil
}
