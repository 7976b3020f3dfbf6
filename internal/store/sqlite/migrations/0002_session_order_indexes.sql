-- Add id to the session indexes so that listing a user's sessions and
-- the revocation feed come out in order without a sort.

DROP INDEX sessions_user;
CREATE INDEX sessions_user ON sessions (user_id, created_at, id);

DROP INDEX sessions_revoked;
CREATE INDEX sessions_revoked ON sessions (revoked_at, id) WHERE revoked_at IS NOT NULL;
