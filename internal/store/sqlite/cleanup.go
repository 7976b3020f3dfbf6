package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// cleanupBatch is how many rows one cleanup transaction deletes at most,
// so that a large backlog does not hold the write lock for long and
// rotations keep going between batches.
const cleanupBatch = 500

// DeleteExpired removes what c describes, in batches of short
// transactions: sessions past ExpiresAt, idle or long revoked, with their
// refresh tokens; tokens rotated before SpentBefore; keys retired before
// KeysRetiredBefore. A zero field removes nothing. The count includes the
// tokens of the sessions removed. On error it returns what it removed so
// far.
func (s *Store) DeleteExpired(ctx context.Context, c store.Cleanup) (int64, error) {
	// Each query picks a batch of session ids with the index on its column.
	sessionRules := []struct {
		pick   string
		before time.Time
	}{
		{`SELECT id FROM sessions WHERE expires_at < ? LIMIT ?`, c.Now},
		{`SELECT id FROM sessions WHERE last_used_at < ? LIMIT ?`, c.IdleBefore},
		{`SELECT id FROM sessions WHERE revoked_at < ? LIMIT ?`, c.RevokedBefore},
	}
	var total int64
	for _, rule := range sessionRules {
		if rule.before.IsZero() {
			continue
		}
		n, err := s.deleteSessions(ctx, rule.pick, millis(rule.before))
		total += n
		if err != nil {
			return total, fmt.Errorf("delete expired sessions: %w", err)
		}
	}

	if !c.SpentBefore.IsZero() {
		const spent = `DELETE FROM refresh_tokens WHERE hash IN
			(SELECT hash FROM refresh_tokens WHERE rotated_at < ? LIMIT ?)`
		n, err := s.deleteSpent(ctx, spent, millis(c.SpentBefore))
		total += n
		if err != nil {
			return total, fmt.Errorf("delete spent refresh tokens: %w", err)
		}
	}

	if !c.KeysRetiredBefore.IsZero() {
		// A NULL retired_at, the active key, never compares less.
		const keys = `DELETE FROM signing_keys WHERE retired_at < ?`
		res, err := s.write.ExecContext(ctx, keys, millis(c.KeysRetiredBefore))
		if err != nil {
			return total, fmt.Errorf("delete retired keys: %w", s.classify(err))
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// deleteSessions deletes, batch by batch, the sessions whose ids pick
// selects, and their refresh tokens, and returns how many rows went.
func (s *Store) deleteSessions(ctx context.Context, pick string, before int64) (int64, error) {
	const (
		tokens = `DELETE FROM refresh_tokens
			WHERE session_id IN (SELECT value FROM json_each(?))`
		sessions = `DELETE FROM sessions WHERE id IN (SELECT value FROM json_each(?))`
	)
	var total int64
	for {
		var picked int
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			ids, err := s.queryStrings(ctx, tx, pick, before, cleanupBatch)
			if err != nil || len(ids) == 0 {
				return err
			}
			picked = len(ids)
			list, err := json.Marshal(ids)
			if err != nil {
				return err
			}
			for _, q := range []string{tokens, sessions} {
				res, err := tx.ExecContext(ctx, q, string(list))
				if err != nil {
					return s.classify(err)
				}
				n, _ := res.RowsAffected()
				total += n
			}
			return nil
		})
		if err != nil || picked < cleanupBatch {
			return total, err
		}
	}
}

// deleteSpent runs the batched DELETE q until it removes fewer rows than
// a batch, and returns how many rows went.
func (s *Store) deleteSpent(ctx context.Context, q string, before int64) (int64, error) {
	var total int64
	for {
		res, err := s.write.ExecContext(ctx, q, before, cleanupBatch)
		if err != nil {
			return total, s.classify(err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < cleanupBatch {
			return total, nil
		}
	}
}
