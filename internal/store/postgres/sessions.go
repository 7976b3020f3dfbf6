package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sallyport/sallyport/internal/store"
)

const (
	sessionColumns = `id, user_id, user_agent, ip, created_at, last_used_at, expires_at,
		revoked_at, revoke_reason`
	tokenColumns = `hash, session_id, created_at, rotated_at, child_nonce`
)

// CreateSession inserts sess and its first refresh token in one
// statement. The token is bound to sess whatever its SessionID says.
func (s *Store) CreateSession(ctx context.Context, sess store.Session,
	first store.RefreshToken) error {
	const q = `WITH new_session AS (
			INSERT INTO sessions (` + sessionColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING id
		)
		INSERT INTO refresh_tokens (` + tokenColumns + `)
		SELECT $10, id, $11, $12, $13 FROM new_session`
	_, err := s.pool.Exec(ctx, q, sess.ID, sess.UserID, sess.UserAgent, sess.IP,
		ts(sess.CreatedAt), ts(sess.LastUsedAt), ts(sess.ExpiresAt), nullTS(sess.RevokedAt),
		sess.RevokeReason,
		first.Hash, ts(first.CreatedAt), nullTS(first.RotatedAt), first.ChildNonce)
	if err != nil {
		return fmt.Errorf("create session %q: %w", sess.ID, s.classify(err))
	}
	return nil
}

// SessionByID returns the session, revoked or not, or store.ErrNotFound.
func (s *Store) SessionByID(ctx context.Context, id string) (store.Session, error) {
	const q = `SELECT ` + sessionColumns + ` FROM sessions WHERE id = $1`
	sess, err := scanSession(s.pool.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
		WHERE user_id = $1 AND revoked_at IS NULL
		ORDER BY created_at DESC, id DESC`
	list, err := queryAll(ctx, s, q, []any{userID}, scanSession)
	if err != nil {
		return nil, fmt.Errorf("list sessions of %q: %w", userID, err)
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
		WHERE t.hash = $1`
	var (
		tok              store.RefreshToken
		sess             store.Session
		rotated, revoked *time.Time
	)
	err := s.pool.QueryRow(ctx, q, hash).Scan(
		&tok.Hash, &tok.SessionID, &tok.CreatedAt, &rotated, &tok.ChildNonce,
		&sess.ID, &sess.UserID, &sess.UserAgent, &sess.IP, &sess.CreatedAt, &sess.LastUsedAt,
		&sess.ExpiresAt, &revoked, &sess.RevokeReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.RefreshToken{}, store.Session{},
			fmt.Errorf("get refresh token: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.RefreshToken{}, store.Session{},
			fmt.Errorf("get refresh token: %w", s.classify(err))
	}
	tok.CreatedAt, tok.RotatedAt = utc(tok.CreatedAt), fromNull(rotated)
	sess.CreatedAt, sess.LastUsedAt = utc(sess.CreatedAt), utc(sess.LastUsedAt)
	sess.ExpiresAt, sess.RevokedAt = utc(sess.ExpiresAt), fromNull(revoked)
	return tok, sess, nil
}

// rotate marks the parent ($3) rotated, inserts the child and touches the
// session, all in one statement, if the parent is live and, when $4 is
// not empty, in session $4. A unique violation on the child aborts the
// whole statement, so a refused rotation changes nothing.
const rotate = `WITH parent AS (
		UPDATE refresh_tokens SET rotated_at = $1, child_nonce = $2
		WHERE hash = $3 AND rotated_at IS NULL AND ($4 = '' OR session_id = $4)
		RETURNING ` + tokenColumns + `
	), child AS (
		INSERT INTO refresh_tokens (hash, session_id, created_at)
		SELECT $5, session_id, $6 FROM parent
	), touched AS (
		UPDATE sessions SET last_used_at = $1
		FROM parent WHERE sessions.id = parent.session_id
	)
	SELECT ` + tokenColumns + ` FROM parent`

// RotateRefreshToken marks the parent rotated, inserts the child and
// touches the session in one statement, if the parent is still live.
// The conditional UPDATE decides the race between processes: PostgreSQL
// makes a second UPDATE of the row wait for the first to commit and then
// re-checks rotated_at, so only one caller changes it from live to
// rotated. A loser reads the parent as the winner left it. The child
// always joins the parent's session; a Child.SessionID that names another
// session is an error.
func (s *Store) RotateRefreshToken(ctx context.Context,
	r store.Rotation) (store.RotateResult, error) {
	parent, err := scanToken(s.pool.QueryRow(ctx, rotate, ts(r.At), r.Nonce, r.ParentHash,
		r.Child.SessionID, r.Child.Hash, ts(r.Child.CreatedAt)))
	if err == nil {
		return store.RotateResult{Rotated: true, Parent: parent}, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: %w", s.classify(err))
	}

	// Rotated before, never there, or in another session.
	const q = `SELECT ` + tokenColumns + ` FROM refresh_tokens WHERE hash = $1`
	parent, err = scanToken(s.pool.QueryRow(ctx, q, r.ParentHash))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: %w", store.ErrNotFound)
	case err != nil:
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: %w", s.classify(err))
	case parent.RotatedAt.IsZero():
		return store.RotateResult{}, fmt.Errorf(
			"rotate refresh token: child names session %q, parent is in %q",
			r.Child.SessionID, parent.SessionID)
	}
	return store.RotateResult{Parent: parent}, nil
}

// RevokeSession marks the session revoked at at with reason. It reports
// false when the session was already revoked, leaving the first
// revocation as it was, and store.ErrNotFound when there is no session.
func (s *Store) RevokeSession(ctx context.Context, id, reason string,
	at time.Time) (bool, error) {
	// Both subqueries see the table as it was before the UPDATE.
	const q = `WITH revoked AS (
			UPDATE sessions SET revoked_at = $1, revoke_reason = $2
			WHERE id = $3 AND revoked_at IS NULL
			RETURNING id
		)
		SELECT EXISTS (SELECT 1 FROM revoked), EXISTS (SELECT 1 FROM sessions WHERE id = $3)`
	var revoked, exists bool
	if err := s.pool.QueryRow(ctx, q, ts(at), reason, id).Scan(&revoked, &exists); err != nil {
		return false, fmt.Errorf("revoke session %q: %w", id, s.classify(err))
	}
	if !exists {
		return false, fmt.Errorf("revoke session %q: %w", id, store.ErrNotFound)
	}
	return revoked, nil
}

// RevokeUserSessions revokes every session of the user that is not
// revoked yet, except the one with id except, and returns the ids it
// revoked in ascending order.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, except, reason string,
	at time.Time) ([]string, error) {
	const q = `UPDATE sessions SET revoked_at = $1, revoke_reason = $2
		WHERE user_id = $3 AND revoked_at IS NULL AND id <> $4
		RETURNING id`
	ids, err := queryAll(ctx, s, q, []any{ts(at), reason, userID, except}, scanString)
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
		WHERE revoked_at >= $1 ORDER BY revoked_at, id`
	list, err := queryAll(ctx, s, q, []any{ts(since)}, func(r pgx.Row) (store.Revocation,
		error) {
		var rev store.Revocation
		err := r.Scan(&rev.SessionID, &rev.UserID, &rev.RevokedAt)
		rev.RevokedAt = utc(rev.RevokedAt)
		return rev, err
	})
	if err != nil {
		return nil, fmt.Errorf("list revocations: %w", err)
	}
	return list, nil
}

func scanString(r pgx.Row) (string, error) {
	var v string
	err := r.Scan(&v)
	return v, err
}

func scanSession(r pgx.Row) (store.Session, error) {
	var sess store.Session
	var revoked *time.Time
	err := r.Scan(&sess.ID, &sess.UserID, &sess.UserAgent, &sess.IP,
		&sess.CreatedAt, &sess.LastUsedAt, &sess.ExpiresAt, &revoked, &sess.RevokeReason)
	if err != nil {
		return store.Session{}, err
	}
	sess.CreatedAt, sess.LastUsedAt = utc(sess.CreatedAt), utc(sess.LastUsedAt)
	sess.ExpiresAt, sess.RevokedAt = utc(sess.ExpiresAt), fromNull(revoked)
	return sess, nil
}

func scanToken(r pgx.Row) (store.RefreshToken, error) {
	var tok store.RefreshToken
	var rotated *time.Time
	err := r.Scan(&tok.Hash, &tok.SessionID, &tok.CreatedAt, &rotated, &tok.ChildNonce)
	if err != nil {
		return store.RefreshToken{}, err
	}
	tok.CreatedAt, tok.RotatedAt = utc(tok.CreatedAt), fromNull(rotated)
	return tok, nil
}
