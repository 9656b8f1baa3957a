/**
 * The lists of meetings a user sees, by state: happening now (open or live: all of them, never
 * pushed out by a limit), upcoming (soonest first) and ended (latest first), the last two a page
 * at a time with an opaque cursor. Who sees what is the same rule as before (scope.ts): a
 * national host everything; a province host what their province owns or reaches, or co-hosts; a
 * teacher what their school is in the audience of. States are decided here as `effectiveState`
 * decides them (the clock opens a meeting at its start and ends it an hour after its end).
 */
import type { Param, Queryable } from '../db/Db';
import { AUTO_END_AFTER_MS, SELECT, toInfo, type MeetingRow } from './meetingRepo';
import type { MeetingInfo } from './types';

export const LIST_STATES = ['live', 'upcoming', 'ended'] as const;
export type ListState = (typeof LIST_STATES)[number];

/** Whose lists: everything, a province host's, or a teacher's (as the database places them). */
export type ListScope = { kind: 'all' } | { kind: 'province_host'; province: string; userId: string } | { kind: 'teacher'; province: string; school: string };

/** Happening now is never paged: this bounds it only against a runaway (creation quotas keep it far lower). */
export const MAX_LIVE = 1000;

export interface Page {
  meetings: MeetingInfo[];
  /** Cursor of the next page; null: this was the last. */
  next: string | null;
}

interface Cursor {
  startsAt: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.startsAt, c.id])).toString('base64url');
}

/** The cursor, or null when it is not one this server made. */
export function decodeCursor(s: string): Cursor | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') return null;
    const [startsAt, id] = v as [string, string];
    const t = Date.parse(startsAt);
    if (!Number.isFinite(t) || new Date(t).toISOString() !== startsAt || !/^[a-z0-9-]{1,64}$/.test(id)) return null;
    return { startsAt, id };
  } catch {
    return null;
  }
}

/** The scope's condition, its parameters numbered from `first`. */
function scopeSql(scope: ListScope, first: number): { sql: string; params: Param[] } {
  const a = `$${first}`;
  const b = `$${first + 1}`;
  if (scope.kind === 'all') return { sql: 'TRUE', params: [] };
  if (scope.kind === 'teacher') {
    return {
      sql: `(m.audience_kind = 'country'
          OR EXISTS (SELECT 1 FROM meeting_provinces p WHERE p.meeting_id = m.id AND p.province_code = ${a})
          OR EXISTS (SELECT 1 FROM meeting_schools s WHERE s.meeting_id = m.id AND s.school_code = ${b}))`,
      params: [scope.province, scope.school],
    };
  }
  return {
    sql: `(m.audience_kind = 'country'
        OR m.owner_province = ${a}
        OR EXISTS (SELECT 1 FROM meeting_provinces p WHERE p.meeting_id = m.id AND p.province_code = ${a})
        OR EXISTS (SELECT 1 FROM meeting_schools s JOIN schools sc ON sc.code = s.school_code
                   WHERE s.meeting_id = m.id AND sc.province_code = ${a})
        OR EXISTS (SELECT 1 FROM meeting_cohosts c WHERE c.meeting_id = m.id AND c.user_id = ${b}))`,
    params: [scope.province, scope.userId],
  };
}

/**
 * One page of one state's list. $1 is now, $2 the auto-end delay (ms); `over` is the moment after
 * which a meeting nobody ended counts as ended.
 */
export async function listMeetings(db: Queryable, scope: ListScope, state: ListState, page: { limit: number; after?: Cursor | null }, now: number): Promise<Page> {
  const over = `m.ends_at + ($2::int * interval '1 millisecond') <= $1::timestamptz`;
  const where = {
    live: `m.state <> 'ended' AND NOT (${over}) AND (m.state IN ('open', 'live') OR m.starts_at <= $1::timestamptz)`,
    upcoming: `m.state = 'scheduled' AND m.starts_at > $1::timestamptz AND NOT (${over})`,
    ended: `(m.state = 'ended' OR ${over})`,
  }[state];
  const ascending = state !== 'ended';
  const s = scopeSql(scope, 3);
  const params: Param[] = [new Date(now).toISOString(), AUTO_END_AFTER_MS, ...s.params];
  let after = '';
  if (page.after && state !== 'live') {
    params.push(page.after.startsAt, page.after.id);
    const n = params.length;
    after = `AND (m.starts_at, m.id) ${ascending ? '>' : '<'} ($${n - 1}::timestamptz, $${n})`;
  }
  const limit = state === 'live' ? MAX_LIVE : page.limit;
  params.push(limit + 1);
  const order = ascending ? 'm.starts_at ASC, m.id ASC' : 'm.starts_at DESC, m.id DESC';
  const rows = await db.query<MeetingRow>(`${SELECT} WHERE ${where} AND ${s.sql} ${after} ORDER BY ${order} LIMIT $${params.length}`, params);
  const more = rows.length > limit;
  const meetings = rows.slice(0, limit).map((r) => toInfo(r, now));
  const last = meetings.at(-1);
  return { meetings, next: more && state !== 'live' && last ? encodeCursor({ startsAt: last.startsAt, id: last.id }) : null };
}
