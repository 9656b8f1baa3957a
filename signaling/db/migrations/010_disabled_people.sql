-- People an operator disabled (left the service, a lost device): they can neither sign in nor
-- join, and their sign-ins in progress were ended (signaling/http/orgRoutes.ts). A later CSV
-- import keeps them disabled; only an operator enables them again.
ALTER TABLE teachers ADD COLUMN disabled_at timestamptz;
ALTER TABLE staff ADD COLUMN disabled_at timestamptz;
