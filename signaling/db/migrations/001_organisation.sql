-- The organisation: the 34 provinces, their schools, and the teachers of each school.
CREATE TABLE provinces (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
  name text NOT NULL
);

CREATE TABLE schools (
  code text PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 32),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  province_code text NOT NULL REFERENCES provinces (code)
);
CREATE INDEX schools_province ON schools (province_code);

CREATE TABLE teachers (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  school_code text NOT NULL REFERENCES schools (code) ON DELETE CASCADE,
  subject text NOT NULL DEFAULT '' CHECK (length(subject) <= 64)
);
CREATE INDEX teachers_school ON teachers (school_code);
