package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sallyport/sallyport/internal/store"
)

// cleanupBatch is how many sessions one round of cleanup removes at most.
const cleanupBatch = 500

// DeleteExpired removes what c describes: sessions past ExpiresAt, idle
// or long revoked, with their refresh tokens; tokens rotated before
// SpentBefore; keys retired before KeysRetiredBefore. A zero field
// removes nothing. The count includes the tokens of the sessions
// removed. On error it returns what it removed so far.
//
// Sessions go in batches: first the batch's tokens, then the sessions,
// so that a failure in between leaves sessions without tokens, which the
// next cleanup removes, and never tokens without a session.
func (s *Store) DeleteExpired(ctx context.Context, c store.Cleanup) (int64, error) {
	rules := []struct {
		field  string
		before time.Time
	}{
		{"expires_at", c.Now},
		{"last_used_at", c.IdleBefore},
		{"revoked_at", c.RevokedBefore},
	}
	var total int64
	for _, r := range rules {
		if r.before.IsZero() {
			continue
		}
		n, err := s.deleteSessions(ctx, r.field, date(r.before))
		total += n
		if err != nil {
			return total, fmt.Errorf("delete expired sessions: %w", err)
		}
	}

	others := []struct {
		what, coll, field string
		before            time.Time
	}{
		{"spent refresh tokens", tokensColl, "rotated_at", c.SpentBefore},
		// A missing retired_at, the active key, never compares less.
		{"retired keys", keysColl, "retired_at", c.KeysRetiredBefore},
	}
	for _, o := range others {
		if o.before.IsZero() {
			continue
		}
		filter := bson.D{{Key: o.field, Value: bson.D{{Key: "$lt", Value: date(o.before)}}}}
		res, err := s.coll(o.coll).DeleteMany(ctx, filter)
		if err != nil {
			return total, fmt.Errorf("delete %s: %w", o.what, s.classify(err))
		}
		total += res.DeletedCount
	}
	return total, nil
}

// deleteSessions removes, batch by batch, the sessions whose field is
// before before, and their tokens, and returns how many documents went.
func (s *Store) deleteSessions(ctx context.Context, field string, before time.Time) (int64,
	error) {
	filter := bson.D{{Key: field, Value: bson.D{{Key: "$lt", Value: before}}}}
	opts := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).
		SetLimit(cleanupBatch)
	var total int64
	for {
		docs, err := findAll[struct {
			ID string `bson:"_id"`
		}](ctx, s, sessionsColl, filter, opts)
		if err != nil || len(docs) == 0 {
			return total, err
		}
		ids := make(bson.A, 0, len(docs))
		for _, d := range docs {
			ids = append(ids, d.ID)
		}
		in := bson.D{{Key: "$in", Value: ids}}
		res, err := s.coll(tokensColl).DeleteMany(ctx, bson.D{{Key: "session_id", Value: in}})
		if err != nil {
			return total, s.classify(err)
		}
		total += res.DeletedCount
		res, err = s.coll(sessionsColl).DeleteMany(ctx, bson.D{{Key: "_id", Value: in}})
		if err != nil {
			return total, s.classify(err)
		}
		total += res.DeletedCount
		if len(docs) < cleanupBatch {
			return total, nil
		}
	}
}
