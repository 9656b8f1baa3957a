/**
 * Attendance intervals kept open in memory and written in batches: an interval opens on a join
 * (a row with left_at null), closes on a leave or a move (left_at set, and a move opens the next
 * one). A disconnect closes the interval only when the participant has not come back within the
 * departure grace, and then at the time of the disconnect: a reconnect within the grace continues
 * the same interval. Rows are flushed every `flushMs` or as soon as `maxRows` are waiting, in one
 * statement per kind (insert, close), never on the caller's path.
 */
import { logger } from '../../common/log';
import { SerialQueue, type QueueWatch } from '../../common/SerialQueue';
import type { Db } from '../db/Db';
import type { AttendanceRecorder } from './AttendanceRecorder';

const log = logger('attendance');

export interface AttendanceWriterOptions {
  flushMs: number;
  maxRows: number;
  departureGraceMs: number;
  /** Buffered rows beyond which new ones are dropped (and counted) rather than exhausting memory. */
  maxBuffered: number;
  /** Counts stuck writes (hoinghi_queue_stalls_total{queue="attendance"}). */
  queues?: QueueWatch;
  now?: () => number;
}

interface Open {
  session: string;
  joinedAt: number;
  /** Set while a disconnected participant may still come back. */
  departedAt: number | null;
  graceTimer: NodeJS.Timeout | null;
}

interface Row {
  meetingId: string;
  teacherId: string;
  session: string;
  joinedAt: number;
  leftAt: number | null;
}

export class AttendanceWriter implements AttendanceRecorder {
  readonly #db: Db;
  readonly #opts: Required<Omit<AttendanceWriterOptions, 'queues'>>;
  /** meetingId + '\n' + userId → open interval. */
  readonly #open = new Map<string, Open>();
  #inserts: Row[] = [];
  #closes: Row[] = [];
  /** Intervals a dead node left open: closed by (meeting, teacher) where still open. */
  #abandons: Row[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** One write at a time, in order (watched: a stuck write is logged and counted). */
  readonly #writes: SerialQueue;
  #closed = false;
  /** Rows written and rows dropped (buffer full or a failed write), for metrics and tests. */
  written = 0;
  dropped = 0;

  constructor(db: Db, opts: AttendanceWriterOptions) {
    this.#db = db;
    this.#writes = new SerialQueue('attendance', { watch: opts.queues, whenStuck: 'wait', log });
    this.#opts = { now: Date.now, ...opts };
  }

  joined(meetingId: string, userId: string, role: string, session: string): void {
    if (role !== 'teacher' || this.#closed) return;
    const key = `${meetingId}\n${userId}`;
    const open = this.#open.get(key);
    if (open) {
      if (open.graceTimer) clearTimeout(open.graceTimer);
      open.graceTimer = null;
      open.departedAt = null;
      // Back within the grace: the same interval goes on, unless the session changed meanwhile.
      if (open.session === session) return;
      return this.#switch(meetingId, userId, open, session);
    }
    this.#openNew(meetingId, userId, session, this.#opts.now());
  }

  left(meetingId: string, userId: string, explicit: boolean): void {
    const key = `${meetingId}\n${userId}`;
    const open = this.#open.get(key);
    if (!open) return;
    const at = open.departedAt ?? this.#opts.now();
    if (explicit || this.#opts.departureGraceMs === 0) {
      if (open.graceTimer) clearTimeout(open.graceTimer);
      this.#open.delete(key);
      this.#closeOpen(meetingId, userId, open, at);
      return;
    }
    if (open.graceTimer) return;
    open.departedAt = at;
    open.graceTimer = setTimeout(() => {
      if (this.#open.get(key) !== open) return;
      this.#open.delete(key);
      this.#closeOpen(meetingId, userId, open, at);
    }, this.#opts.departureGraceMs);
    open.graceTimer.unref();
  }

  moved(meetingId: string, userId: string, session: string): void {
    const key = `${meetingId}\n${userId}`;
    const open = this.#open.get(key);
    if (!open || open.session === session) return;
    this.#switch(meetingId, userId, open, session);
  }

  abandoned(meetingId: string, userId: string, at: number): void {
    // This node may hold the teacher's interval itself (they left it within the grace): that
    // one closes by its own timer, at the time of the disconnect.
    if (this.#open.has(`${meetingId}\n${userId}`)) return;
    this.#push(this.#abandons, { meetingId, teacherId: userId, session: '', joinedAt: at, leftAt: at });
  }

  /**
   * Ends one interval and starts the next at the same instant. Two intervals of one teacher never
   * share a start (the row key): a same-millisecond switch happens 1 ms after the previous start.
   */
  #switch(meetingId: string, userId: string, open: Open, session: string): void {
    const at = Math.max(this.#opts.now(), open.joinedAt + 1);
    this.#closeOpen(meetingId, userId, open, at);
    this.#openNew(meetingId, userId, session, at);
  }

  /** Intervals still open (participants present or within their grace). */
  get openCount(): number {
    return this.#open.size;
  }

  #openNew(meetingId: string, userId: string, session: string, at: number): void {
    const open: Open = { session, joinedAt: at, departedAt: null, graceTimer: null };
    this.#open.set(`${meetingId}\n${userId}`, open);
    this.#push(this.#inserts, { meetingId, teacherId: userId, session, joinedAt: at, leftAt: null });
  }

  #closeOpen(meetingId: string, teacherId: string, open: Open, at: number): void {
    this.#push(this.#closes, { meetingId, teacherId, session: open.session, joinedAt: open.joinedAt, leftAt: Math.max(at, open.joinedAt) });
  }

  #push(list: Row[], row: Row): void {
    const buffered = this.#inserts.length + this.#closes.length + this.#abandons.length;
    if (buffered >= this.#opts.maxBuffered) {
      this.dropped += 1;
      return;
    }
    list.push(row);
    if (buffered + 1 >= this.#opts.maxRows) this.#schedule(0);
    else this.#schedule(this.#opts.flushMs);
  }

  #schedule(ms: number): void {
    if (this.#timer && ms > 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, ms);
    this.#timer.unref();
  }

  /** Writes everything buffered so far (serialised: one flush at a time, in order). */
  flush(): Promise<void> {
    return this.#writes.push('write attendance', () => this.#write());
  }

  async #write(): Promise<void> {
    const inserts = this.#inserts;
    const closes = this.#closes;
    const abandons = this.#abandons;
    if (inserts.length === 0 && closes.length === 0 && abandons.length === 0) return;
    this.#inserts = [];
    this.#closes = [];
    this.#abandons = [];
    const iso = (ms: number): string => new Date(ms).toISOString();
    try {
      await this.#db.transaction(async (tx) => {
        if (inserts.length > 0) {
          // An interval left open by a signaling node that died (its memory gone) ends where the
          // teacher's next one begins: the time is covered once, in two rows.
          await tx.query(
            `UPDATE attendance a SET left_at = u.j
             FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(m, t, j)
             WHERE a.meeting_id = u.m AND a.teacher_id = u.t AND a.left_at IS NULL AND a.joined_at < u.j`,
            [inserts.map((r) => r.meetingId), inserts.map((r) => r.teacherId), inserts.map((r) => iso(r.joinedAt))],
          );
          // Only known teachers of existing meetings are recorded (a demo meeting's strangers are not).
          await tx.query(
            `INSERT INTO attendance (meeting_id, teacher_id, session, joined_at)
             SELECT u.m, u.t, u.s, u.j FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS u(m, t, s, j)
             JOIN teachers t ON t.id = u.t JOIN meetings m ON m.id = u.m
             ON CONFLICT DO NOTHING`,
            [inserts.map((r) => r.meetingId), inserts.map((r) => r.teacherId), inserts.map((r) => r.session), inserts.map((r) => iso(r.joinedAt))],
          );
        }
        if (closes.length > 0) {
          await tx.query(
            `UPDATE attendance a SET left_at = u.l
             FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS u(m, t, j, l)
             WHERE a.meeting_id = u.m AND a.teacher_id = u.t AND a.joined_at = u.j`,
            [closes.map((r) => r.meetingId), closes.map((r) => r.teacherId), closes.map((r) => iso(r.joinedAt)), closes.map((r) => iso(r.leftAt!))],
          );
        }
        if (abandons.length > 0) {
          // Whatever a dead node left open ends at the given time (never before it began).
          await tx.query(
            `UPDATE attendance a SET left_at = GREATEST(u.l, a.joined_at)
             FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(m, t, l)
             WHERE a.meeting_id = u.m AND a.teacher_id = u.t AND a.left_at IS NULL`,
            [abandons.map((r) => r.meetingId), abandons.map((r) => r.teacherId), abandons.map((r) => iso(r.leftAt!))],
          );
        }
      });
      this.written += inserts.length + closes.length + abandons.length;
    } catch (error) {
      const rows = inserts.length + closes.length + abandons.length;
      this.dropped += rows;
      log.error({ err: String(error), rows }, 'attendance write failed');
    }
  }

  /** Closes every open interval now (a shutdown), writes, and stops. */
  async close(): Promise<void> {
    const now = this.#opts.now();
    for (const [key, open] of this.#open) {
      if (open.graceTimer) clearTimeout(open.graceTimer);
      const [meetingId, userId] = key.split('\n') as [string, string];
      this.#closeOpen(meetingId, userId, open, open.departedAt ?? now);
    }
    this.#open.clear();
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush();
  }
}
