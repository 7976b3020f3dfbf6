// Package mongo is the MongoDB backend of store.Store, built on the
// official Go driver v2. It is for teams whose application already lives
// in MongoDB, and it runs on any server that speaks the MongoDB wire
// protocol (the tests use FerretDB).
//
// It uses no multi-document transactions, so it works on a standalone
// server. Each guarantee of the contract that must hold between
// processes rests on one conditional single-document update, which
// MongoDB applies atomically: rotation is a FindOneAndUpdate on the
// parent token whose filter asks for it to be live, and revocation an
// update whose filter asks for the session not to be revoked. Where a
// method writes several documents, each method documents what a failure
// half way leaves behind.
//
// Open applies the schema steps, which create the indexes (a unique one
// on the normalized email among them). Expired records are removed by
// DeleteExpired, which Sallyport calls on a timer, not by TTL indexes:
// the rules for what is dead (idle timeout, grace windows, keys that
// still verify) are Sallyport's, and one cleanup path serves every
// backend.
//
// Times are stored as BSON dates, which hold milliseconds, and returned
// in UTC; a zero time is left out of the document where the field is
// optional. Strings compare byte for byte, as MongoDB compares them when
// no collation is set.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/sallyport/sallyport/internal/store"
)

// DefaultDatabase is the database used when the URL names none.
const DefaultDatabase = "sallyport"

// Defaults for timeouts the URL does not set (serverSelectionTimeoutMS,
// connectTimeoutMS). The driver's own 30 s would hold a request that long
// before it could answer 503 while the server is away.
const (
	selectionTimeout = 3 * time.Second
	connectTimeout   = 3 * time.Second
)

// Collection names.
const (
	usersColl      = "users"
	sessionsColl   = "sessions"
	tokensColl     = "refresh_tokens"
	keysColl       = "signing_keys"
	servicesColl   = "service_accounts"
	auditColl      = "audit_events"
	migrationsColl = "schema_migrations"
)

// Store is a store.Store kept in a MongoDB database. It is safe for
// concurrent use; its zero value is not usable, call Open.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Open connects to the server at rawURL (mongodb:// or mongodb+srv://,
// with the options the driver accepts), uses the database the URL names
// or DefaultDatabase, and applies any pending schema steps. It fails if
// the database was set up by a newer Sallyport.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	// Parse errors leave the URL out of the message: it may hold a
	// password.
	cs, err := connstring.Parse(rawURL)
	if err != nil {
		return nil, errors.New("open mongodb: invalid URL")
	}
	opts := options.Client().ApplyURI(rawURL)
	if !cs.ServerSelectionTimeoutSet {
		opts.SetServerSelectionTimeout(selectionTimeout)
	}
	if !cs.ConnectTimeoutSet {
		opts.SetConnectTimeout(connectTimeout)
	}
	if cs.AppName == "" {
		opts.SetAppName("sallyport")
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("open mongodb: %w", err)
	}
	name := cs.Database
	if name == "" {
		name = DefaultDatabase
	}
	s := &Store{client: client, db: client.Database(name)}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open mongodb: %w", err)
	}
	return s, nil
}

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("ping mongodb: %w", s.classify(err))
	}
	return nil
}

// Close disconnects from the server, waiting a few seconds at most for
// operations in progress. Later calls on s fail with
// store.ErrUnavailable; closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("close mongodb: %w", err)
	}
	return nil
}

func (s *Store) coll(name string) *mongo.Collection { return s.db.Collection(name) }

// Codes of server errors that mean the server cannot serve now: it is
// shutting down, stepping down or cannot reach its peers.
var unavailableCodes = []int{
	6,     // HostUnreachable
	7,     // HostNotFound
	89,    // NetworkTimeout
	91,    // ShutdownInProgress
	189,   // PrimarySteppedDown
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
}

// classify joins err with the store sentinel it stands for, if any:
// ErrConflict for a duplicate key, ErrUnavailable for a closed store, a
// server that cannot be reached or selected in time, or one that is
// shutting down.
func (s *Store) classify(err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() || errors.Is(err, mongo.ErrClientDisconnected) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	if errors.Is(err, context.Canceled) {
		// The caller gave up; the server may be fine.
		return err
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for _, code := range unavailableCodes {
			if se.HasErrorCode(code) {
				return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
			}
		}
	}
	if mongo.IsNetworkError(err) || mongo.IsTimeout(err) ||
		errors.As(err, &topology.ServerSelectionError{}) ||
		errors.As(err, &topology.ConnectionError{}) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// date is t as the database stores it: to the millisecond, in UTC.
func date(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }

// optDate is a pointer to date(t), or nil when t is zero, for an optional
// field that is left out of the document.
func optDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	d := date(t)
	return &d
}

// fromOpt is the UTC time of an optional field, or the zero time.
func fromOpt(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
