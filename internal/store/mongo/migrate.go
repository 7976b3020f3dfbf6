package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// step is one versioned change of the database's layout. MongoDB needs
// no table definitions, so the steps are index changes and, later, data
// rewrites. Every step must be safe to run twice, because two instances
// starting at once may both run it.
type step struct {
	name  string
	apply func(ctx context.Context, db *mongo.Database) error
}

// steps lists the schema steps in version order: the first is version 1.
// A step, once released, is never edited; a change is a new step.
var steps = []step{
	{"create indexes", createIndexes},
}

// index is one index of a collection.
type index struct {
	coll   string
	keys   bson.D
	unique bool
}

// indexes are the lookups of the store. Documents are found by _id
// unless an index here serves the query.
var indexes = []index{
	{usersColl, bson.D{{Key: "email", Value: 1}}, true},
	{usersColl, bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}, false},
	{sessionsColl, bson.D{{Key: "user_id", Value: 1}, {Key: "created_at", Value: 1},
		{Key: "_id", Value: 1}}, false},
	{sessionsColl, bson.D{{Key: "revoked_at", Value: 1}, {Key: "_id", Value: 1}}, false},
	{sessionsColl, bson.D{{Key: "expires_at", Value: 1}}, false},
	{sessionsColl, bson.D{{Key: "last_used_at", Value: 1}}, false},
	{tokensColl, bson.D{{Key: "session_id", Value: 1}}, false},
	{tokensColl, bson.D{{Key: "rotated_at", Value: 1}}, false},
	{keysColl, bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}, false},
	{keysColl, bson.D{{Key: "retired_at", Value: 1}}, false},
	{servicesColl, bson.D{{Key: "name", Value: 1}}, true},
	{servicesColl, bson.D{{Key: "secret_hash", Value: 1}}, true},
	{servicesColl, bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}, false},
	{auditColl, bson.D{{Key: "user_id", Value: 1}, {Key: "_id", Value: -1}}, false},
	{auditColl, bson.D{{Key: "at", Value: 1}}, false},
}

// createIndexes creates every index; creating an index that exists with
// the same keys and options does nothing.
func createIndexes(ctx context.Context, db *mongo.Database) error {
	byColl := map[string][]mongo.IndexModel{}
	var order []string
	for _, ix := range indexes {
		if _, ok := byColl[ix.coll]; !ok {
			order = append(order, ix.coll)
		}
		m := mongo.IndexModel{Keys: ix.keys}
		if ix.unique {
			m.Options = options.Index().SetUnique(true)
		}
		byColl[ix.coll] = append(byColl[ix.coll], m)
	}
	for _, coll := range order {
		if _, err := db.Collection(coll).Indexes().CreateMany(ctx, byColl[coll]); err != nil {
			return fmt.Errorf("create indexes of %s: %w", coll, err)
		}
	}
	return nil
}

// migrationDoc records that a step was applied; its _id is the version.
type migrationDoc struct {
	Version   int       `bson:"_id"`
	Name      string    `bson:"name"`
	AppliedAt time.Time `bson:"applied_at"`
}

// Migrate applies the schema steps that the database has not seen yet and
// returns how many it applied. Open calls it, so a later call normally
// finds nothing to do. It fails without changing anything when the
// database was set up by a newer Sallyport.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	if current > len(steps) {
		return 0, fmt.Errorf("database schema version %d is newer than this build's %d",
			current, len(steps))
	}
	for i, st := range steps[current:] {
		version := current + i + 1
		if err := st.apply(ctx, s.db); err != nil {
			return applied, fmt.Errorf("schema step %d (%s): %w", version, st.name,
				s.classify(err))
		}
		rec := migrationDoc{Version: version, Name: st.name, AppliedAt: date(time.Now())}
		_, err := s.coll(migrationsColl).InsertOne(ctx, rec)
		switch {
		case mongo.IsDuplicateKeyError(err):
			// Another instance ran it at the same time.
		case err != nil:
			return applied, fmt.Errorf("record schema step %d: %w", version, s.classify(err))
		default:
			applied++
		}
	}
	return applied, nil
}

// SchemaVersion returns the number of the last schema step applied to the
// database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	opts := options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})
	var last migrationDoc
	err := s.coll(migrationsColl).FindOne(ctx, bson.D{}, opts).Decode(&last)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", s.classify(err))
	}
	return last.Version, nil
}
