-- Sign-ins ended before their tokens expire (sign-out, an operator's revoke): every token of the
-- user issued before `revoked_before` is refused, on every node and after a restart.
CREATE TABLE revocations (
  user_id text PRIMARY KEY CHECK (length(user_id) BETWEEN 1 AND 64),
  revoked_before timestamptz NOT NULL
);
CREATE INDEX revocations_recent ON revocations (revoked_before);
