-- Attendance: one row per interval a teacher spent in a session (main or a province breakout).
-- Only teachers are recorded; a row with left_at null is still open.
CREATE TABLE attendance (
  meeting_id text NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  teacher_id text NOT NULL REFERENCES teachers (id) ON DELETE CASCADE,
  session text NOT NULL CHECK (length(session) BETWEEN 1 AND 16),
  joined_at timestamptz NOT NULL,
  left_at timestamptz,
  PRIMARY KEY (meeting_id, teacher_id, joined_at),
  CHECK (left_at IS NULL OR left_at >= joined_at)
);
CREATE INDEX attendance_joined ON attendance (joined_at);
