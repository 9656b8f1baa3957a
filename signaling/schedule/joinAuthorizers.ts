/**
 * Who may join which meeting (meeting/JoinAuthorizer.ts), two ways, chosen at start-up:
 *   - TokenListAuthorizer (no database): the token's `meetings` list, as before;
 *   - DatabaseJoinAuthorizer: the meeting's audience and state, and the teacher's school as the
 *     database records it. The token only says who the caller is and their role.
 * Lookups are cached briefly (meeting for a second or two, a teacher's place for a minute), so a
 * join storm costs the database one query per distinct meeting and teacher.
 */
import type { Claims } from '../auth/tokens';
import type { JoinAuthorizer } from '../meeting/JoinAuthorizer';
import type { Db } from '../db/Db';
import { teacherPlace, type TeacherPlace } from '../org/orgRepo';
import { AppError, forbidden, notFound } from '../protocol/errors';
import { MeetingRepo } from './meetingRepo';
import { audienceIncludes, canManage } from './scope';
import type { MeetingInfo } from './types';

export class TokenListAuthorizer implements JoinAuthorizer {
  async authorize(claims: Claims, meetingId: string): Promise<void> {
    await this.inAudience(claims, meetingId);
  }

  async inAudience(claims: Claims, meetingId: string): Promise<void> {
    if (!claims.meetings.includes(meetingId)) throw forbidden('this token does not admit you to that meeting');
  }
}

/** A small time-bounded cache with a size cap (oldest entries go first). */
class TtlCache<V> {
  readonly #map = new Map<string, { value: V; until: number }>();
  constructor(
    readonly ttlMs: number,
    readonly max: number,
  ) {}
  get(key: string, now: number): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    if (hit.until < now) {
      this.#map.delete(key);
      return undefined;
    }
    return hit.value;
  }
  set(key: string, value: V, now: number): void {
    if (this.#map.size >= this.max) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(key, { value, until: now + this.ttlMs });
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
}

export class DatabaseJoinAuthorizer implements JoinAuthorizer {
  readonly #db: Db;
  readonly #meetings: MeetingRepo;
  readonly #meetingCache = new TtlCache<MeetingInfo | null>(1_500, 10_000);
  readonly #placeCache = new TtlCache<TeacherPlace | null>(60_000, 500_000);
  /** Called when a host's join makes an open meeting live. */
  readonly #onLive: (meetingId: string) => void;

  constructor(db: Db, onLive: (meetingId: string) => void = () => undefined) {
    this.#db = db;
    this.#meetings = new MeetingRepo(db);
    this.#onLive = onLive;
  }

  /** Forget a cached meeting (its state or audience changed on this node). */
  invalidate(meetingId: string): void {
    this.#meetingCache.delete(meetingId);
  }

  async #meeting(id: string): Promise<MeetingInfo | null> {
    const now = Date.now();
    const cached = this.#meetingCache.get(id, now);
    if (cached !== undefined) return cached;
    const m = await this.#meetings.get(id);
    this.#meetingCache.set(id, m, now);
    return m;
  }

  async #place(teacherId: string): Promise<TeacherPlace | null> {
    const now = Date.now();
    const cached = this.#placeCache.get(teacherId, now);
    if (cached !== undefined) return cached;
    const p = await teacherPlace(this.#db, teacherId);
    this.#placeCache.set(teacherId, p, now);
    return p;
  }

  /** The audience rule shared by joining and by recordings: teachers by school, province hosts by province. */
  async #checkAudience(claims: Claims, m: MeetingInfo): Promise<void> {
    if (claims.role === 'teacher') {
      const place = await this.#place(claims.sub);
      if (!place) throw forbidden('you are not in the school records; ask your school to add you');
      if (!audienceIncludes(m, place)) throw forbidden('this meeting is not for your school');
      return;
    }
    if (claims.role === 'province_host' && !canManage(claims, m)) {
      const reaches =
        m.audience.kind === 'country' ||
        (m.audience.kind === 'provinces' && claims.province !== null && m.audience.provinces.includes(claims.province)) ||
        (m.audience.kind === 'schools' &&
          claims.province !== null &&
          (await this.#db.query('SELECT 1 FROM meeting_schools ms JOIN schools s ON s.code = ms.school_code WHERE ms.meeting_id = $1 AND s.province_code = $2 LIMIT 1', [m.id, claims.province])).length > 0);
      if (!reaches) throw forbidden('this meeting does not reach your province');
    }
  }

  async inAudience(claims: Claims, meetingId: string): Promise<void> {
    const m = await this.#meeting(meetingId);
    if (!m) throw notFound('meeting');
    await this.#checkAudience(claims, m);
  }

  async authorize(claims: Claims, meetingId: string): Promise<void> {
    let m = await this.#meeting(meetingId);
    // A refusal is never read from the cache: the host may have opened the meeting through
    // another node a moment ago (only that node's cache was cleared). Refusals are rare (the
    // lobby waits for the opening before it joins), so this costs the database little.
    if (m?.state === 'scheduled' && claims.role === 'teacher') {
      this.invalidate(meetingId);
      m = await this.#meeting(meetingId);
    }
    if (!m) throw notFound('meeting');
    if (m.state === 'ended') throw new AppError('not_open', 'this meeting has ended');
    await this.#checkAudience(claims, m);
    if (claims.role === 'teacher') {
      if (m.state === 'scheduled') throw new AppError('not_open', 'this meeting has not opened yet; wait in the lobby');
      return;
    }
    // Hosts may enter before the start (to set up); their arrival makes an open meeting live.
    if (m.state === 'open' && canManage(claims, m)) {
      await this.#meetings.setState(meetingId, 'live');
      this.invalidate(meetingId);
      this.#onLive(meetingId);
    }
  }
}
