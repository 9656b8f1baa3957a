-- Questions and their votes, polls and their votes, reaction totals: kept per meeting (written in
-- batches by signaling/qa/qaWriter.ts) and part of the meeting's export.
CREATE TABLE qa_questions (
  meeting_id text NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  id text NOT NULL CHECK (id ~ '^q[0-9]{1,9}$'),
  author_id text NOT NULL CHECK (length(author_id) BETWEEN 1 AND 64),
  author_name text NOT NULL CHECK (length(author_name) <= 200),
  province text CHECK (province IS NULL OR length(province) <= 8),
  school text CHECK (school IS NULL OR length(school) <= 64),
  text text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
  asked_at timestamptz NOT NULL,
  answered boolean NOT NULL DEFAULT false,
  hidden boolean NOT NULL DEFAULT false,
  PRIMARY KEY (meeting_id, id)
);

-- One vote per user per question.
CREATE TABLE qa_votes (
  meeting_id text NOT NULL,
  question_id text NOT NULL,
  user_id text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 64),
  voted_at timestamptz NOT NULL,
  PRIMARY KEY (meeting_id, question_id, user_id),
  FOREIGN KEY (meeting_id, question_id) REFERENCES qa_questions (meeting_id, id) ON DELETE CASCADE
);

CREATE TABLE polls (
  meeting_id text NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  id text NOT NULL CHECK (id ~ '^p[0-9]{1,9}$'),
  question text NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
  options jsonb NOT NULL,
  multiple boolean NOT NULL,
  duration_s integer CHECK (duration_s IS NULL OR duration_s > 0),
  state text NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
  created_at timestamptz NOT NULL,
  opened_at timestamptz,
  -- The absolute deadline of a poll with a time limit: past it, the poll is closed.
  closes_at timestamptz,
  closed_at timestamptz,
  results_shown boolean NOT NULL DEFAULT false,
  PRIMARY KEY (meeting_id, id)
);

-- One vote per user per poll; the voter's province at the time, for results by province.
CREATE TABLE poll_votes (
  meeting_id text NOT NULL,
  poll_id text NOT NULL,
  user_id text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 64),
  province text NOT NULL CHECK (length(province) <= 8),
  choices smallint[] NOT NULL,
  voted_at timestamptz NOT NULL,
  PRIMARY KEY (meeting_id, poll_id, user_id),
  FOREIGN KEY (meeting_id, poll_id) REFERENCES polls (meeting_id, id) ON DELETE CASCADE
);

-- Reactions summed per meeting, kind and province ('--': none).
CREATE TABLE reaction_totals (
  meeting_id text NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('agree', 'applause', 'question', 'cant_hear')),
  province text NOT NULL CHECK (length(province) <= 8),
  count bigint NOT NULL CHECK (count >= 0),
  PRIMARY KEY (meeting_id, kind, province)
);
