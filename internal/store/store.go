// Package store defines the persistence contract of Sallyport: users,
// sessions with their refresh tokens, and signing keys.
//
// A backend (SQLite, PostgreSQL, MongoDB) implements Store and passes the
// behavioural suite in package storetest. The interface speaks only in
// domain values; no SQL or driver type crosses it. Backends translate
// their driver errors into ErrNotFound and ErrConflict, and report an
// unreachable database wrapped in ErrUnavailable.
//
// All methods are safe for concurrent use. Times are stored with at least
// millisecond precision and returned in UTC.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors returned by every backend. Callers match them with
// errors.Is; backends may join them with the driver's cause.
var (
	// ErrNotFound means the record asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a uniqueness rule was violated, such as a second
	// user with the same normalized email.
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable means the database could not be reached.
	ErrUnavailable = errors.New("store: unavailable")
)

// User is an account. Email is already normalized by the caller; the
// store compares it byte for byte.
type User struct {
	ID           string
	Email        string
	PasswordHash string
	Role         string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UserUpdate lists the fields of a user to change; nil fields are left as
// they are.
type UserUpdate struct {
	PasswordHash *string
	Role         *string
	Disabled     *bool
	UpdatedAt    time.Time
}

// Session is one login of one user on one client. It ends when revoked,
// when LastUsedAt is older than the idle timeout, or at ExpiresAt.
type Session struct {
	ID         string
	UserID     string
	UserAgent  string
	IP         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	// ExpiresAt is the absolute end of the session.
	ExpiresAt time.Time
	// RevokedAt is zero while the session has not been revoked.
	RevokedAt    time.Time
	RevokeReason string
}

// Revoked reports whether the session has been revoked.
func (s Session) Revoked() bool { return !s.RevokedAt.IsZero() }

// RefreshToken is the stored form of an opaque refresh token: only its
// hash is kept. A token is live until it is rotated; after rotation,
// ChildNonce lets a caller that still holds the plaintext derive the same
// child token again during the grace window.
type RefreshToken struct {
	// Hash identifies the token; it is a hash of the plaintext.
	Hash      string
	SessionID string
	CreatedAt time.Time
	// RotatedAt is zero while the token is live.
	RotatedAt  time.Time
	ChildNonce []byte
}

// Rotation asks the store to replace a live refresh token with its child.
type Rotation struct {
	ParentHash string
	// Nonce is recorded on the parent; with the parent's plaintext it
	// determines the child.
	Nonce []byte
	// Child is the new token to insert, for the same session.
	Child RefreshToken
	At    time.Time
}

// RotateResult says what RotateRefreshToken did.
type RotateResult struct {
	// Rotated is true when this call marked the parent rotated and
	// inserted the child. It is false when the parent had already been
	// rotated, by this or another process.
	Rotated bool
	// Parent is the parent token as stored after the call; when Rotated is
	// false its RotatedAt and ChildNonce are those of the earlier rotation.
	Parent RefreshToken
}

// Revocation records that a session was revoked.
type Revocation struct {
	SessionID string
	UserID    string
	RevokedAt time.Time
}

// SigningKey is a token signing key as stored: the private part sealed by
// the caller with the server's master key.
type SigningKey struct {
	ID        string
	Algorithm string
	// Sealed is the encrypted private key; the store never sees it clear.
	Sealed    []byte
	CreatedAt time.Time
	// RetiredAt is zero for the active signer. A retired key still
	// verifies tokens until they have all expired.
	RetiredAt time.Time
}

// Cleanup says which dead records DeleteExpired may remove.
type Cleanup struct {
	// Now removes sessions whose ExpiresAt has passed.
	Now time.Time
	// IdleBefore removes sessions last used before it.
	IdleBefore time.Time
	// RevokedBefore removes sessions revoked before it.
	RevokedBefore time.Time
	// SpentBefore removes refresh tokens rotated before it.
	SpentBefore time.Time
	// KeysRetiredBefore removes signing keys retired before it.
	KeysRetiredBefore time.Time
}

// Users stores accounts.
type Users interface {
	// CreateUser inserts u. It returns ErrConflict when u.Email or u.ID
	// is taken.
	CreateUser(ctx context.Context, u User) error
	// UserByID returns the user with that id, or ErrNotFound.
	UserByID(ctx context.Context, id string) (User, error)
	// UserByEmail returns the user with that normalized email, or
	// ErrNotFound.
	UserByEmail(ctx context.Context, email string) (User, error)
	// ListUsers returns every user, oldest first.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser applies upd to the user, or returns ErrNotFound.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) error
}

// Sessions stores sessions and their refresh tokens.
type Sessions interface {
	// CreateSession inserts s with its first refresh token.
	CreateSession(ctx context.Context, s Session, first RefreshToken) error
	// SessionByID returns the session, revoked or not, or ErrNotFound.
	SessionByID(ctx context.Context, id string) (Session, error)
	// ListSessions returns the user's sessions that are not revoked,
	// newest first. Expired ones are included; the caller filters them.
	ListSessions(ctx context.Context, userID string) ([]Session, error)
	// RefreshToken returns the token with that hash and its session, or
	// ErrNotFound.
	RefreshToken(ctx context.Context, hash string) (RefreshToken, Session, error)
	// RotateRefreshToken atomically marks the parent rotated, records the
	// nonce, inserts the child and sets the session's LastUsedAt, but only
	// if the parent is still live. Exactly one of any number of concurrent
	// calls for one parent gets Rotated true. ErrNotFound when the parent
	// does not exist.
	RotateRefreshToken(ctx context.Context, r Rotation) (RotateResult, error)
	// RevokeSession marks the session revoked. It reports false, without
	// error, when it was already revoked; ErrNotFound when it does not
	// exist.
	RevokeSession(ctx context.Context, id, reason string, at time.Time) (bool, error)
	// RevokeUserSessions revokes every live session of the user except
	// the one with id except (which may be empty) and returns the ids it
	// revoked.
	RevokeUserSessions(ctx context.Context, userID, except, reason string,
		at time.Time) ([]string, error)
	// RevokedSince returns the sessions revoked at or after since, oldest
	// first.
	RevokedSince(ctx context.Context, since time.Time) ([]Revocation, error)
	// DeleteExpired removes the dead records that c describes, with their
	// refresh tokens, and returns how many records it removed.
	DeleteExpired(ctx context.Context, c Cleanup) (int64, error)
}

// Keys stores token signing keys.
type Keys interface {
	// AddSigningKey inserts k as the active signer and, in the same
	// transaction, retires every other active key at k.CreatedAt.
	AddSigningKey(ctx context.Context, k SigningKey) error
	// ListKeys returns every stored key, oldest first.
	ListKeys(ctx context.Context) ([]SigningKey, error)
}

// ServiceAccount is a machine client, such as an API that polls the
// revocation feed. Only a hash of its credential is stored.
type ServiceAccount struct {
	ID   string
	Name string
	// SecretHash identifies the credential; it is a hash of it.
	SecretHash string
	CreatedAt  time.Time
}

// Services stores service accounts.
type Services interface {
	// CreateService inserts a; ErrConflict when its id, name or secret
	// hash is taken.
	CreateService(ctx context.Context, a ServiceAccount) error
	// ServiceBySecretHash returns the account with that credential hash,
	// or ErrNotFound.
	ServiceBySecretHash(ctx context.Context, hash string) (ServiceAccount, error)
	// ListServices returns every account, oldest first.
	ListServices(ctx context.Context) ([]ServiceAccount, error)
	// DeleteService removes the account with that name, or returns
	// ErrNotFound.
	DeleteService(ctx context.Context, name string) error
}

// AuditEvent is one entry of the audit log. It never holds a password or
// a token.
type AuditEvent struct {
	// ID orders events: the caller makes it sortable by time (fixed-width
	// time prefix, random suffix), and the store orders by it.
	ID        string
	Time      time.Time
	Type      string
	UserID    string
	SessionID string
	Reason    string
	IP        string
	UserAgent string
}

// AuditFilter selects audit events; zero fields select everything.
type AuditFilter struct {
	// UserID keeps only that user's events.
	UserID string
	// Since keeps events at or after it; Until keeps events before it.
	Since, Until time.Time
	// BeforeID keeps events whose ID sorts before it, for paging.
	BeforeID string
	// Limit caps the number of events; 0 means 100.
	Limit int
}

// Audit stores the audit log.
type Audit interface {
	// AppendAudit stores e; ErrConflict when its ID is taken.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns the events f selects, newest (highest ID) first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	// DeleteAuditBefore removes events older than t and reports how many.
	DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error)
}

// Store is the whole persistence contract that a backend implements.
type Store interface {
	Users
	Sessions
	Keys
	Services
	Audit
	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}
