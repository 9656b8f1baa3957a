/**
 * The organisation in the database: provinces, schools and teachers. Bulk writes go through
 * `unnest` over array parameters: one statement per batch, the same SQL on PGlite and PostgreSQL.
 */
import type { Db, Queryable } from '../db/Db';
import { PROVINCES } from '../data/provinces';

export interface School {
  code: string;
  name: string;
  province: string;
}

export interface Teacher {
  id: string;
  name: string;
  school: string;
  subject: string;
}

/** A teacher with the school and province they belong to (for authorisation and attendance). */
export interface TeacherPlace {
  id: string;
  name: string;
  school: string;
  schoolName: string;
  province: string;
}

/** Rows per bulk statement: large enough to amortise the round trip, small enough for PGlite's memory. */
export const BULK_ROWS = 5_000;

/** Inserts the 34 provinces (idempotent; names are kept up to date). */
export async function seedProvinces(db: Queryable): Promise<void> {
  await db.query(
    `INSERT INTO provinces (code, name) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (code) DO UPDATE SET name = excluded.name`,
    [PROVINCES.map((p) => p.code), PROVINCES.map((p) => p.name)],
  );
}

export async function upsertSchools(db: Queryable, schools: readonly School[]): Promise<void> {
  for (let i = 0; i < schools.length; i += BULK_ROWS) {
    const part = schools.slice(i, i + BULK_ROWS);
    await db.query(
      `INSERT INTO schools (code, name, province_code)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (code) DO UPDATE SET name = excluded.name, province_code = excluded.province_code`,
      [part.map((s) => s.code), part.map((s) => s.name), part.map((s) => s.province)],
    );
  }
}

export async function upsertTeachers(db: Queryable, teachers: readonly Teacher[]): Promise<void> {
  for (let i = 0; i < teachers.length; i += BULK_ROWS) {
    const part = teachers.slice(i, i + BULK_ROWS);
    // Schools whose count changes: the new ones, and the old ones of teachers who move.
    const moved = await db.query<{ code: string }>('SELECT DISTINCT school_code AS code FROM teachers WHERE id = ANY($1::text[])', [part.map((t) => t.id)]);
    const touched = [...new Set([...part.map((t) => t.school), ...moved.map((r) => r.code)])];
    await db.query(
      `INSERT INTO teachers (id, name, school_code, subject)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, school_code = excluded.school_code, subject = excluded.subject`,
      [part.map((t) => t.id), part.map((t) => t.name), part.map((t) => t.school), part.map((t) => t.subject)],
    );
    await recountSchools(db, touched);
  }
}

/** Recomputes the teacher count of some schools. */
export async function recountSchools(db: Queryable, codes: readonly string[]): Promise<void> {
  await db.query(
    `UPDATE schools s SET teacher_count = c.n
     FROM (SELECT u.code, (SELECT count(*) FROM teachers t WHERE t.school_code = u.code)::int AS n FROM unnest($1::text[]) AS u(code)) c
     WHERE s.code = c.code`,
    [codes],
  );
}

export async function teacherPlace(db: Queryable, teacherId: string): Promise<TeacherPlace | null> {
  const rows = await db.query<TeacherPlace>(
    `SELECT t.id, t.name, t.school_code AS school, s.name AS "schoolName", s.province_code AS province
     FROM teachers t JOIN schools s ON s.code = t.school_code WHERE t.id = $1 AND t.disabled_at IS NULL`,
    [teacherId],
  );
  return rows[0] ?? null;
}

/** Whether the records hold this person but an operator disabled them (teacher or staff). */
export async function isDisabled(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query<{ n: number }>(
    'SELECT ((SELECT count(*) FROM teachers WHERE id = $1 AND disabled_at IS NOT NULL) + (SELECT count(*) FROM staff WHERE id = $1 AND disabled_at IS NOT NULL))::int AS n',
    [id],
  );
  return (rows[0]?.n ?? 0) > 0;
}

/**
 * Disables (or enables again) a person of the records, teacher or staff: a disabled teacher has no
 * place (no sign-in, no join, no list), a disabled staff member is neither found nor signed in.
 * Returns which records held the id (none: null).
 */
export async function setDisabled(db: Queryable, id: string, disabled: boolean): Promise<Array<'teacher' | 'staff'>> {
  const at = disabled ? 'now()' : 'NULL';
  const teachers = await db.query<{ id: string }>(`UPDATE teachers SET disabled_at = ${at} WHERE id = $1 RETURNING id`, [id]);
  const staff = await db.query<{ id: string }>(`UPDATE staff SET disabled_at = ${at} WHERE id = $1 RETURNING id`, [id]);
  return [...(teachers.length > 0 ? (['teacher'] as const) : []), ...(staff.length > 0 ? (['staff'] as const) : [])];
}

export async function schoolsIn(db: Queryable, province: string): Promise<School[]> {
  return db.query<School>('SELECT code, name, province_code AS province FROM schools WHERE province_code = $1 ORDER BY code', [province]);
}

export async function existingSchools(db: Queryable, codes: readonly string[]): Promise<School[]> {
  return db.query<School>('SELECT code, name, province_code AS province FROM schools WHERE code = ANY($1::text[])', [codes]);
}

export async function orgCounts(db: Db): Promise<{ provinces: number; schools: number; teachers: number }> {
  const [row] = await db.query<{ provinces: number; schools: number; teachers: number }>(
    `SELECT (SELECT count(*) FROM provinces)::int AS provinces, (SELECT count(*) FROM schools)::int AS schools,
            (SELECT count(*) FROM teachers)::int AS teachers`,
  );
  return row!;
}

/** Really deletes a teacher: their attendance goes with them (ON DELETE CASCADE). */
export async function deleteTeacher(db: Queryable, teacherId: string): Promise<boolean> {
  const rows = await db.query<{ school: string }>('DELETE FROM teachers WHERE id = $1 RETURNING school_code AS school', [teacherId]);
  if (rows.length > 0) await recountSchools(db, [rows[0]!.school]);
  return rows.length > 0;
}
