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

// serviceDoc is a service account as stored.
type serviceDoc struct {
	ID         string    `bson:"_id"`
	Name       string    `bson:"name"`
	SecretHash string    `bson:"secret_hash"`
	CreatedAt  time.Time `bson:"created_at"`
}

func (d serviceDoc) account() store.ServiceAccount {
	return store.ServiceAccount{ID: d.ID, Name: d.Name, SecretHash: d.SecretHash,
		CreatedAt: d.CreatedAt.UTC()}
}

// CreateService inserts a service account; a taken id, name or secret
// hash gives store.ErrConflict.
func (s *Store) CreateService(ctx context.Context, a store.ServiceAccount) error {
	doc := serviceDoc{ID: a.ID, Name: a.Name, SecretHash: a.SecretHash,
		CreatedAt: date(a.CreatedAt)}
	if _, err := s.coll(servicesColl).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create service %q: %w", a.Name, s.classify(err))
	}
	return nil
}

// ServiceBySecretHash returns the account with that credential hash, or
// store.ErrNotFound.
func (s *Store) ServiceBySecretHash(ctx context.Context, hash string) (store.ServiceAccount,
	error) {
	var doc serviceDoc
	err := s.coll(servicesColl).FindOne(ctx, bson.D{{Key: "secret_hash", Value: hash}}).
		Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return store.ServiceAccount{}, fmt.Errorf("get service by secret: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.ServiceAccount{}, fmt.Errorf("get service by secret: %w", s.classify(err))
	}
	return doc.account(), nil
}

// ListServices returns every service account, oldest first, ties broken
// by id.
func (s *Store) ListServices(ctx context.Context) ([]store.ServiceAccount, error) {
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}})
	docs, err := findAll[serviceDoc](ctx, s, servicesColl, bson.D{}, opts)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	list := make([]store.ServiceAccount, 0, len(docs))
	for _, d := range docs {
		list = append(list, d.account())
	}
	return list, nil
}

// DeleteService removes the account with that name, or returns
// store.ErrNotFound.
func (s *Store) DeleteService(ctx context.Context, name string) error {
	res, err := s.coll(servicesColl).DeleteOne(ctx, bson.D{{Key: "name", Value: name}})
	if err != nil {
		return fmt.Errorf("delete service %q: %w", name, s.classify(err))
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("delete service %q: %w", name, store.ErrNotFound)
	}
	return nil
}
