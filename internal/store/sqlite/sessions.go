package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

const (
	sessionColumns = `id, user_id, user_agent, ip, created_at, last_used_at, expires_at,
		revoked_at, revoke_reason`
	tokenColumns = `hash, session_id, created_at, rotated_at, child_nonce`
)

// The statements of login and refresh, which Open prepares.
const (
	insertSession = `INSERT INTO sessions (` + sessionColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertToken = `INSERT INTO refresh_tokens (` + tokenColumns + `)
		VALUES (?, ?, ?, ?, ?)`
	markRotated = `UPDATE refresh_tokens SET rotated_at = ?, child_nonce = ?
		WHERE hash = ? AND rotated_at IS NULL
		RETURNING ` + tokenColumns
	tokenByHash = `SELECT ` + tokenColumns + ` FROM refresh_tokens WHERE hash = ?`
	insertChild = `INSERT INTO refresh_tokens (hash, session_id, created_at)
		VALUES (?, ?, ?)`
	touchSession = `UPDATE sessions SET last_used_at = ? WHERE id = ?`
)

// hotWrites lists the statements that run in write transactions on every
// login and refresh.
var hotWrites = []string{
	insertSession, insertToken, markRotated, tokenByHash, insertChild, touchSession,
}

// CreateSession inserts sess and its first refresh token in one
// transaction. The token is bound to sess whatever its SessionID says.
func (s *Store) CreateSession(ctx context.Context, sess store.Session,
	first store.RefreshToken) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, insertSession, sess.ID, sess.UserID, sess.UserAgent,
			sess.IP, millis(sess.CreatedAt), millis(sess.LastUsedAt), millis(sess.ExpiresAt),
			nullMillis(sess.RevokedAt), sess.RevokeReason)
		if err != nil {
			return s.classify(err)
		}
		_, err = s.txExec(ctx, tx, insertToken, first.Hash, sess.ID,
			millis(first.CreatedAt), nullMillis(first.RotatedAt), first.ChildNonce)
		return s.classify(err)
	})
	if err != nil {
		return fmt.Errorf("create session %q: %w", sess.ID, err)
	}
	return nil
}

// SessionByID returns the session, revoked or not, or store.ErrNotFound.
func (s *Store) SessionByID(ctx context.Context, id string) (store.Session, error) {
	const q = `SELECT ` + sessionColumns + ` FROM sessions WHERE id = ?`
	sess, err := scanSession(s.readRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, fmt.Errorf("get session %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("get session %q: %w", id, s.classify(err))
	}
	return sess, nil
}

// ListSessions returns the user's sessions that are not revoked, newest
// first.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]store.Session, error) {
	const q = `SELECT ` + sessionColumns + ` FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL
		ORDER BY created_at DESC, id DESC`
	rows, err := s.read.QueryContext(ctx, q, userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions of %q: %w", userID, s.classify(err))
	}
	defer rows.Close()

	var list []store.Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions of %q: %w", userID, s.classify(err))
		}
		list = append(list, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions of %q: %w", userID, s.classify(err))
	}
	return list, nil
}

// RefreshToken returns the token with that hash and its session, or
// store.ErrNotFound. Error messages leave the hash out.
func (s *Store) RefreshToken(ctx context.Context, hash string) (store.RefreshToken,
	store.Session, error) {
	const q = `SELECT t.hash, t.session_id, t.created_at, t.rotated_at, t.child_nonce,
		s.id, s.user_id, s.user_agent, s.ip, s.created_at, s.last_used_at, s.expires_at,
		s.revoked_at, s.revoke_reason
		FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
		WHERE t.hash = ?`
	var (
		tok                    store.RefreshToken
		sess                   store.Session
		tokCreated             int64
		tokRotated             sql.NullInt64
		created, used, expires int64
		revoked                sql.NullInt64
	)
	err := s.readRow(ctx, q, hash).Scan(
		&tok.Hash, &tok.SessionID, &tokCreated, &tokRotated, &tok.ChildNonce,
		&sess.ID, &sess.UserID, &sess.UserAgent, &sess.IP, &created, &used, &expires,
		&revoked, &sess.RevokeReason)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, store.Session{},
			fmt.Errorf("get refresh token: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.RefreshToken{}, store.Session{},
			fmt.Errorf("get refresh token: %w", s.classify(err))
	}
	tok.CreatedAt = fromMillis(tokCreated)
	tok.RotatedAt = fromNullMillis(tokRotated)
	sess.CreatedAt = fromMillis(created)
	sess.LastUsedAt = fromMillis(used)
	sess.ExpiresAt = fromMillis(expires)
	sess.RevokedAt = fromNullMillis(revoked)
	return tok, sess, nil
}

// RotateRefreshToken marks the parent rotated, inserts the child and
// touches the session in one transaction, if the parent is still live.
// The conditional UPDATE decides the race: only one caller can change the
// row from live to rotated. A loser reads the parent as the winner left
// it. The child always joins the parent's session; a Child.SessionID that
// names another session is an error.
func (s *Store) RotateRefreshToken(ctx context.Context,
	r store.Rotation) (store.RotateResult, error) {
	var res store.RotateResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		parent, err := scanToken(s.txRow(ctx, tx, markRotated,
			millis(r.At), r.Nonce, r.ParentHash))
		if errors.Is(err, sql.ErrNoRows) {
			// Rotated before, or never there.
			parent, err = scanToken(s.txRow(ctx, tx, tokenByHash, r.ParentHash))
			if errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			if err != nil {
				return s.classify(err)
			}
			res = store.RotateResult{Parent: parent}
			return nil
		}
		if err != nil {
			return s.classify(err)
		}

		if r.Child.SessionID != "" && r.Child.SessionID != parent.SessionID {
			return fmt.Errorf("child names session %q, parent is in %q",
				r.Child.SessionID, parent.SessionID)
		}
		_, err = s.txExec(ctx, tx, insertChild, r.Child.Hash, parent.SessionID,
			millis(r.Child.CreatedAt))
		if err != nil {
			return s.classify(err)
		}
		if _, err := s.txExec(ctx, tx, touchSession, millis(r.At), parent.SessionID); err != nil {
			return s.classify(err)
		}
		res = store.RotateResult{Rotated: true, Parent: parent}
		return nil
	})
	if err != nil {
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: %w", err)
	}
	return res, nil
}

// RevokeSession marks the session revoked at at with reason. It reports
// false when the session was already revoked, leaving the first
// revocation as it was, and store.ErrNotFound when there is no session.
func (s *Store) RevokeSession(ctx context.Context, id, reason string,
	at time.Time) (bool, error) {
	const (
		revoke = `UPDATE sessions SET revoked_at = ?, revoke_reason = ?
			WHERE id = ? AND revoked_at IS NULL`
		exists = `SELECT COUNT(*) FROM sessions WHERE id = ?`
	)
	var revoked bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, revoke, millis(at), reason, id)
		if err != nil {
			return s.classify(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return s.classify(err)
		}
		if n > 0 {
			revoked = true
			return nil
		}
		if err := s.txRow(ctx, tx, exists, id).Scan(&n); err != nil {
			return s.classify(err)
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("revoke session %q: %w", id, err)
	}
	return revoked, nil
}

// RevokeUserSessions revokes every session of the user that is not
// revoked yet, except the one with id except, and returns the ids it
// revoked in ascending order.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, except, reason string,
	at time.Time) ([]string, error) {
	const q = `UPDATE sessions SET revoked_at = ?, revoke_reason = ?
		WHERE user_id = ? AND revoked_at IS NULL AND id <> ?
		RETURNING id`
	ids, err := s.queryStrings(ctx, s.write, q, millis(at), reason, userID, except)
	if err != nil {
		return nil, fmt.Errorf("revoke sessions of %q: %w", userID, err)
	}
	slices.Sort(ids)
	return ids, nil
}

// RevokedSince returns the sessions revoked at or after since, oldest
// first.
func (s *Store) RevokedSince(ctx context.Context, since time.Time) ([]store.Revocation, error) {
	const q = `SELECT id, user_id, revoked_at FROM sessions
		WHERE revoked_at >= ? ORDER BY revoked_at, id`
	rows, err := s.read.QueryContext(ctx, q, millis(since))
	if err != nil {
		return nil, fmt.Errorf("list revocations: %w", s.classify(err))
	}
	defer rows.Close()

	var list []store.Revocation
	for rows.Next() {
		var r store.Revocation
		var at int64
		if err := rows.Scan(&r.SessionID, &r.UserID, &at); err != nil {
			return nil, fmt.Errorf("list revocations: %w", s.classify(err))
		}
		r.RevokedAt = fromMillis(at)
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list revocations: %w", s.classify(err))
	}
	return list, nil
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryStrings runs q and returns the first column of every row.
func (s *Store) queryStrings(ctx context.Context, db querier, q string,
	args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.classify(err)
	}
	defer rows.Close()

	var list []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, s.classify(err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err)
	}
	return list, nil
}

func scanSession(r scanner) (store.Session, error) {
	var sess store.Session
	var created, used, expires int64
	var revoked sql.NullInt64
	err := r.Scan(&sess.ID, &sess.UserID, &sess.UserAgent, &sess.IP,
		&created, &used, &expires, &revoked, &sess.RevokeReason)
	if err != nil {
		return store.Session{}, err
	}
	sess.CreatedAt = fromMillis(created)
	sess.LastUsedAt = fromMillis(used)
	sess.ExpiresAt = fromMillis(expires)
	sess.RevokedAt = fromNullMillis(revoked)
	return sess, nil
}

func scanToken(r scanner) (store.RefreshToken, error) {
	var tok store.RefreshToken
	var created int64
	var rotated sql.NullInt64
	err := r.Scan(&tok.Hash, &tok.SessionID, &created, &rotated, &tok.ChildNonce)
	if err != nil {
		return store.RefreshToken{}, err
	}
	tok.CreatedAt = fromMillis(created)
	tok.RotatedAt = fromNullMillis(rotated)
	return tok, nil
}
