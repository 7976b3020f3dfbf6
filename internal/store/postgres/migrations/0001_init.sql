-- Users, sessions with their refresh tokens, signing keys, service
-- accounts and the audit log.
--
-- Times are timestamptz, written truncated to the millisecond; NULL means
-- "not yet" (revoked, rotated, retired). Text keys use the "C" collation
-- so that they compare and sort byte for byte, as in the other backends,
-- whatever the database's locale.

CREATE TABLE users (
	id            text COLLATE "C" PRIMARY KEY,
	email         text COLLATE "C" NOT NULL UNIQUE,
	password_hash text NOT NULL,
	role          text NOT NULL,
	disabled      boolean NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL
);

CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE sessions (
	id            text COLLATE "C" PRIMARY KEY,
	user_id       text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	user_agent    text NOT NULL,
	ip            text NOT NULL,
	created_at    timestamptz NOT NULL,
	last_used_at  timestamptz NOT NULL,
	expires_at    timestamptz NOT NULL,
	revoked_at    timestamptz,
	revoke_reason text NOT NULL DEFAULT ''
);

CREATE INDEX sessions_user ON sessions (user_id, created_at, id);
CREATE INDEX sessions_revoked ON sessions (revoked_at, id) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_used ON sessions (last_used_at);

CREATE TABLE refresh_tokens (
	hash        text COLLATE "C" PRIMARY KEY,
	session_id  text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	created_at  timestamptz NOT NULL,
	rotated_at  timestamptz,
	child_nonce bytea
);

CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_rotated ON refresh_tokens (rotated_at)
	WHERE rotated_at IS NOT NULL;

CREATE TABLE signing_keys (
	id         text COLLATE "C" PRIMARY KEY,
	algorithm  text NOT NULL,
	sealed     bytea NOT NULL,
	created_at timestamptz NOT NULL,
	retired_at timestamptz
);

CREATE INDEX signing_keys_created ON signing_keys (created_at, id);
-- At most one active signer, whatever several instances do at once.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true))
	WHERE retired_at IS NULL;

CREATE TABLE service_accounts (
	id          text COLLATE "C" PRIMARY KEY,
	name        text COLLATE "C" NOT NULL UNIQUE,
	secret_hash text COLLATE "C" NOT NULL UNIQUE,
	created_at  timestamptz NOT NULL
);

CREATE INDEX service_accounts_created ON service_accounts (created_at, id);

CREATE TABLE audit_events (
	id         text COLLATE "C" PRIMARY KEY,
	at         timestamptz NOT NULL,
	type       text NOT NULL,
	user_id    text COLLATE "C" NOT NULL DEFAULT '',
	session_id text NOT NULL DEFAULT '',
	reason     text NOT NULL DEFAULT '',
	ip         text NOT NULL DEFAULT '',
	user_agent text NOT NULL DEFAULT ''
);

CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_at ON audit_events (at);
