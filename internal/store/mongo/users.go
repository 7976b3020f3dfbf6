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

// userDoc is a user as stored.
type userDoc struct {
	ID           string    `bson:"_id"`
	Email        string    `bson:"email"`
	PasswordHash string    `bson:"password_hash"`
	Role         string    `bson:"role"`
	Disabled     bool      `bson:"disabled"`
	CreatedAt    time.Time `bson:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at"`
}

func (d userDoc) user() store.User {
	return store.User{
		ID: d.ID, Email: d.Email, PasswordHash: d.PasswordHash, Role: d.Role,
		Disabled: d.Disabled, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}

// CreateUser inserts u, or returns store.ErrConflict when its id or email
// is taken: the email has a unique index.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	doc := userDoc{
		ID: u.ID, Email: u.Email, PasswordHash: u.PasswordHash, Role: u.Role,
		Disabled: u.Disabled, CreatedAt: date(u.CreatedAt), UpdatedAt: date(u.UpdatedAt),
	}
	if _, err := s.coll(usersColl).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, s.classify(err))
	}
	return nil
}

// UserByID returns the user with that id, or store.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	u, err := s.findUser(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return store.User{}, fmt.Errorf("get user %q: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user with exactly that email, or
// store.ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := s.findUser(ctx, bson.D{{Key: "email", Value: email}})
	if err != nil {
		return store.User{}, fmt.Errorf("get user by email %q: %w", email, err)
	}
	return u, nil
}

func (s *Store) findUser(ctx context.Context, filter bson.D) (store.User, error) {
	var doc userDoc
	err := s.coll(usersColl).FindOne(ctx, filter).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, s.classify(err)
	}
	return doc.user(), nil
}

// ListUsers returns every user, oldest first, ties broken by id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}})
	docs, err := findAll[userDoc](ctx, s, usersColl, bson.D{}, opts)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users := make([]store.User, 0, len(docs))
	for _, d := range docs {
		users = append(users, d.user())
	}
	return users, nil
}

// UpdateUser sets the fields of upd that are not nil, and UpdatedAt unless
// it is zero, or returns store.ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, id string, upd store.UserUpdate) error {
	set := bson.D{}
	if upd.PasswordHash != nil {
		set = append(set, bson.E{Key: "password_hash", Value: *upd.PasswordHash})
	}
	if upd.Role != nil {
		set = append(set, bson.E{Key: "role", Value: *upd.Role})
	}
	if upd.Disabled != nil {
		set = append(set, bson.E{Key: "disabled", Value: *upd.Disabled})
	}
	if !upd.UpdatedAt.IsZero() {
		set = append(set, bson.E{Key: "updated_at", Value: date(upd.UpdatedAt)})
	}
	filter := bson.D{{Key: "_id", Value: id}}
	var matched int64
	var err error
	if len(set) == 0 {
		// MongoDB refuses an empty $set; there is only existence to check.
		matched, err = s.coll(usersColl).CountDocuments(ctx, filter)
	} else {
		var res *mongo.UpdateResult
		res, err = s.coll(usersColl).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: set}})
		if err == nil {
			matched = res.MatchedCount
		}
	}
	if err != nil {
		return fmt.Errorf("update user %q: %w", id, s.classify(err))
	}
	if matched == 0 {
		return fmt.Errorf("update user %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// findAll runs a find on coll and decodes every document. Its errors are
// classified.
func findAll[T any](ctx context.Context, s *Store, coll string, filter bson.D,
	opts *options.FindOptionsBuilder) ([]T, error) {
	cur, err := s.coll(coll).Find(ctx, filter, opts)
	if err != nil {
		return nil, s.classify(err)
	}
	var docs []T
	if err := cur.All(ctx, &docs); err != nil {
		return nil, s.classify(err)
	}
	return docs, nil
}
