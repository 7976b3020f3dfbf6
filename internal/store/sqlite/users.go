package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sallyport/sallyport/internal/store"
)

const userColumns = `id, email, password_hash, role, disabled, created_at, updated_at`

// CreateUser inserts u, or returns store.ErrConflict when its id or email
// is taken.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	const q = `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	_, err := s.write.ExecContext(ctx, q, u.ID, u.Email, u.PasswordHash, u.Role,
		u.Disabled, millis(u.CreatedAt), millis(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, s.classify(err))
	}
	return nil
}

// UserByID returns the user with that id, or store.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users WHERE id = ?`
	u, err := scanUser(s.readRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
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
	const q = `SELECT ` + userColumns + ` FROM users WHERE email = ?`
	u, err := scanUser(s.readRow(ctx, q, email))
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", s.classify(err))
	}
	defer rows.Close()

	var users []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", s.classify(err))
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", s.classify(err))
	}
	return users, nil
}

// UpdateUser sets the fields of upd that are not nil, and UpdatedAt unless
// it is zero, or returns store.ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, id string, upd store.UserUpdate) error {
	// COALESCE keeps the stored value where the argument is NULL, that is
	// where upd has a nil field.
	const q = `UPDATE users SET
		password_hash = COALESCE(?, password_hash),
		role = COALESCE(?, role),
		disabled = COALESCE(?, disabled),
		updated_at = COALESCE(?, updated_at)
		WHERE id = ?`
	res, err := s.write.ExecContext(ctx, q, nullable(upd.PasswordHash), nullable(upd.Role),
		nullable(upd.Disabled), nullMillis(upd.UpdatedAt), id)
	if err != nil {
		return fmt.Errorf("update user %q: %w", id, s.classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update user %q: %w", id, s.classify(err))
	}
	if n == 0 {
		return fmt.Errorf("update user %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// nullable is *p, or nil (SQL NULL) when p is nil.
func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func scanUser(r scanner) (store.User, error) {
	var u store.User
	var created, updated int64
	err := r.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &u.Disabled, &created, &updated)
	if err != nil {
		return store.User{}, err
	}
	u.CreatedAt = fromMillis(created)
	u.UpdatedAt = fromMillis(updated)
	return u, nil
}
