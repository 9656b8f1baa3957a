-- The ministry's and the provinces' staff who may host: the co-host picker searches them. Filled
-- by the demo start, and by each host or province host the meetings API sees (from their token).
CREATE TABLE staff (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  role text NOT NULL CHECK (role IN ('host', 'province_host')),
  province_code text REFERENCES provinces (code),
  -- The name and id folded (lower case, no diacritics) for searching.
  search text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_name ON staff (name);
