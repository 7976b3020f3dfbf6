-- Users, sessions with their refresh tokens, and signing keys.
-- Times are integer Unix milliseconds; NULL means "not yet" (revoked,
-- rotated, retired).

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE sessions (
	id            TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	user_agent    TEXT NOT NULL,
	ip            TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	revoked_at    INTEGER,
	revoke_reason TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_used ON sessions (last_used_at);

CREATE TABLE refresh_tokens (
	hash        TEXT PRIMARY KEY,
	session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	created_at  INTEGER NOT NULL,
	rotated_at  INTEGER,
	child_nonce BLOB
) STRICT, WITHOUT ROWID;

CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_rotated ON refresh_tokens (rotated_at)
	WHERE rotated_at IS NOT NULL;

CREATE TABLE signing_keys (
	id         TEXT PRIMARY KEY,
	algorithm  TEXT NOT NULL,
	sealed     BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	retired_at INTEGER
) STRICT;

CREATE INDEX signing_keys_created ON signing_keys (created_at, id);
CREATE INDEX signing_keys_retired ON signing_keys (retired_at) WHERE retired_at IS NOT NULL;
