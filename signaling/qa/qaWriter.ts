/**
 * Questions, votes, polls, poll votes and reactions written to the database in batches, off the
 * path of the events that caused them (as attendance is): every `flushMs`, or at once when
 * `maxRows` are waiting, in one transaction of set-based statements. A question or poll keeps its
 * latest state only; reactions are summed in memory and added to the totals. Rows of meetings the
 * database does not know (a test's or demo's strangers) are skipped.
 */
import { logger } from '../../common/log';
import { SerialQueue, type QueueWatch } from '../../common/SerialQueue';
import type { Db } from '../db/Db';
import type { Poll, QaQuestion, ReactionKind } from '../protocol/qa';
import { provinceKey } from '../store/qaTypes';
import type { QaRecorder } from './QaRecorder';

const log = logger('qa-writer');

export interface QaWriterOptions {
  flushMs: number;
  maxRows: number;
  /** Buffered rows beyond which new ones are dropped (and counted). */
  maxBuffered: number;
  /** Counts stuck writes (hoinghi_queue_stalls_total{queue="qa"}). */
  queues?: QueueWatch;
}

interface Vote {
  meetingId: string;
  questionId: string;
  userId: string;
  at: number;
}
interface PollVote {
  meetingId: string;
  pollId: string;
  userId: string;
  province: string;
  choices: number[];
  at: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export class QaWriter implements QaRecorder {
  readonly #db: Db;
  readonly #opts: QaWriterOptions;
  #questions = new Map<string, { meetingId: string; q: QaQuestion }>();
  #votes: Vote[] = [];
  #polls = new Map<string, { meetingId: string; p: Poll }>();
  #pollVotes: PollVote[] = [];
  #reactions = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  /** One write at a time, in order (watched: a stuck write is logged and counted). */
  readonly #writes: SerialQueue;
  written = 0;
  dropped = 0;

  constructor(db: Db, opts: QaWriterOptions) {
    this.#db = db;
    this.#writes = new SerialQueue('qa', { watch: opts.queues, whenStuck: 'wait', log });
    this.#opts = opts;
  }

  get #buffered(): number {
    return this.#questions.size + this.#votes.length + this.#polls.size + this.#pollVotes.length + this.#reactions.size;
  }

  #accept(): boolean {
    if (this.#buffered >= this.#opts.maxBuffered) {
      this.dropped += 1;
      return false;
    }
    return true;
  }

  #schedule(): void {
    const now = this.#buffered >= this.#opts.maxRows;
    if (this.#timer && !now) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, now ? 0 : this.#opts.flushMs);
    this.#timer.unref();
  }

  question(meetingId: string, q: QaQuestion): void {
    if (!this.#accept()) return;
    this.#questions.set(`${meetingId}\n${q.id}`, { meetingId, q });
    this.#schedule();
  }

  questionVote(meetingId: string, questionId: string, userId: string, at: number): void {
    if (!this.#accept()) return;
    this.#votes.push({ meetingId, questionId, userId, at });
    this.#schedule();
  }

  poll(meetingId: string, p: Poll): void {
    if (!this.#accept()) return;
    this.#polls.set(`${meetingId}\n${p.id}`, { meetingId, p });
    this.#schedule();
  }

  pollVote(meetingId: string, pollId: string, v: { userId: string; province: string | null; choices: number[]; at: number }): void {
    if (!this.#accept()) return;
    this.#pollVotes.push({ meetingId, pollId, userId: v.userId, province: provinceKey(v.province), choices: v.choices, at: v.at });
    this.#schedule();
  }

  reaction(meetingId: string, kind: ReactionKind, province: string | null): void {
    const key = `${meetingId}\n${kind}\n${provinceKey(province)}`;
    if (!this.#reactions.has(key) && !this.#accept()) return;
    this.#reactions.set(key, (this.#reactions.get(key) ?? 0) + 1);
    this.#schedule();
  }

  /** Writes everything buffered so far (one flush at a time, in order). */
  flush(): Promise<void> {
    return this.#writes.push('write questions, polls and reactions', () => this.#write());
  }

  async #write(): Promise<void> {
    const questions = [...this.#questions.values()];
    // One row per key, the first (a batch must not carry a key twice into one INSERT).
    const firstOf = <T>(rows: T[], key: (r: T) => string): T[] => [...new Map([...rows].reverse().map((r) => [key(r), r])).values()].reverse();
    const votes = firstOf(this.#votes, (v) => `${v.meetingId}\n${v.questionId}\n${v.userId}`);
    const polls = [...this.#polls.values()];
    const pollVotes = firstOf(this.#pollVotes, (v) => `${v.meetingId}\n${v.pollId}\n${v.userId}`);
    const reactions = [...this.#reactions.entries()].map(([k, n]) => [...k.split('\n'), n] as [string, string, string, number]);
    const rows = questions.length + this.#votes.length + polls.length + this.#pollVotes.length + reactions.length;
    if (rows === 0) return;
    this.#questions = new Map();
    this.#votes = [];
    this.#polls = new Map();
    this.#pollVotes = [];
    this.#reactions = new Map();
    try {
      await this.#db.transaction(async (tx) => {
        if (questions.length > 0) {
          const col = <T>(f: (x: { meetingId: string; q: QaQuestion }) => T): T[] => questions.map(f);
          await tx.query(
            `INSERT INTO qa_questions (meeting_id, id, author_id, author_name, province, school, text, asked_at, answered, hidden)
             SELECT u.* FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::boolean[], $10::boolean[])
               AS u(m, id, a, n, p, s, t, at, ans, hid)
             JOIN meetings m ON m.id = u.m
             ON CONFLICT (meeting_id, id) DO UPDATE SET answered = excluded.answered, hidden = excluded.hidden`,
            [
              col((x) => x.meetingId),
              col((x) => x.q.id),
              col((x) => x.q.authorId),
              col((x) => x.q.authorName),
              col((x) => x.q.province),
              col((x) => x.q.school),
              col((x) => x.q.text),
              col((x) => iso(x.q.askedAt)!),
              col((x) => String(x.q.answered)),
              col((x) => String(x.q.hidden)),
            ],
          );
        }
        if (votes.length > 0) {
          await tx.query(
            `INSERT INTO qa_votes (meeting_id, question_id, user_id, voted_at)
             SELECT u.m, u.q, u.u, u.at FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS u(m, q, u, at)
             JOIN qa_questions q ON q.meeting_id = u.m AND q.id = u.q
             ON CONFLICT DO NOTHING`,
            [votes.map((v) => v.meetingId), votes.map((v) => v.questionId), votes.map((v) => v.userId), votes.map((v) => iso(v.at)!)],
          );
        }
        if (polls.length > 0) {
          const col = <T>(f: (x: { meetingId: string; p: Poll }) => T): T[] => polls.map(f);
          await tx.query(
            `INSERT INTO polls (meeting_id, id, question, options, multiple, duration_s, state, created_at, opened_at, closes_at, closed_at, results_shown)
             SELECT u.m, u.id, u.q, u.o::jsonb, u.mul, u.d, u.st, u.c, u.op, u.cl, u.cd, u.sh
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::int[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::boolean[])
               AS u(m, id, q, o, mul, d, st, c, op, cl, cd, sh)
             JOIN meetings m ON m.id = u.m
             ON CONFLICT (meeting_id, id) DO UPDATE SET state = excluded.state, opened_at = excluded.opened_at,
               closes_at = excluded.closes_at, closed_at = excluded.closed_at, results_shown = excluded.results_shown`,
            [
              col((x) => x.meetingId),
              col((x) => x.p.id),
              col((x) => x.p.question),
              col((x) => JSON.stringify(x.p.options)),
              col((x) => String(x.p.multiple)),
              col((x) => (x.p.durationS === null ? null : String(x.p.durationS))),
              col((x) => x.p.state),
              col((x) => iso(x.p.createdAt)!),
              col((x) => iso(x.p.openedAt)),
              col((x) => iso(x.p.closesAt)),
              col((x) => iso(x.p.closedAt)),
              col((x) => String(x.p.resultsShown)),
            ],
          );
        }
        if (pollVotes.length > 0) {
          await tx.query(
            `INSERT INTO poll_votes (meeting_id, poll_id, user_id, province, choices, voted_at)
             SELECT u.m, u.p, u.u, u.pr, u.ch::smallint[], u.at
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS u(m, p, u, pr, ch, at)
             JOIN polls p ON p.meeting_id = u.m AND p.id = u.p
             ON CONFLICT DO NOTHING`,
            [
              pollVotes.map((v) => v.meetingId),
              pollVotes.map((v) => v.pollId),
              pollVotes.map((v) => v.userId),
              pollVotes.map((v) => v.province),
              pollVotes.map((v) => `{${v.choices.join(',')}}`),
              pollVotes.map((v) => iso(v.at)!),
            ],
          );
        }
        if (reactions.length > 0) {
          await tx.query(
            `INSERT INTO reaction_totals (meeting_id, kind, province, count)
             SELECT u.m, u.k, u.p, u.n FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(m, k, p, n)
             JOIN meetings m ON m.id = u.m
             ON CONFLICT (meeting_id, kind, province) DO UPDATE SET count = reaction_totals.count + excluded.count`,
            [reactions.map((r) => r[0]), reactions.map((r) => r[1]), reactions.map((r) => r[2]), reactions.map((r) => String(r[3]))],
          );
        }
      });
      this.written += rows;
    } catch (error) {
      this.dropped += rows;
      log.error({ err: String(error), rows }, 'interaction write failed');
    }
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush();
  }
}
