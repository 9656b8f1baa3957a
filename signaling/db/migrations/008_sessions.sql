-- Sessions of this server after a sign-in with the ministry's provider (auth/sessions.ts). A
-- family is one sign-in; each refresh hands out a new refresh token of the family and marks the
-- old one used. A used token presented again (stolen, or replayed) revokes the whole family.
CREATE TABLE session_families (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 16 AND 64),
  user_id text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 64),
  -- Who the person is (name, role, province, school) as the organisation records said at sign-in.
  claims jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX session_families_user ON session_families (user_id);
CREATE INDEX session_families_expires ON session_families (expires_at);
-- Refresh tokens, only as SHA-256 hashes (hex): the database never holds one that works.
CREATE TABLE refresh_tokens (
  hash text PRIMARY KEY CHECK (length(hash) = 64),
  family_id text NOT NULL REFERENCES session_families (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
