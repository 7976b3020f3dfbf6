package mongo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sallyport/sallyport/internal/store"
)

// sessionDoc is a session as stored. RevokeOp marks the sessions that one
// RevokeUserSessions call revoked, so that it can tell which they were.
type sessionDoc struct {
	ID           string     `bson:"_id"`
	UserID       string     `bson:"user_id"`
	UserAgent    string     `bson:"user_agent"`
	IP           string     `bson:"ip"`
	CreatedAt    time.Time  `bson:"created_at"`
	LastUsedAt   time.Time  `bson:"last_used_at"`
	ExpiresAt    time.Time  `bson:"expires_at"`
	RevokedAt    *time.Time `bson:"revoked_at,omitempty"`
	RevokeReason string     `bson:"revoke_reason"`
	RevokeOp     string     `bson:"revoke_op,omitempty"`
}

func (d sessionDoc) session() store.Session {
	return store.Session{
		ID: d.ID, UserID: d.UserID, UserAgent: d.UserAgent, IP: d.IP,
		CreatedAt: d.CreatedAt.UTC(), LastUsedAt: d.LastUsedAt.UTC(),
		ExpiresAt: d.ExpiresAt.UTC(), RevokedAt: fromOpt(d.RevokedAt),
		RevokeReason: d.RevokeReason,
	}
}

// tokenDoc is a refresh token as stored; its _id is the hash.
type tokenDoc struct {
	Hash       string     `bson:"_id"`
	SessionID  string     `bson:"session_id"`
	CreatedAt  time.Time  `bson:"created_at"`
	RotatedAt  *time.Time `bson:"rotated_at,omitempty"`
	ChildNonce []byte     `bson:"child_nonce,omitempty"`
}

func (d tokenDoc) token() store.RefreshToken {
	return store.RefreshToken{
		Hash: d.Hash, SessionID: d.SessionID, CreatedAt: d.CreatedAt.UTC(),
		RotatedAt: fromOpt(d.RotatedAt), ChildNonce: d.ChildNonce,
	}
}

// live is the filter term that matches a session not revoked or a token
// not rotated: the field is missing or null.
func live(field string) bson.E { return bson.E{Key: field, Value: nil} }

func byID(id string) bson.D { return bson.D{{Key: "_id", Value: id}} }

// CreateSession inserts sess, then its first refresh token. The token is
// bound to sess whatever its SessionID says. If the token cannot be
// inserted, the session is deleted again; should that fail too, the
// session stays without a token, which no one can use and cleanup
// removes.
func (s *Store) CreateSession(ctx context.Context, sess store.Session,
	first store.RefreshToken) error {
	doc := sessionDoc{
		ID: sess.ID, UserID: sess.UserID, UserAgent: sess.UserAgent, IP: sess.IP,
		CreatedAt: date(sess.CreatedAt), LastUsedAt: date(sess.LastUsedAt),
		ExpiresAt: date(sess.ExpiresAt), RevokedAt: optDate(sess.RevokedAt),
		RevokeReason: sess.RevokeReason,
	}
	if _, err := s.coll(sessionsColl).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create session %q: %w", sess.ID, s.classify(err))
	}
	tok := tokenDoc{
		Hash: first.Hash, SessionID: sess.ID, CreatedAt: date(first.CreatedAt),
		RotatedAt: optDate(first.RotatedAt), ChildNonce: first.ChildNonce,
	}
	if _, err := s.coll(tokensColl).InsertOne(ctx, tok); err != nil {
		undo, cancel := undoContext(ctx)
		defer cancel()
		s.coll(sessionsColl).DeleteOne(undo, byID(sess.ID))
		return fmt.Errorf("create session %q: %w", sess.ID, s.classify(err))
	}
	return nil
}

// undoContext is the context for a compensating write: it outlives the
// caller's cancellation, for a few seconds.
func undoContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

// SessionByID returns the session, revoked or not, or store.ErrNotFound.
func (s *Store) SessionByID(ctx context.Context, id string) (store.Session, error) {
	var doc sessionDoc
	err := s.coll(sessionsColl).FindOne(ctx, byID(id)).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return store.Session{}, fmt.Errorf("get session %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("get session %q: %w", id, s.classify(err))
	}
	return doc.session(), nil
}

// ListSessions returns the user's sessions that are not revoked, newest
// first.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]store.Session, error) {
	filter := bson.D{{Key: "user_id", Value: userID}, live("revoked_at")}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}})
	docs, err := findAll[sessionDoc](ctx, s, sessionsColl, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list sessions of %q: %w", userID, err)
	}
	list := make([]store.Session, 0, len(docs))
	for _, d := range docs {
		list = append(list, d.session())
	}
	return list, nil
}

// RefreshToken returns the token with that hash and its session, or
// store.ErrNotFound, also when the session has just been removed. Error
// messages leave the hash out.
func (s *Store) RefreshToken(ctx context.Context, hash string) (store.RefreshToken,
	store.Session, error) {
	var tok tokenDoc
	err := s.coll(tokensColl).FindOne(ctx, byID(hash)).Decode(&tok)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return store.RefreshToken{}, store.Session{},
			fmt.Errorf("get refresh token: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.RefreshToken{}, store.Session{},
			fmt.Errorf("get refresh token: %w", s.classify(err))
	}
	sess, err := s.SessionByID(ctx, tok.SessionID)
	if err != nil {
		return store.RefreshToken{}, store.Session{},
			fmt.Errorf("get refresh token: %w", err)
	}
	return tok.token(), sess, nil
}

// RotateRefreshToken marks the parent rotated with one conditional
// FindOneAndUpdate, whose filter asks for the parent to be live (and in
// Child.SessionID's session when that is set). MongoDB applies it to the
// document atomically, so of any number of concurrent calls, across
// processes, exactly one matches; the others read the parent as the
// winner left it. The winner then inserts the child and touches the
// session.
//
// There is no transaction around the three writes. If the child cannot
// be inserted (a taken hash, or the server went away), the rotation is
// undone with a second conditional update that matches only this call's
// nonce, and the error is returned: the parent is live again and the
// client can retry. A loser that read the parent in that short window has
// handed out a child that was never stored, which fails on its next
// refresh with an invalid token: that client logs in again. Should the
// undo fail too, the parent stays rotated without a stored child and the
// session can no longer be refreshed: its user logs in again. Nothing in
// either case lets a token work that should not. If touching the session
// fails after the child is stored, the error is returned; a retry inside
// the grace window gets the same child.
func (s *Store) RotateRefreshToken(ctx context.Context,
	r store.Rotation) (store.RotateResult, error) {
	filter := bson.D{{Key: "_id", Value: r.ParentHash}, live("rotated_at")}
	if r.Child.SessionID != "" {
		filter = append(filter, bson.E{Key: "session_id", Value: r.Child.SessionID})
	}
	at := date(r.At)
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "rotated_at", Value: at}, {Key: "child_nonce", Value: r.Nonce},
	}}}
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
	var parent tokenDoc
	err := s.coll(tokensColl).FindOneAndUpdate(ctx, filter, update, opts).Decode(&parent)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return s.lostRotation(ctx, r)
	}
	if err != nil {
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: %w", s.classify(err))
	}

	child := tokenDoc{Hash: r.Child.Hash, SessionID: parent.SessionID,
		CreatedAt: date(r.Child.CreatedAt)}
	if _, err := s.coll(tokensColl).InsertOne(ctx, child); err != nil {
		undo, cancel := undoContext(ctx)
		defer cancel()
		mine := bson.D{{Key: "_id", Value: r.ParentHash}, {Key: "child_nonce", Value: r.Nonce}}
		unset := bson.D{{Key: "$unset", Value: bson.D{
			{Key: "rotated_at", Value: ""}, {Key: "child_nonce", Value: ""},
		}}}
		s.coll(tokensColl).UpdateOne(undo, mine, unset)
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: insert child: %w",
			s.classify(err))
	}
	touch := bson.D{{Key: "$set", Value: bson.D{{Key: "last_used_at", Value: at}}}}
	if _, err := s.coll(sessionsColl).UpdateOne(ctx, byID(parent.SessionID), touch); err != nil {
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: touch session: %w",
			s.classify(err))
	}
	return store.RotateResult{Rotated: true, Parent: parent.token()}, nil
}

// lostRotation reads the parent that r could not rotate: rotated before,
// never there, or in another session than r's child names.
func (s *Store) lostRotation(ctx context.Context, r store.Rotation) (store.RotateResult,
	error) {
	var parent tokenDoc
	err := s.coll(tokensColl).FindOne(ctx, byID(r.ParentHash)).Decode(&parent)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: %w", store.ErrNotFound)
	case err != nil:
		return store.RotateResult{}, fmt.Errorf("rotate refresh token: %w", s.classify(err))
	case parent.RotatedAt == nil:
		return store.RotateResult{}, fmt.Errorf(
			"rotate refresh token: child names session %q, parent is in %q",
			r.Child.SessionID, parent.SessionID)
	}
	return store.RotateResult{Parent: parent.token()}, nil
}

// RevokeSession marks the session revoked at at with reason, with one
// update whose filter asks for the session not to be revoked yet. It
// reports false when the session was already revoked, leaving the first
// revocation as it was, and store.ErrNotFound when there is no session.
func (s *Store) RevokeSession(ctx context.Context, id, reason string,
	at time.Time) (bool, error) {
	filter := bson.D{{Key: "_id", Value: id}, live("revoked_at")}
	set := bson.D{{Key: "$set", Value: bson.D{
		{Key: "revoked_at", Value: date(at)}, {Key: "revoke_reason", Value: reason},
	}}}
	res, err := s.coll(sessionsColl).UpdateOne(ctx, filter, set)
	if err != nil {
		return false, fmt.Errorf("revoke session %q: %w", id, s.classify(err))
	}
	if res.MatchedCount > 0 {
		return true, nil
	}
	n, err := s.coll(sessionsColl).CountDocuments(ctx, byID(id))
	if err != nil {
		return false, fmt.Errorf("revoke session %q: %w", id, s.classify(err))
	}
	if n == 0 {
		return false, fmt.Errorf("revoke session %q: %w", id, store.ErrNotFound)
	}
	return false, nil
}

// RevokeUserSessions revokes every session of the user that is not
// revoked yet, except the one with id except, and returns the ids it
// revoked in ascending order. One UpdateMany revokes them and marks them
// with a value of this call's own, which the following find looks for:
// sessions revoked at the same moment by another call carry that call's
// mark, not this one's.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, except, reason string,
	at time.Time) ([]string, error) {
	mark := rand.Text()
	filter := bson.D{
		{Key: "user_id", Value: userID}, live("revoked_at"),
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: except}}},
	}
	set := bson.D{{Key: "$set", Value: bson.D{
		{Key: "revoked_at", Value: date(at)}, {Key: "revoke_reason", Value: reason},
		{Key: "revoke_op", Value: mark},
	}}}
	res, err := s.coll(sessionsColl).UpdateMany(ctx, filter, set)
	if err != nil {
		return nil, fmt.Errorf("revoke sessions of %q: %w", userID, s.classify(err))
	}
	if res.ModifiedCount == 0 {
		return nil, nil
	}
	marked := bson.D{{Key: "user_id", Value: userID}, {Key: "revoke_op", Value: mark}}
	opts := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}})
	docs, err := findAll[struct {
		ID string `bson:"_id"`
	}](ctx, s, sessionsColl, marked, opts)
	if err != nil {
		return nil, fmt.Errorf("revoke sessions of %q: list them: %w", userID, err)
	}
	ids := make([]string, 0, len(docs))
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return ids, nil
}

// RevokedSince returns the sessions revoked at or after since, oldest
// first.
func (s *Store) RevokedSince(ctx context.Context, since time.Time) ([]store.Revocation, error) {
	filter := bson.D{{Key: "revoked_at", Value: bson.D{{Key: "$gte", Value: date(since)}}}}
	opts := options.Find().
		SetSort(bson.D{{Key: "revoked_at", Value: 1}, {Key: "_id", Value: 1}}).
		SetProjection(bson.D{{Key: "user_id", Value: 1}, {Key: "revoked_at", Value: 1}})
	docs, err := findAll[sessionDoc](ctx, s, sessionsColl, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list revocations: %w", err)
	}
	list := make([]store.Revocation, 0, len(docs))
	for _, d := range docs {
		list = append(list, store.Revocation{SessionID: d.ID, UserID: d.UserID,
			RevokedAt: fromOpt(d.RevokedAt)})
	}
	return list, nil
}
