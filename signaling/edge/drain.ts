/**
 * Draining a signaling node (SIGTERM): it stops admitting at once (`/readyz` answers 503, so the
 * load balancer stops sending new connections; new sockets and joins that still arrive get a
 * typed `draining` error), asks every connected client to move (`moveNode` with its own delay,
 * spread over `HOINGHI_DRAIN_WINDOW_MS`, teachers first and hosts last, so that a broadcast is
 * interrupted once, at the end), disconnects those that have not left a little after their turn,
 * and reports when the node is empty or when `HOINGHI_DRAIN_DEADLINE_MS` has passed.
 */
import { logger } from '../../common/log';
import { withJitter } from '../rateLimit';
import type { TypedServer, TypedSocket } from '../socketTypes';

const log = logger('drain');

/** A client that has not left this long after its turn is disconnected (it will reconnect). */
const GRACE_AFTER_TURN_MS = 5_000;

export interface DrainOptions {
  windowMs: number;
  deadlineMs: number;
}

export type DrainOutcome = 'empty' | 'deadline';

export class Drain {
  readonly #opts: DrainOptions;
  #startedAt: number | null = null;
  #done: Promise<DrainOutcome> | null = null;

  constructor(opts: DrainOptions) {
    this.#opts = opts;
  }

  get draining(): boolean {
    return this.#startedAt !== null;
  }

  /** How long a refused client should wait before connecting again (to another node). */
  retryAfterMs(): number {
    return withJitter(1_000);
  }

  /**
   * Starts draining `io` (once; later calls return the same outcome). Resolves when no socket is
   * left, or at the deadline.
   */
  start(io: TypedServer): Promise<DrainOutcome> {
    if (this.#done) return this.#done;
    const startedAt = Date.now();
    this.#startedAt = startedAt;
    const sockets = [...io.of('/').sockets.values()];
    const order = moveOrder(sockets);
    const { windowMs, deadlineMs } = this.#opts;
    const timers: NodeJS.Timeout[] = [];
    order.forEach((socket, i) => {
      // Slot i of n, at a random point inside its slot: an even spread, no two clients in lockstep.
      const afterMs = Math.round((windowMs * (i + Math.random())) / Math.max(1, order.length));
      socket.emit('moveNode', { reason: 'draining', afterMs });
      const t = setTimeout(() => {
        if (socket.connected) socket.disconnect(true);
      }, afterMs + GRACE_AFTER_TURN_MS);
      timers.push(t);
    });
    log.info({ sockets: order.length, windowMs, deadlineMs }, 'draining: clients asked to move');
    this.#done = new Promise<DrainOutcome>((resolve) => {
      const finish = (outcome: DrainOutcome): void => {
        clearInterval(poll);
        clearTimeout(deadline);
        for (const t of timers) clearTimeout(t);
        log.info({ outcome, ms: Date.now() - startedAt, left: io.engine.clientsCount }, 'drained');
        resolve(outcome);
      };
      // engine.io's count includes sockets that never authenticated (closed by the auth timeout).
      const poll = setInterval(() => {
        if (io.engine.clientsCount === 0) finish('empty');
      }, 100);
      const deadline = setTimeout(() => finish('deadline'), deadlineMs);
    });
    return this.#done;
  }
}

/** Teachers first, then province hosts, then hosts; random order within each. */
function moveOrder(sockets: TypedSocket[]): TypedSocket[] {
  const rank = (s: TypedSocket): number => {
    const role = s.data.claims?.role;
    return role === 'host' ? 2 : role === 'province_host' ? 1 : 0;
  };
  return sockets
    .map((s) => ({ s, r: rank(s), k: Math.random() }))
    .sort((a, b) => a.r - b.r || a.k - b.k)
    .map(({ s }) => s);
}
