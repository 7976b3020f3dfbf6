package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sallyport/sallyport/internal/store"
)

// auditDoc is an audit event as stored.
type auditDoc struct {
	ID        string    `bson:"_id"`
	At        time.Time `bson:"at"`
	Type      string    `bson:"type"`
	UserID    string    `bson:"user_id"`
	SessionID string    `bson:"session_id"`
	Reason    string    `bson:"reason"`
	IP        string    `bson:"ip"`
	UserAgent string    `bson:"user_agent"`
}

// AppendAudit stores one audit event; a taken id gives store.ErrConflict.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	doc := auditDoc{
		ID: e.ID, At: date(e.Time), Type: e.Type, UserID: e.UserID, SessionID: e.SessionID,
		Reason: e.Reason, IP: e.IP, UserAgent: e.UserAgent,
	}
	if _, err := s.coll(auditColl).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("append audit event %q: %w", e.ID, s.classify(err))
	}
	return nil
}

// ListAudit returns the events f selects, highest id first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent,
	error) {
	filter := bson.D{}
	if f.UserID != "" {
		filter = append(filter, bson.E{Key: "user_id", Value: f.UserID})
	}
	at := bson.D{}
	if !f.Since.IsZero() {
		at = append(at, bson.E{Key: "$gte", Value: date(f.Since)})
	}
	if !f.Until.IsZero() {
		at = append(at, bson.E{Key: "$lt", Value: date(f.Until)})
	}
	if len(at) > 0 {
		filter = append(filter, bson.E{Key: "at", Value: at})
	}
	if f.BeforeID != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: f.BeforeID}}})
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit))
	docs, err := findAll[auditDoc](ctx, s, auditColl, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	list := make([]store.AuditEvent, 0, len(docs))
	for _, d := range docs {
		list = append(list, store.AuditEvent{
			ID: d.ID, Time: d.At.UTC(), Type: d.Type, UserID: d.UserID,
			SessionID: d.SessionID, Reason: d.Reason, IP: d.IP, UserAgent: d.UserAgent,
		})
	}
	return list, nil
}

// DeleteAuditBefore removes events older than t.
func (s *Store) DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error) {
	filter := bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: date(t)}}}}
	res, err := s.coll(auditColl).DeleteMany(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("delete audit events: %w", s.classify(err))
	}
	return res.DeletedCount, nil
}
