/**
 * Spreads `rejoin` notices over time instead of telling everyone at once: after a worker or node
 * loss, N affected participants are told over about N / rate seconds, in the order they were
 * affected, so the rebuild arrives at the rate admission can take (and, presenting their resume
 * tickets, in the rejoin lane ahead of new joins). A participant already waiting keeps its place.
 */
import type { RejoinReason } from '../protocol/events';

/** How often the pacer sends a batch, ms. */
const TICK_MS = 100;

export type SendRejoin = (socketId: string, info: { reason: RejoinReason }) => void;

export class RejoinPacer {
  readonly #perTick: number;
  readonly #send: SendRejoin;
  readonly #pending = new Map<string, { reason: RejoinReason }>();
  #allowance = 0;
  #timer: NodeJS.Timeout | null = null;

  /** @param ratePerSecond notices per second (the join rate). */
  constructor(ratePerSecond: number, send: SendRejoin) {
    this.#perTick = (ratePerSecond * TICK_MS) / 1000;
    this.#send = send;
  }

  /** Notices still to send. */
  get pending(): number {
    return this.#pending.size;
  }

  add(socketIds: Iterable<string>, reason: RejoinReason): void {
    for (const id of socketIds) if (!this.#pending.has(id)) this.#pending.set(id, { reason });
    if (!this.#timer && this.#pending.size > 0) {
      // The first batch goes at once (a lone participant is not delayed at all).
      this.#allowance = Math.max(1, this.#perTick);
      this.#flush();
    }
  }

  #flush(): void {
    for (const [id, info] of this.#pending) {
      if (this.#allowance < 1) break;
      this.#allowance -= 1;
      this.#pending.delete(id);
      this.#send(id, info);
    }
    if (this.#pending.size === 0) {
      this.#timer = null;
      return;
    }
    this.#timer = setTimeout(() => {
      this.#allowance = Math.min(this.#allowance + this.#perTick, Math.max(1, this.#perTick));
      this.#flush();
    }, TICK_MS);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }
}
