package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// cleanupBatch is how many rows one cleanup statement deletes at most, so
// that a large backlog is removed in short transactions that hold few
// locks at a time.
const cleanupBatch = 500

// DeleteExpired removes what c describes, in batches: sessions past
// ExpiresAt, idle or long revoked, whose refresh tokens go with them by
// the schema's ON DELETE CASCADE; tokens rotated before SpentBefore; keys
// retired before KeysRetiredBefore. A zero field removes nothing. The
// count leaves out the tokens that went with their session. On error it
// returns what it removed so far. Instances that clean up at the same
// time do no harm: each row goes once.
func (s *Store) DeleteExpired(ctx context.Context, c store.Cleanup) (int64, error) {
	rules := []struct {
		what, q string
		before  time.Time
	}{
		{"expired sessions", `DELETE FROM sessions WHERE id IN
			(SELECT id FROM sessions WHERE expires_at < $1 LIMIT $2)`, c.Now},
		{"idle sessions", `DELETE FROM sessions WHERE id IN
			(SELECT id FROM sessions WHERE last_used_at < $1 LIMIT $2)`, c.IdleBefore},
		{"revoked sessions", `DELETE FROM sessions WHERE id IN
			(SELECT id FROM sessions WHERE revoked_at < $1 LIMIT $2)`, c.RevokedBefore},
		{"spent refresh tokens", `DELETE FROM refresh_tokens WHERE hash IN
			(SELECT hash FROM refresh_tokens WHERE rotated_at < $1 LIMIT $2)`, c.SpentBefore},
		// A NULL retired_at, the active key, never compares less.
		{"retired keys", `DELETE FROM signing_keys WHERE id IN
			(SELECT id FROM signing_keys WHERE retired_at < $1 LIMIT $2)`,
			c.KeysRetiredBefore},
	}
	var total int64
	for _, r := range rules {
		if r.before.IsZero() {
			continue
		}
		n, err := s.deleteBatches(ctx, r.q, ts(r.before))
		total += n
		if err != nil {
			return total, fmt.Errorf("delete %s: %w", r.what, err)
		}
	}
	return total, nil
}

// deleteBatches runs the batched DELETE q until it removes fewer rows
// than a batch, and returns how many rows went.
func (s *Store) deleteBatches(ctx context.Context, q string, before time.Time) (int64,
	error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, q, before, cleanupBatch)
		if err != nil {
			return total, s.classify(err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < cleanupBatch {
			return total, nil
		}
	}
}
