-- Each school's number of teachers, kept by the organisation writes, so that "expected" on the
-- dashboard costs one row per school rather than one per teacher.
ALTER TABLE schools ADD COLUMN teacher_count integer NOT NULL DEFAULT 0;
UPDATE schools s SET teacher_count = (SELECT count(*) FROM teachers t WHERE t.school_code = s.code);
