/**
 * Meetings in the database: create, edit, read, list for a user, change state. The audience is
 * stored as rows (meeting_provinces / meeting_schools) so that "which meetings include this
 * school" is an index lookup.
 */
import type { Db, Queryable } from '../db/Db';
import type { Audience, BreakoutPlan, MeetingInfo, MeetingInput, MeetingPhase } from './types';

export interface MeetingRow {
  id: string;
  title: string;
  agenda: string;
  starts_at: Date;
  ends_at: Date;
  audience_kind: Audience['kind'];
  owner_province: string | null;
  created_by: string;
  state: MeetingPhase;
  opened_at: Date | null;
  ended_at: Date | null;
  breakout_plan: BreakoutPlan;
  provinces: string[] | null;
  schools: string[] | null;
  cohosts: string[] | null;
}

/** How long after its scheduled end a meeting nobody ended counts as ended. */
export const AUTO_END_AFTER_MS = 3600_000;

export const SELECT = `
  SELECT m.*,
    (SELECT array_agg(province_code ORDER BY province_code) FROM meeting_provinces p WHERE p.meeting_id = m.id) AS provinces,
    (SELECT array_agg(school_code ORDER BY school_code) FROM meeting_schools s WHERE s.meeting_id = m.id) AS schools,
    (SELECT array_agg(user_id ORDER BY user_id) FROM meeting_cohosts c WHERE c.meeting_id = m.id) AS cohosts
  FROM meetings m`;

/** The state a stored meeting is in at `now`: the clock opens it and, long after its end, ends it. */
export function effectiveState(row: { state: MeetingPhase; starts_at: Date; ends_at: Date }, now: number): MeetingPhase {
  if (row.state === 'ended') return 'ended';
  if (now >= row.ends_at.getTime() + AUTO_END_AFTER_MS) return 'ended';
  if (row.state === 'scheduled' && now >= row.starts_at.getTime()) return 'open';
  return row.state;
}

export function toInfo(row: MeetingRow, now: number): MeetingInfo {
  const audience: Audience =
    row.audience_kind === 'country'
      ? { kind: 'country' }
      : row.audience_kind === 'provinces'
        ? { kind: 'provinces', provinces: row.provinces ?? [] }
        : { kind: 'schools', schools: row.schools ?? [] };
  return {
    id: row.id,
    title: row.title,
    agenda: row.agenda,
    startsAt: row.starts_at.toISOString(),
    endsAt: row.ends_at.toISOString(),
    audience,
    ownerProvince: row.owner_province,
    createdBy: row.created_by,
    coHosts: row.cohosts ?? [],
    breakoutPlan: row.breakout_plan,
    state: effectiveState(row, now),
    openedAt: row.opened_at?.toISOString() ?? null,
    endedAt: row.ended_at?.toISOString() ?? null,
  };
}

async function writeAudience(tx: Queryable, id: string, input: MeetingInput): Promise<void> {
  await tx.query('DELETE FROM meeting_provinces WHERE meeting_id = $1', [id]);
  await tx.query('DELETE FROM meeting_schools WHERE meeting_id = $1', [id]);
  await tx.query('DELETE FROM meeting_cohosts WHERE meeting_id = $1', [id]);
  const a = input.audience;
  if (a.kind === 'provinces') {
    await tx.query('INSERT INTO meeting_provinces (meeting_id, province_code) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [id, a.provinces]);
  } else if (a.kind === 'schools') {
    await tx.query('INSERT INTO meeting_schools (meeting_id, school_code) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [id, a.schools]);
  }
  if (input.coHosts.length > 0) {
    await tx.query('INSERT INTO meeting_cohosts (meeting_id, user_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [id, input.coHosts]);
  }
}

export class MeetingRepo {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(db: Db, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** `guard` runs first in the creating transaction (the creation quota); it throws to refuse. */
  async create(id: string, input: MeetingInput, createdBy: string, ownerProvince: string | null, guard?: (tx: Queryable) => Promise<void>): Promise<MeetingInfo> {
    await this.#db.transaction(async (tx) => {
      await guard?.(tx);
      await tx.query(
        `INSERT INTO meetings (id, title, agenda, starts_at, ends_at, audience_kind, owner_province, created_by, breakout_plan)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
        [id, input.title, input.agenda, input.startsAt, input.endsAt, input.audience.kind, ownerProvince, createdBy, JSON.stringify(input.breakoutPlan)],
      );
      await writeAudience(tx, id, input);
    });
    return (await this.get(id))!;
  }

  async update(id: string, input: MeetingInput): Promise<MeetingInfo | null> {
    const found = await this.#db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE meetings SET title = $2, agenda = $3, starts_at = $4, ends_at = $5, audience_kind = $6, breakout_plan = $7::jsonb
         WHERE id = $1 RETURNING id`,
        [id, input.title, input.agenda, input.startsAt, input.endsAt, input.audience.kind, JSON.stringify(input.breakoutPlan)],
      );
      if (rows.length === 0) return false;
      await writeAudience(tx, id, input);
      return true;
    });
    return found ? this.get(id) : null;
  }

  async get(id: string): Promise<MeetingInfo | null> {
    const rows = await this.#db.query<MeetingRow>(`${SELECT} WHERE m.id = $1`, [id]);
    return rows[0] ? toInfo(rows[0], this.#now()) : null;
  }

  /** Moves a meeting's stored state (open, live, ended); returns false when it does not exist. */
  async setState(id: string, state: Exclude<MeetingPhase, 'scheduled'>): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE meetings SET state = $2,
         opened_at = CASE WHEN $2 IN ('open', 'live') THEN coalesce(opened_at, now()) ELSE opened_at END,
         ended_at = CASE WHEN $2 = 'ended' THEN coalesce(ended_at, now()) ELSE ended_at END
       WHERE id = $1 AND state <> 'ended' RETURNING id`,
      [id, state],
    );
    return rows.length > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#db.query('DELETE FROM meetings WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  /** Whether a meeting with a school audience includes `school`. */
  async includesSchool(meetingId: string, school: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM meeting_schools WHERE meeting_id = $1 AND school_code = $2', [meetingId, school]);
    return rows.length > 0;
  }

  /** Deletes meetings (and with them, their attendance) that ended before `cutoff`. */
  async deleteEndedBefore(cutoff: Date): Promise<number> {
    const rows = await this.#db.query(
      `DELETE FROM meetings WHERE coalesce(ended_at, ends_at + ($2::int * interval '1 millisecond')) < $1 RETURNING id`,
      [cutoff.toISOString(), AUTO_END_AFTER_MS],
    );
    return rows.length;
  }
}
