/**
 * The parent side of teacherBots.ts: a few client processes sharing the rehearsal's teachers (so
 * that DTLS, SRTP and RTCP of a hundred-odd receivers spread over cores), each teacher in one
 * process for the whole run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { WebRtcViewerTimeline } from '../bots/webrtcViewer';
import type { AckRecord, BotAction, BotCommand, BotReply, BotSample, BotSpec, InvitePolicy, JoinOutcome, SpeakEvent } from './teacherBots';

type Reply<T extends BotReply['type']> = Extract<BotReply, { type: T }>;
type CommandBody = BotCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

export interface PoolSample {
  at: number;
  bots: BotSample[];
  acks: AckRecord[];
  speak: SpeakEvent[];
}

export class TeacherBots {
  readonly #workers: ChildProcess[];
  /** Which process holds each teacher. */
  readonly #home = new Map<string, number>();
  #nextId = 1;

  private constructor(workers: ChildProcess[]) {
    this.#workers = workers;
  }

  static start(processes: number): TeacherBots {
    return new TeacherBots(
      Array.from({ length: processes }, () =>
        fork('load-tests/rehearsal/teacherBots.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
      ),
    );
  }

  #ask<T extends BotReply['type']>(k: number, body: CommandBody, until: T): Promise<Reply<T>> {
    const w = this.#workers[k]!;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const onMessage = (r: BotReply): void => {
        if (r.id !== id || r.type !== until) return;
        w.off('message', onMessage);
        w.off('exit', onExit);
        resolve(r as Reply<T>);
      };
      const onExit = (code: number | null): void => reject(new Error(`teacher process exited with ${code}`));
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.send({ ...body, id } as BotCommand);
    });
  }

  /** Joins these teachers (spread over the processes, `concurrency` joining at once in all). */
  async join(opts: { url: string; meetingId: string; bots: BotSpec[]; concurrency: number; invite: InvitePolicy; timeoutMs: number }): Promise<JoinOutcome[]> {
    const shares = this.#workers.map(() => [] as BotSpec[]);
    opts.bots.forEach((b, i) => {
      const k = this.#home.get(b.userId) ?? i % this.#workers.length;
      this.#home.set(b.userId, k);
      shares[k]!.push(b);
    });
    const per = Math.max(1, Math.ceil(opts.concurrency / this.#workers.length));
    const replies = await Promise.all(
      shares.map((bots, k) => (bots.length === 0 ? { results: [] } : this.#ask(k, { type: 'join', url: opts.url, meetingId: opts.meetingId, bots, concurrency: per, invite: opts.invite, timeoutMs: opts.timeoutMs }, 'joined'))),
    );
    return replies.flatMap((r) => r.results);
  }

  /** Has these teachers do `action`, each at a random moment within `spreadMs`; outcome → count. */
  async act(action: BotAction, userIds: string[], spreadMs = 0): Promise<Record<string, number>> {
    const shares = this.#workers.map(() => [] as string[]);
    for (const id of userIds) shares[this.#home.get(id) ?? 0]!.push(id);
    const replies = await Promise.all(shares.map((ids, k) => (ids.length === 0 ? { outcomes: {} } : this.#ask(k, { type: 'act', action, userIds: ids, spreadMs }, 'acted'))));
    const out: Record<string, number> = {};
    for (const r of replies) for (const [o, n] of Object.entries(r.outcomes)) out[o] = (out[o] ?? 0) + n;
    return out;
  }

  /** Every teacher's state now, and the round trips and speaking events since the last sample. */
  async sample(): Promise<PoolSample> {
    const replies = await Promise.all(this.#workers.map((_, k) => this.#ask(k, { type: 'sample' }, 'sample')));
    return {
      at: Math.max(...replies.map((r) => r.at)),
      bots: replies.flatMap((r) => r.bots),
      acks: replies.flatMap((r) => r.acks),
      speak: replies.flatMap((r) => r.speak),
    };
  }

  async timelines(): Promise<Record<string, WebRtcViewerTimeline>> {
    const replies = await Promise.all(this.#workers.map((_, k) => this.#ask(k, { type: 'timelines' }, 'timelines')));
    return Object.assign({}, ...replies.map((r) => r.timelines)) as Record<string, WebRtcViewerTimeline>;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(async (w, k) => {
        if (w.exitCode !== null) return;
        const exited = new Promise((r) => w.once('exit', r));
        void this.#ask(k, { type: 'close' }, 'closed').catch(() => undefined);
        setTimeout(() => w.kill('SIGKILL'), 10_000).unref();
        await exited;
      }),
    );
  }
}
