-- Scheduled meetings, their audience (the country, some provinces or some schools), co-hosts.
CREATE TABLE meetings (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{1,64}$'),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  agenda text NOT NULL DEFAULT '' CHECK (length(agenda) <= 5000),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  audience_kind text NOT NULL CHECK (audience_kind IN ('country', 'provinces', 'schools')),
  -- The province that owns it (a province host's meeting), or null for a national meeting.
  owner_province text REFERENCES provinces (code),
  created_by text NOT NULL,
  state text NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'open', 'live', 'ended')),
  opened_at timestamptz,
  ended_at timestamptz,
  -- The province breakout plan: which provinces break out, for how long.
  breakout_plan jsonb NOT NULL DEFAULT '{"provinces": [], "durationMin": 0}',
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX meetings_starts ON meetings (starts_at);

CREATE TABLE meeting_provinces (
  meeting_id text NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  province_code text NOT NULL REFERENCES provinces (code),
  PRIMARY KEY (meeting_id, province_code)
);
CREATE INDEX meeting_provinces_province ON meeting_provinces (province_code);

CREATE TABLE meeting_schools (
  meeting_id text NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  school_code text NOT NULL REFERENCES schools (code) ON DELETE CASCADE,
  PRIMARY KEY (meeting_id, school_code)
);
CREATE INDEX meeting_schools_school ON meeting_schools (school_code);

CREATE TABLE meeting_cohosts (
  meeting_id text NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  PRIMARY KEY (meeting_id, user_id)
);
