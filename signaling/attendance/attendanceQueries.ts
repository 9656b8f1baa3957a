/**
 * The attendance dashboard and export, always within a scope (everything, or one province):
 * expected comes from the meeting's audience in the organisation tables, present/attended/late/
 * minutes from the attendance intervals. Drill-down: provinces → schools of one province →
 * teachers of one school.
 */
import type { Db } from '../db/Db';
import type { AttendanceGroupRow, AttendanceScope, AttendanceTeacherRow } from '../protocol/attendance';

export type Scope = AttendanceScope;

export interface Filter {
  province?: string | undefined;
  school?: string | undefined;
}

export type GroupRow = AttendanceGroupRow;
export type TeacherRow = AttendanceTeacherRow<Date>;

/** A joiner is late when their first join comes this long after the scheduled start. Default 5 min. */
export const LATE_AFTER_MS = 5 * 60_000;

/**
 * The audience's schools within the scope and filter ($1 meeting, $2 scope province, $3 filter
 * province, $4 filter school), and each teacher's attendance summary for the meeting.
 */
const BASE = `
  WITH m AS (SELECT id, audience_kind, starts_at FROM meetings WHERE id = $1),
  aud AS (
    SELECT s.code, s.name, s.province_code, s.teacher_count FROM schools s, m
    WHERE (m.audience_kind = 'country'
        OR (m.audience_kind = 'provinces' AND s.province_code IN (SELECT province_code FROM meeting_provinces WHERE meeting_id = $1))
        OR (m.audience_kind = 'schools' AND s.code IN (SELECT school_code FROM meeting_schools WHERE meeting_id = $1)))
      AND ($2::text IS NULL OR s.province_code = $2)
      AND ($3::text IS NULL OR s.province_code = $3)
      AND ($4::text IS NULL OR s.code = $4)
  ),
  att AS (
    SELECT a.teacher_id, min(a.joined_at) AS first_join, max(a.left_at) AS last_leave, count(*)::int AS intervals,
           bool_or(a.left_at IS NULL) AS present,
           sum(extract(epoch FROM (coalesce(a.left_at, now()) - a.joined_at))) / 60.0 AS minutes
    FROM attendance a WHERE a.meeting_id = $1 GROUP BY a.teacher_id
  )`;

function params(meetingId: string, scope: Scope, filter: Filter): (string | null)[] {
  return [meetingId, 'province' in scope ? scope.province : null, filter.province ?? null, filter.school ?? null];
}

/** A group row as the database answers it: minutes are a numeric sum (a string, or null). */
type RawGroup = Omit<AttendanceGroupRow, 'minutes'> & { minutes: number | string | null };

const num = (v: number | string | null): number => (v === null ? 0 : Math.round(Number(v) * 10) / 10);

/**
 * Rows per province (no filter), per school (a province filter) — within the scope. Expected comes
 * from the schools' teacher counts (one row per school); the rest from the attendance rows only,
 * so the cost grows with who came, not with the size of the audience.
 */
export async function groupRows(db: Db, meetingId: string, scope: Scope, filter: Filter): Promise<GroupRow[]> {
  const byProvince = !filter.province && !filter.school;
  const key = byProvince ? 'aud.province_code' : 'aud.code';
  const rows = await db.query<RawGroup>(
    `${BASE},
     expected AS (
       SELECT ${key} AS code, ${byProvince ? 'p.name' : 'aud.name'} AS name, sum(aud.teacher_count)::int AS expected
       FROM aud ${byProvince ? 'JOIN provinces p ON p.code = aud.province_code' : ''}
       GROUP BY 1, 2
     ),
     came AS (
       SELECT ${key} AS code, count(*)::int AS attended,
              (count(*) FILTER (WHERE att.present))::int AS present,
              (count(*) FILTER (WHERE att.first_join > (SELECT starts_at FROM m) + ($5::int * interval '1 millisecond')))::int AS late,
              sum(att.minutes) AS minutes
       FROM att JOIN teachers t ON t.id = att.teacher_id JOIN aud ON aud.code = t.school_code
       GROUP BY 1
     )
     SELECT e.code, e.name, e.expected, coalesce(c.attended, 0) AS attended, coalesce(c.present, 0) AS present,
            coalesce(c.late, 0) AS late, c.minutes
     FROM expected e LEFT JOIN came c ON c.code = e.code
     ORDER BY 1`,
    [...params(meetingId, scope, filter), LATE_AFTER_MS],
  );
  return rows.map((r) => ({ ...r, minutes: num(r.minutes) }));
}

/** A teacher row as the database answers it: times as dates, and sums or flags that may be null. */
type RawTeacher = Omit<AttendanceTeacherRow<Date>, 'present' | 'intervals' | 'minutes' | 'late'> & {
  present: boolean | null;
  intervals: number | null;
  minutes: number | string | null;
  late: boolean | null;
};

/**
 * Teachers of the audience within scope and filter, one row each, ordered by province, school,
 * name. `afterId` pages through large sets (keyset on the ordering).
 */
export async function teacherRows(db: Db, meetingId: string, scope: Scope, filter: Filter, limit = 10_000, offset = 0): Promise<TeacherRow[]> {
  const rows = await db.query<RawTeacher>(
    `${BASE}
     SELECT aud.province_code AS province, p.name AS "provinceName", aud.code AS school, aud.name AS "schoolName",
            t.id, t.name, t.subject, att.present, att.first_join AS "firstJoin", att.last_leave AS "lastLeave",
            att.intervals, att.minutes,
            att.first_join > (SELECT starts_at FROM m) + ($5::int * interval '1 millisecond') AS late
     FROM aud JOIN teachers t ON t.school_code = aud.code
     JOIN provinces p ON p.code = aud.province_code
     LEFT JOIN att ON att.teacher_id = t.id
     ORDER BY aud.province_code, aud.code, t.id
     LIMIT $6 OFFSET $7`,
    [...params(meetingId, scope, filter), LATE_AFTER_MS, limit, offset],
  );
  return rows.map((r) => ({
    ...r,
    present: r.present === true,
    intervals: r.intervals ?? 0,
    minutes: num(r.minutes),
    late: r.late === true,
  }));
}

/** Every teacher row within scope and filter, a page at a time (for exports). */
export async function* allTeacherRows(db: Db, meetingId: string, scope: Scope, filter: Filter, pageSize = 100_000): AsyncGenerator<TeacherRow[]> {
  for (let offset = 0; ; offset += pageSize) {
    const page = await teacherRows(db, meetingId, scope, filter, pageSize, offset);
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
  }
}

/** Deletes attendance of meetings that ended before `cutoff` (the retention setting). */
export async function deleteAttendanceBefore(db: Db, cutoff: Date): Promise<number> {
  const rows = await db.query(
    `DELETE FROM attendance a USING meetings m
     WHERE m.id = a.meeting_id AND coalesce(m.ended_at, m.ends_at) < $1 RETURNING 1`,
    [cutoff.toISOString()],
  );
  return rows.length;
}
