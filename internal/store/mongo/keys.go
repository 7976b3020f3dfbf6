package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sallyport/sallyport/internal/store"
)

// keyDoc is a signing key as stored.
type keyDoc struct {
	ID        string     `bson:"_id"`
	Algorithm string     `bson:"algorithm"`
	Sealed    []byte     `bson:"sealed"`
	CreatedAt time.Time  `bson:"created_at"`
	RetiredAt *time.Time `bson:"retired_at,omitempty"`
}

// compared matches the keys that sort before k (op "$lt") or after it
// (op "$gt") by creation time, then id: the order in which the newest key
// wins.
func compared(op string, k keyDoc) bson.E {
	return bson.E{Key: "$or", Value: bson.A{
		bson.D{{Key: "created_at", Value: bson.D{{Key: op, Value: k.CreatedAt}}}},
		bson.D{{Key: "created_at", Value: k.CreatedAt},
			{Key: "_id", Value: bson.D{{Key: op, Value: k.ID}}}},
	}}
}

// AddSigningKey inserts k as the active signer, then retires the other
// active keys at k.CreatedAt. A taken id gives store.ErrConflict and
// changes nothing. Between the two writes both keys are active for a
// moment; the reader (the keyring reload) signs with the newest.
//
// Without a transaction, two instances rotating at once could each retire
// the other's new key. So each call retires only the keys older than its
// own, by creation time and then id, and then retires its own key if a
// newer one is active: whatever the interleaving, the newest key stays
// the one active signer. If the retiring fails, the error is returned and
// the next rotation finishes the job.
func (s *Store) AddSigningKey(ctx context.Context, k store.SigningKey) error {
	doc := keyDoc{ID: k.ID, Algorithm: k.Algorithm, Sealed: k.Sealed,
		CreatedAt: date(k.CreatedAt)}
	keys := s.coll(keysColl)
	if _, err := keys.InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("add signing key %q: %w", k.ID, s.classify(err))
	}

	retire := func(at time.Time) bson.D {
		return bson.D{{Key: "$set", Value: bson.D{{Key: "retired_at", Value: at}}}}
	}
	older := bson.D{live("retired_at"), compared("$lt", doc)}
	if _, err := keys.UpdateMany(ctx, older, retire(doc.CreatedAt)); err != nil {
		return fmt.Errorf("add signing key %q: retire the others: %w", k.ID, s.classify(err))
	}

	newers := bson.D{live("retired_at"), compared("$gt", doc)}
	newest := bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}
	var newer keyDoc
	err := keys.FindOne(ctx, newers, options.FindOne().SetSort(newest)).Decode(&newer)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add signing key %q: look for newer keys: %w", k.ID, s.classify(err))
	}
	self := bson.D{{Key: "_id", Value: k.ID}, live("retired_at")}
	if _, err := keys.UpdateOne(ctx, self, retire(newer.CreatedAt)); err != nil {
		return fmt.Errorf("add signing key %q: retire it: %w", k.ID, s.classify(err))
	}
	return nil
}

// ListKeys returns every stored key, oldest first, ties broken by id.
func (s *Store) ListKeys(ctx context.Context) ([]store.SigningKey, error) {
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}})
	docs, err := findAll[keyDoc](ctx, s, keysColl, bson.D{}, opts)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	keys := make([]store.SigningKey, 0, len(docs))
	for _, d := range docs {
		keys = append(keys, store.SigningKey{
			ID: d.ID, Algorithm: d.Algorithm, Sealed: d.Sealed,
			CreatedAt: d.CreatedAt.UTC(), RetiredAt: fromOpt(d.RetiredAt),
		})
	}
	return keys, nil
}
