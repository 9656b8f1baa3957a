/**
 * The staff who may host (the co-host picker searches them): officials of the ministry (`host`)
 * and of the provinces (`province_host`). A search matches the name or the id, without
 * diacritics ("vu truong" finds "Vụ trưởng"), names first in alphabetical order.
 */
import type { Queryable } from '../db/Db';
import type { StaffMember } from '../protocol/http';
import { fold } from '../../common/fold';

/** Results per search: a picker shows a short list, refined by typing. */
export const STAFF_SEARCH_LIMIT = 20;

/** Adds or refreshes staff (their name, role and province as last seen). */
export async function upsertStaff(db: Queryable, staff: readonly StaffMember[]): Promise<void> {
  if (staff.length === 0) return;
  await db.query(
    `INSERT INTO staff (id, name, role, province_code, search, seen_at)
     SELECT id, name, role, province, search, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, name, role, province, search)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, province_code = excluded.province_code, search = excluded.search, seen_at = now()`,
    [staff.map((s) => s.id), staff.map((s) => s.name), staff.map((s) => s.role), staff.map((s) => s.province), staff.map((s) => fold(`${s.name} ${s.id}`))],
  );
}

interface Row {
  id: string;
  name: string;
  role: 'host' | 'province_host';
  province_code: string | null;
}

const member = (r: Row): StaffMember => ({ id: r.id, name: r.name, role: r.role, province: r.province_code });

/** Staff whose name or id contains `query` (folded; LIKE's wildcards taken literally). */
export async function searchStaff(db: Queryable, query: string, limit = STAFF_SEARCH_LIMIT): Promise<StaffMember[]> {
  const needle = fold(query.trim()).replace(/[\\%_]/g, (c) => `\\${c}`);
  const rows = await db.query<Row>(
    `SELECT id, name, role, province_code FROM staff WHERE search LIKE '%' || $1 || '%' ESCAPE '\\' AND disabled_at IS NULL ORDER BY name, id LIMIT $2`,
    [needle, limit],
  );
  return rows.map(member);
}

/** The staff of these ids (the ones known; an unknown id is simply missing). */
export async function staffByIds(db: Queryable, ids: readonly string[]): Promise<StaffMember[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<Row>('SELECT id, name, role, province_code FROM staff WHERE id = ANY($1::text[]) AND disabled_at IS NULL ORDER BY name, id', [ids]);
  return rows.map(member);
}
